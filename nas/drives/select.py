"""The one place that decides which drive gets the next plot.

:func:`rank_drives` and :func:`choose_target` are pure; :func:`reserve_drive`
adds the I/O: a per-drive flock held for the whole receive, so concurrent
receivers (from one or many plotters) never share a drive, and free space is
re-read under the lock so it is never overcommitted. When no drive can take an
offered plot and ``[replace]`` is enabled, it plans, on one drive and under that
drive's lock, the fewest matching plots that make room; they are deleted only as
the plot's bytes arrive and need their room (:meth:`Reservation.room`,
:mod:`nas.replace.room`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from common.errors import NoSpaceError
from common.locking import FileLock, is_locked
from nas.config import NasConfig
from nas.drives.listing import (
    Drive,
    list_drives,
    natural_key,
    no_drive_reason,
    override_for,
    restat,
    stale_parts,
    stat_drive,
)
from nas.drives.locks import LOCK_WAIT, TARGET_LOCK, lock_path
from nas.replace.plan import Plan, best_plans, candidates, plan_drive
from nas.replace.room import Allocate, Room
from nas.state import Store

log = logging.getLogger(__name__)

BUSY_WAIT = 300.0
BUSY_POLL = 0.5


def can_take(drive: Drive, size: int, reserve: int) -> bool:
    return drive.receives and drive.free_bytes - reserve >= size


def rank_drives(drives: Sequence[Drive], size: int, reserve: int, policy: str,
                current: Path | None = None) -> list[Drive]:
    """Drives that can take ``size`` bytes, best first.

    ``fill`` keeps the current target while it has room, then natural order;
    ``spread`` puts the most free space first.
    """
    return _ordered([d for d in drives if can_take(d, size, reserve)], policy, current)


def _ordered(drives: Sequence[Drive], policy: str, current: Path | None) -> list[Drive]:
    if policy == "spread":
        return sorted(drives, key=lambda d: (-d.free_bytes, natural_key(str(d.mountpoint))))
    ordered = sorted(drives, key=lambda d: natural_key(str(d.mountpoint)))
    return sorted(ordered, key=lambda d: d.mountpoint != current)


def choose_target(drives: Sequence[Drive], current: Path | None, plot_size: int | None, reserve: int,
                  policy: str, current_busy: bool = False) -> Path | None:
    """The receive drive: the current one while it can take a plot, or while a
    transfer to it runs (unless it went offline, failing or vanished); else the best ranked.

    ``plot_size`` None (no plot seen yet): any room above the reserve counts.
    """
    here = next((d for d in drives if d.mountpoint == current), None)
    if here is not None and current_busy and here.receives:
        return here.mountpoint
    ranked = rank_drives(drives, plot_size or 1, reserve, policy, current)
    return ranked[0].mountpoint if ranked else None


class Holders:
    """How many plots of one receiver hold a drive's lock (the last one out releases it)."""

    def __init__(self) -> None:
        self.count = 1
        self.mutex = threading.Lock()


@dataclass(frozen=True)
class Beside:
    """This receiver's plot still committing on a drive: ``held``, its ``.part`` and size. The next
    plot may share that drive (its lock) when it is the one to take it, and has room for both."""

    held: Reservation
    part: Path
    size: int


@dataclass
class Reservation:
    """A locked drive. ``pending``: the plots that would be replaced for the incoming plot."""

    drive: Drive
    lock: FileLock
    pending: Plan | None = None
    incoming: str = ""
    size: int = 0
    holders: Holders = field(default_factory=Holders)

    def room(self, cfg: NasConfig, fd: int, allocate: Allocate | None = None) -> Room | None:
        """Just-in-time replacement for the plot streaming into ``fd`` (None: the room is
        there already). Deletes nothing by itself: :meth:`Room.ensure` does, as bytes arrive."""
        if self.pending is None:
            return None
        return Room(cfg, self.pending, self.incoming, self.size, fd, allocate)

    def release(self) -> None:
        with self.holders.mutex:  # the flock too: a sharer refused for a count of 0 finds the drive free
            self.holders.count -= 1
            if self.holders.count == 0:
                self.lock.release()

    def share(self, fresh: Drive, incoming: str, size: int) -> Reservation | None:
        """The same drive, lock and all, for this receiver's next plot while this one commits
        (None: this one was released meanwhile)."""
        with self.holders.mutex:
            if self.holders.count <= 0:
                return None
            self.holders.count += 1
        return Reservation(fresh, self.lock, None, incoming, size, self.holders)


