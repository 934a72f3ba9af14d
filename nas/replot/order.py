"""Which drives to replot next, and when replacement will have emptied each of v1 (pure).

A model of what the receiver does (``nas.drives.select``): an incoming plot goes to a drive
with room first (``fill``: the receive drive, then natural order; ``spread``: most free first);
only when none has room does replacement delete, on the drive needing the fewest deletions
(the most free room; ties in natural order), the oldest matching plots, just in time. Each
deletion frees more than a small PoS2 plot needs, so the next plots fit on that same drive
without deleting: replacement works through one drive's v1 plots before it starts the next.
At the current rate each drive is emptied of v1 after the free room and the v1 bytes ahead of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nas.drives.listing import natural_key
from nas.replot.deadline import DAY

HORIZON_DAYS = 100 * 365  # beyond this a date says nothing: "never at this rate"


@dataclass(frozen=True)
class DriveRoom:
    name: str
    mountpoint: str
    room: int  # usable free bytes (free - reserve) on a drive that receives; 0 otherwise
    replaceable: int  # v1 bytes the [replace] rule lets go (0: replacement off, or not matching)
    v1_bytes: int
    receives: bool


@dataclass(frozen=True)
class Step:
    name: str
    mountpoint: str
    v1_bytes: int
    replaceable: int
    done_at: float | None  # when its replaceable v1 bytes are gone (None: never at this rate)


def replot_order(drives: Sequence[DriveRoom], rate: float, now: float) -> list[Step]:
    """The drives with v1 bytes replacement may delete, in the order it will empty them."""
    receiving = [d for d in drives if d.receives]
    ahead = sum(d.room for d in receiving)  # the free room fills first
    steps = []
    for drive in sorted((d for d in receiving if d.replaceable), key=lambda d: (-d.room, natural_key(d.mountpoint))):
        ahead += drive.replaceable
        days = ahead / rate if rate > 0 else None
        done = now + days * DAY if days is not None and days <= HORIZON_DAYS else None
        steps.append(Step(drive.name, drive.mountpoint, drive.v1_bytes, drive.replaceable, done))
    return steps


def untouched(drives: Sequence[DriveRoom]) -> list[DriveRoom]:
    """Drives holding v1 bytes that replacement will never delete (no rule matches them, or the
    drive does not receive): these the farmer replots by hand."""
    return [d for d in drives if d.v1_bytes > d.replaceable or (d.v1_bytes and not d.receives)]
