"""The one place that decides which drive gets the next plot.

:func:`rank_drives` is pure; :func:`reserve_drive` adds the I/O: a per-drive
flock held for the whole receive, so concurrent receivers (from one or many
plotters) never share a drive, and free space is re-read under the lock so it
is never overcommitted.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from common.errors import NoSpaceError
from common.locking import FileLock
from nas.config import NasConfig
from nas.drives import Drive, list_drives, natural_key, stale_parts, stat_drive

log = logging.getLogger(__name__)

BUSY_WAIT = 300.0
BUSY_POLL = 0.5


def can_take(drive: Drive, size: int, reserve: int) -> bool:
    return not drive.offline and drive.free_bytes - reserve >= size


def rank_drives(drives: Sequence[Drive], size: int, reserve: int, policy: str,
                current: Path | None = None) -> list[Drive]:
    """Drives that can take ``size`` bytes, best first.

    ``fill`` keeps the current target while it has room, then natural order;
    ``spread`` puts the most free space first.
    """
    fit = [d for d in drives if can_take(d, size, reserve)]
    if policy == "spread":
        return sorted(fit, key=lambda d: (-d.free_bytes, natural_key(str(d.mountpoint))))
    ordered = sorted(fit, key=lambda d: natural_key(str(d.mountpoint)))
    return sorted(ordered, key=lambda d: d.mountpoint != current)


def lock_path(state_dir: Path, mountpoint: Path) -> Path:
    safe = str(mountpoint).strip("/").replace("/", "_") or "root"
    return state_dir / "drives" / f"{safe}.lock"


@dataclass
class Reservation:
    drive: Drive
    lock: FileLock

    def release(self) -> None:
        self.lock.release()


def remove_stale_parts(mountpoint: Path) -> None:
    for part in stale_parts(mountpoint):
        try:
            part.unlink()
            log.warning("removed stale partial file %s (left by an interrupted transfer)", part)
        except OSError as exc:
            log.warning("cannot remove stale partial file %s: %s", part, exc.strerror)


def reserve_drive(cfg: NasConfig, size: int, current: Path | None = None,
                  wait: float = BUSY_WAIT) -> Reservation:
    """Lock the best drive that can take ``size`` bytes, or raise :class:`NoSpaceError`.

    When drives with room exist but all are busy with other receivers, wait (up
    to ``wait`` seconds) for one: busy is not full.
    """
    deadline = time.monotonic() + wait
    while True:
        drives = list_drives(cfg)
        ranked = rank_drives(drives, size, cfg.nas.reserve, cfg.nas.policy, current)
        reservation = _try_lock_one(cfg, ranked, size)
        if reservation is not None:
            return reservation
        if not ranked or time.monotonic() >= deadline:
            break
        time.sleep(BUSY_POLL)
    online = [d for d in drives if not d.offline]
    busy = f", {len(ranked)} with room but busy" if ranked else ""
    raise NoSpaceError(
        f"no drive can take {size} bytes (+{cfg.nas.reserve} reserve): "
        f"{len(drives)} drives, {len(online)} online{busy}"
    )


def _try_lock_one(cfg: NasConfig, ranked: list[Drive], size: int) -> Reservation | None:
    for drive in ranked:
        lock = FileLock(lock_path(cfg.nas.state_dir, drive.mountpoint))
        if not lock.try_acquire():
            continue
        remove_stale_parts(drive.mountpoint)
        fresh = stat_drive(cfg, drive.mountpoint)
        if fresh is not None and can_take(fresh, size, cfg.nas.reserve):
            return Reservation(fresh, lock)
        lock.release()
    return None


def total_free(cfg: NasConfig) -> tuple[int, int, int]:
    """(usable free bytes, largest usable free on one drive, online drive count)."""
    drives = [d for d in list_drives(cfg) if not d.offline]
    usable = [max(0, d.free_bytes - cfg.nas.reserve) for d in drives]
    return sum(usable), max(usable, default=0), len(drives)


def find_existing(cfg: NasConfig, name: str) -> Path | None:
    for drive in list_drives(cfg):
        candidate = drive.mountpoint / name
        if os.path.exists(candidate):
            return candidate
    return None