def remove_stale_parts(mountpoint: Path) -> None:
    for part in stale_parts(mountpoint):
        try:
            part.unlink()
            log.warning("removed stale partial file %s (left by an interrupted transfer)", part)
        except OSError as exc:
            log.warning("cannot remove stale partial file %s: %s", part, exc.strerror)


def reserve_drive(cfg: NasConfig, size: int, current: Path | None = None,
                  wait: float = BUSY_WAIT, incoming: str | None = None,
                  order: Callable[[list[Drive]], list[Drive]] | None = None,
                  beside: Beside | None = None) -> Reservation:
    """Lock the best drive that can take ``size`` bytes, or raise :class:`NoSpaceError`.

    ``current`` defaults to the persisted receive drive. When drives with room
    exist but all are busy with other receivers, wait (up to ``wait`` seconds)
    for one: busy is not full. Only with ``incoming`` (the name of the plot
    being offered) may plots be replaced. ``order`` reorders the ranked drives (a placed PoS2
    group's drive first: :func:`nas.drives.placement.prefer`). ``beside``: a drive this receiver
    holds for a plot still committing, shared when it comes up in the ranking.
    """
    if current is None:
        with Store(cfg.nas.state_dir) as store:
            current = store.target()
    deadline = time.monotonic() + wait
    while True:
        drives = list_drives(cfg)
        ranked = rank_drives(drives, size, cfg.nas.reserve, cfg.nas.policy, current)
        if order is not None:
            ranked = order(ranked)
        reservation, room_busy = _try_lock_one(cfg, ranked, size, beside, incoming or ""), False
        if reservation is None and not ranked and incoming is not None and cfg.replace.enabled:
            reservation, room_busy = _make_room(cfg, drives, size, incoming)
        if reservation is not None:
            _follow(cfg, drives, size)
            return reservation
        if not (ranked or room_busy) or time.monotonic() >= deadline:
            break
        time.sleep(BUSY_POLL)
    if not drives:
        raise NoSpaceError(f"no drive can take {size} bytes: {no_drive_reason(cfg)}")
    online = [d for d in drives if d.receives]
    busy = f", {len(ranked)} with room but busy" if ranked else ""
    raise NoSpaceError(
        f"no drive can take {size} bytes (+{cfg.nas.reserve} reserve): "
        f"{len(drives)} drives, {len(online)} online{busy}"
    )


def _try_lock_one(cfg: NasConfig, ranked: list[Drive], size: int, beside: Beside | None = None,
                  incoming: str = "") -> Reservation | None:
    for drive in ranked:
        if beside is not None and drive.mountpoint == beside.held.drive.mountpoint:
            fresh = _room_for_both(cfg, drive, size, beside)
            if fresh is None:
                continue
            shared = beside.held.share(fresh, incoming, size)
            if shared is not None:
                return shared
            # The commit ended just now and let the drive go: locked below like any other.
        lock = FileLock(lock_path(cfg.nas.state_dir, drive.mountpoint))
        if not lock.try_acquire():
            continue
        remove_stale_parts(drive.mountpoint)
        fresh = restat(cfg, drive)
        if fresh is not None and can_take(fresh, size, cfg.nas.reserve):
            return Reservation(fresh, lock)
        lock.release()
    return None


def _room_for_both(cfg: NasConfig, drive: Drive, size: int, beside: Beside) -> Drive | None:
    """The committing plot's drive, freshly stated, when it has room for the next plot too. A quota
    counts finished plots only, so a ``.part`` still there is added (looked for before the fresh
    figures: renamed meanwhile, it is counted twice, never not at all); statvfs counts its blocks."""
    override = override_for(cfg, drive.mountpoint)
    uncounted = beside.size if override is not None and override.quota and beside.part.exists() else 0
    fresh = restat(cfg, drive)
    return fresh if fresh is not None and can_take(fresh, size + uncounted, cfg.nas.reserve) else None


