"""Ask a NAS where a PoS2 group will land before it is plotted (``meta_group = auto``).

The group id is unknown until the group is made, so the plot's referee cannot be asked; the NAS
asked is the first reachable one in config order (the one a new plot is sent to when it has room).
A NAS with no room for the group passes the question to the next. Plotting never waits for a
placement: when no NAS can answer (none reachable, none with room, or all speaking an older
protocol) the job plots with meta group 0, which chia farms like any other; an old NAS is warned
about once per process, not on every job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from common.errors import AppError, ProtocolError
from plotter.config import NasTarget
from plotter.link.client import NasClient
from plotter.link.session import Session, open_session

log = logging.getLogger(__name__)

FALLBACK_META_GROUP = 0
_warned: set[str] = set()  # NAS names warned about (too old), once per scheduler process


@dataclass(frozen=True)
class Placement:
    nas: str | None  # None: the fallback, no NAS placed it
    drive: str | None
    meta_group: int


def place_group(targets: Sequence[NasTarget], size: int,
                opener: Callable[[NasTarget], Session] = open_session) -> Placement:
    """The placement of a group of ``size`` bytes: the first NAS in ``targets`` that gives one."""
    for target in targets:
        try:
            client = NasClient(opener(target))
        except ProtocolError as exc:  # an older NAS ("upgrade both ends")
            _warn_old(target.name, exc.message)
            continue
        except AppError as exc:
            log.warning("placement: NAS %s unreachable (%s); asking the next", target.name, exc.message)
            continue
        try:
            placed = client.place_group(size)
        except AppError as exc:
            log.warning("placement: NAS %s gave none: %s", target.name, exc.message)
            continue
        finally:
            client.close()
        if placed is not None:
            return Placement(target.name, placed.drive, placed.meta_group)
        log.info("placement: NAS %s has no drive with room for %d bytes; asking the next", target.name, size)
    log.info("placement: no NAS placed the group; it is plotted with meta group %d", FALLBACK_META_GROUP)
    return Placement(None, None, FALLBACK_META_GROUP)


def _warn_old(name: str, why: str) -> None:
    if name not in _warned:
        _warned.add(name)
        log.warning("placement: NAS %s: %s; until then groups for it are plotted with meta group %d", name, why,
                    FALLBACK_META_GROUP)
