"""Placement before plotting: which drive a PoS2 group will land on and its meta group.

CHIP-49 recommends a meta group (0..255, fixed at plotting time) of its own for every plot group
on one drive, so a plotter with ``meta_group = auto`` asks before plotting. :func:`choose` is the
pure decision; :func:`place` reserves its answer in the state (:class:`nas.state.Store`, until
``[nas] placement_ttl`` passes unused); :func:`prefer` orders the drives for the group once it is
offered, the placed drive first. The meta groups in use are read from the headers of the
``.plot2``/``.gplot`` files on each drive, each once (:mod:`nas.drives.headers`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from common.locking import FileLock
from nas.config import NasConfig
from nas.drives.headers import meta_groups, scan_plots
from nas.drives.listing import Drive, list_drives
from nas.drives.locks import LOCK_WAIT
from nas.drives.select import rank_drives
from nas.state import Placed, Store

log = logging.getLogger(__name__)

META_GROUPS = range(256)
PLACEMENT_LOCK = "placement.lock"


@dataclass(frozen=True)
class Choice:
    drive: Path
    meta_group: int


def meta_groups_on(mountpoint: Path, store: Store) -> set[int]:
    """The meta groups of the PoS2 files (``.plot2``, ``.gplot``) on a drive, from their headers
    (:mod:`nas.drives.headers`: each read once); none when it cannot be listed."""
    try:
        return meta_groups(scan_plots(mountpoint, store))
    except OSError:
        return set()


def reserved_on(placed: Iterable[Placed], drive: Path, but: int | None = None) -> set[int]:
    return {p.meta_group for p in placed if p.drive == drive and p.id != but}


def choose(drives: Sequence[Drive], size: int, reserve: int, policy: str, used: Mapping[Path, set[int]],
           placed: Sequence[Placed]) -> Choice | None:
    """The drive (in the receive order of ``policy``) with room for ``size`` bytes beside the groups
    placed on it already, and the lowest meta group no group on it uses or has reserved. A meta
    group reserved on no other drive is preferred, so that the meta group alone names the
    placement when the group is offered. None: no drive has room and a free meta group."""
    pending = {d.mountpoint: sum(p.size for p in placed if p.drive == d.mountpoint) for d in drives}
    room = [replace(d, free_bytes=d.free_bytes - pending[d.mountpoint]) for d in drives]
    anywhere = {p.meta_group for p in placed}
    for drive in rank_drives(room, size, reserve, policy):
        taken = used.get(drive.mountpoint, set()) | reserved_on(placed, drive.mountpoint)
        free = [m for m in META_GROUPS if m not in taken]
        if free:
            unique = [m for m in free if m not in anywhere]
            return Choice(drive.mountpoint, (unique or free)[0])
    return None


def prefer(ranked: Sequence[Drive], meta_group: int, placed: Sequence[Placed],
           used: Mapping[Path, set[int]]) -> list[Drive]:
    """Drives for an offered group of ``meta_group``: the drive it was placed on, then those where
    its meta group is free, then the rest (a plot is never refused for its meta group)."""
    home = {p.drive for p in placed if p.meta_group == meta_group}

    def rank(drive: Drive) -> int:
        if drive.mountpoint in home:
            return 0
        clash = used.get(drive.mountpoint, set()) | reserved_on(placed, drive.mountpoint)
        return 1 if meta_group not in clash else 2

    return sorted(ranked, key=rank)  # stable: the policy's order within each rank


def place(cfg: NasConfig, size: int, now: float | None = None) -> Placed | None:
    """Reserve a drive and meta group for a group of ``size`` bytes (None: no drive can take it)."""
    now = time.time() if now is None else now
    with FileLock(cfg.nas.state_dir / PLACEMENT_LOCK).wait(LOCK_WAIT), Store(cfg.nas.state_dir) as store:
        placed = store.placements(now)
        drives = list_drives(cfg)
        used = {d.mountpoint: meta_groups_on(d.mountpoint, store) for d in drives if d.receives}
        chosen = choose(drives, size, cfg.nas.reserve, cfg.nas.policy, used, placed)
        if chosen is None:
            return None
        made = store.add_placement(chosen.drive, chosen.meta_group, size, now, cfg.nas.placement_ttl)
    log.info("placed a group of %d bytes on %s with meta group %d (reserved for %.0f s)", size, made.drive,
             made.meta_group, cfg.nas.placement_ttl)
    return made


def order_for(cfg: NasConfig, meta_group: int | None) -> Callable[[list[Drive]], list[Drive]] | None:
    """For an offered PoS2 file of ``meta_group``, :func:`prefer` over the drives that can take it."""
    if meta_group is None:
        return None
    placed = active(cfg)

    def order(ranked: list[Drive]) -> list[Drive]:
        with Store(cfg.nas.state_dir) as store:
            used = {d.mountpoint: meta_groups_on(d.mountpoint, store) for d in ranked}
        return prefer(ranked, meta_group, placed, used)

    return order


def active(cfg: NasConfig, now: float | None = None) -> list[Placed]:
    with Store(cfg.nas.state_dir) as store:
        return store.placements(time.time() if now is None else now)


def landed(cfg: NasConfig, drive: Path, meta_group: int) -> None:
    """The group of ``meta_group`` is stored on ``drive``: its placement there (if any) is used up."""
    with FileLock(cfg.nas.state_dir / PLACEMENT_LOCK).wait(LOCK_WAIT), Store(cfg.nas.state_dir) as store:
        mine = [p for p in store.placements(time.time()) if p.meta_group == meta_group]
        for p in sorted(mine, key=lambda p: p.drive != drive)[:1]:
            store.drop_placement(p.id)
