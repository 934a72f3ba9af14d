"""Just-in-time replacement: plots are deleted only as an incoming plot's bytes need their room.

A reservation on a full drive carries a :class:`~nas.replace.plan.Plan` (which plots would go,
oldest first). Nothing is deleted when the reservation is made or when the data
connection presents its token: :meth:`Room.ensure` runs in the receive loop once a buffer
of the plot has arrived and before it is written, and deletes the next planned plot, one
at a time, only while the bytes received so far do not fit in the room that exists
(free space minus the reserve, re-read each time). A transfer that fails afterwards
leaves the freed room free: its ``.part`` is removed and the next receiver finds the space.

Where the room of a write position comes from: bytes of the ``.part`` already allocated
(``st_blocks``; with preallocation that includes the preallocated range) plus the drive's
usable free space. A ``quota`` drive counts only plots against its quota, so the ``.part``
is subtracted there too.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from common.errors import NoSpaceError, TransferError
from nas.config import NasConfig
from nas.drives.listing import override_for, plots_on, stat_drive
from nas.replace.plan import Candidate, Plan, candidates, delete, fewest
from nas.state import Store

log = logging.getLogger(__name__)

ROOM_WAIT = 5.0  # some filesystems (btrfs) show freed space only after their next commit
ROOM_POLL = 0.05
Allocate = Callable[[int, int], bool]  # (fd, size) -> False where the filesystem cannot


@dataclass
class Room:
    """Room for one incoming plot on one locked drive, made as its bytes arrive.

    Its :class:`NoSpaceError` messages leave the drive out: the receiver prefixes it."""

    cfg: NasConfig
    plan: Plan
    incoming: str
    size: int
    fd: int  # the .part being written
    allocate: Allocate | None = None  # preallocate what fits, and extend it as plots go
    fits: int = 0  # the plot's bytes [0, fits) are known to fit
    deleted: list[Path] = field(default_factory=list)
    _queue: list[Candidate] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._queue = list(self.plan.victims)

    @property
    def mountpoint(self) -> Path:
        return self.plan.mountpoint

    def preallocate(self) -> None:
        """Preallocate the part of the plot that fits now; never delete for it."""
        self.fits = self._fits_now()
        self._extend()

    def ensure(self, end: int) -> None:
        """Before bytes up to ``end`` are written: delete planned plots, one at a time, until they fit."""
        if end <= self.fits:
            return
        while (fits := self._fits_now()) < end:
            self._delete_next(end - fits)
        self.fits = fits
        self._extend()

    def _fits_now(self) -> int:
        drive = stat_drive(self.cfg, self.mountpoint, frozenset())
        if drive is None:
            raise TransferError(f"{self.mountpoint} is gone while {self.incoming} was arriving")
        allocated = _allocated(self.fd)
        free = drive.free_bytes
        override = override_for(self.cfg, self.mountpoint)
        if override is not None and override.quota:
            free = min(free, override.quota - _plot_bytes(self.mountpoint) - allocated)
        return allocated + free - self.cfg.nas.reserve

    def _delete_next(self, short: int) -> None:
        """Delete one plot (the next planned one, else the fewest still matching) and wait for its room."""
        with Store(self.cfg.nas.state_dir) as store:
            victim = self._next_victim(store, short)
            before = self._fits_now()
            one = Plan(self.mountpoint, (victim,), short)
            if not delete(store, one, self.cfg.replace.match, self.incoming):
                return  # gone already (deleted by hand): nothing was freed, try the next
        self.deleted.append(victim.path)
        if not self._wait_for(before + victim.freed, victim.freed):
            # Stop: deleting more plots for room that is merely late to show would delete for nothing.
            raise NoSpaceError(f"deleted {victim.path.name} for {self.incoming} but its "
                               f"room did not appear within {ROOM_WAIT:g} s")

    def _next_victim(self, store: Store, short: int) -> Candidate:
        if not self._queue:  # the drive filled up since the plan: plan again from what is there
            chosen = fewest(candidates(store, self.cfg.replace.match, self.mountpoint), short)
            self._queue = list(chosen or ())
        if not self._queue:
            raise NoSpaceError(f"{short} more bytes needed for {self.incoming} and "
                               f"no plot matching [replace] match is left to replace")
        return self._queue.pop(0)

    def _wait_for(self, target: int, freed: int) -> bool:
        """Whether the freed room showed (within 1 %) before :data:`ROOM_WAIT` ran out."""
        deadline = time.monotonic() + ROOM_WAIT
        while self._fits_now() < target - freed // 100:
            if time.monotonic() >= deadline:
                return False
            time.sleep(ROOM_POLL)
        return True

    def _extend(self) -> None:
        """Preallocate up to what fits (never past the plot): room that exists, no more."""
        if self.allocate is None:
            return
        upto = min(self.size, self.fits)
        if upto <= 0:
            return
        try:
            if not self.allocate(self.fd, upto):
                self.allocate = None  # no fallocate on this filesystem: write without
        except OSError as exc:
            # ENOSPC: free space counts no room for the extent tree that allocating all of it
            # needs (seen on ext4 with reserve = 0); the writes will tell, the next extension retries.
            if exc.errno == errno.ENOSPC:
                log.debug("%s: preallocating %d bytes for %s: %s", self.mountpoint, upto, self.incoming,
                          exc.strerror)
                return
            log.warning("%s: cannot preallocate for %s (%s); writing without",
                        self.mountpoint, self.incoming, exc.strerror)
            self.allocate = None


def _allocated(fd: int) -> int:
    st = os.fstat(fd)
    return min(st.st_blocks * 512, max(st.st_size, 0)) if st.st_blocks else 0


def _plot_bytes(mountpoint: Path) -> int:
    return sum(e.stat(follow_symlinks=False).st_size for e in plots_on(mountpoint))