def _follow(cfg: NasConfig, drives: list[Drive], size: int) -> None:
    """Move the persisted receive drive on when it can no longer take a plot.

    The target is what :func:`choose_target` says, not merely the drive this
    receiver got: a receiver that found the target busy and took the next drive
    must not drag the target along. Read-decide-write runs under a lock so that
    concurrent receivers agree.
    """
    if cfg.nas.policy == "spread":
        return  # spread has no single receive drive
    with FileLock(cfg.nas.state_dir / TARGET_LOCK).wait(LOCK_WAIT), Store(cfg.nas.state_dir) as store:
        current = store.target()
        busy = current is not None and is_locked(lock_path(cfg.nas.state_dir, current))
        desired = choose_target(drives, current, size, cfg.nas.reserve, cfg.nas.policy, busy)
        if desired is not None and desired != current:
            store.set_target(desired)
            log.info("receive drive is now %s (was %s)", desired, current)


def plan_room(cfg: NasConfig, store: Store, drives: Sequence[Drive], size: int) -> list[Plan]:
    """Per online drive, the fewest matching plots whose deletion makes room; best first."""
    online = _ordered([d for d in drives if d.receives], cfg.nas.policy, None)
    return best_plans([plan_drive(d.mountpoint, d.free_bytes, cfg.nas.reserve, size,
                                  candidates(store, cfg.replace.match, d.mountpoint)) for d in online])


def _make_room(cfg: NasConfig, drives: list[Drive], size: int, incoming: str) -> tuple[Reservation | None, bool]:
    """(reservation on a drive where plots can be replaced, whether a drive that could was busy)."""
    busy = False
    with Store(cfg.nas.state_dir) as store:
        for plan in plan_room(cfg, store, drives, size):
            lock = FileLock(lock_path(cfg.nas.state_dir, plan.mountpoint))
            if not lock.try_acquire():
                busy = True
                continue
            try:
                planned = _plan_on(cfg, store, plan.mountpoint, size)
            except BaseException:
                lock.release()
                raise
            if planned is not None:
                fresh, fresh_plan = planned
                return Reservation(fresh, lock, fresh_plan, incoming, size), False
            lock.release()
    return None, busy


def _plan_on(cfg: NasConfig, store: Store, mountpoint: Path, size: int) -> tuple[Drive, Plan | None] | None:
    """Under the drive's lock: re-plan from fresh facts (None: no room can be made here)."""
    remove_stale_parts(mountpoint)
    fresh = stat_drive(cfg, mountpoint)
    if fresh is None or not fresh.receives:
        return None
    if can_take(fresh, size, cfg.nas.reserve):
        return fresh, None
    plan = plan_drive(mountpoint, fresh.free_bytes, cfg.nas.reserve, size,
                      candidates(store, cfg.replace.match, mountpoint))
    return None if plan is None else (fresh, plan)


def total_free(cfg: NasConfig) -> tuple[int, int, int]:
    """(usable free bytes, largest usable free on one drive, online drive count).

    With ``[replace] enabled``, plots that may be replaced count as room.
    """
    drives = [d for d in list_drives(cfg) if d.receives]
    usable = [max(0, d.free_bytes - cfg.nas.reserve) for d in drives]
    if cfg.replace.enabled:
        with Store(cfg.nas.state_dir) as store:
            usable = [u + sum(c.freed for c in candidates(store, cfg.replace.match, d.mountpoint))
                      for u, d in zip(usable, drives, strict=True)]
    return sum(usable), max(usable, default=0), len(drives)


def find_existing(cfg: NasConfig, name: str) -> Path | None:
    for drive in list_drives(cfg):
        candidate = drive.mountpoint / name
        if os.path.exists(candidate):
            return candidate
    return None
