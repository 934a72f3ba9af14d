"""A receiver's next plot shares the drive lock of the plot it is still committing: the lock stays
exclusive to that receiver until both are done, and a released reservation cannot be shared."""

from __future__ import annotations

from pathlib import Path

from common.locking import FileLock, is_locked
from nas.drives.listing import Drive
from nas.drives.select import Reservation

MIB = 2**20


def test_the_lock_is_released_when_the_last_sharer_is_done(tmp_path: Path) -> None:
    path = tmp_path / "drive1.lock"
    lock = FileLock(path)
    assert lock.try_acquire()
    drive = Drive(tmp_path, 10 * MIB, 9 * MIB, False)
    committing = Reservation(drive, lock)
    following = committing.share(drive, "plot-next", MIB)
    assert following is not None and following.lock is lock and following.incoming == "plot-next"

    committing.release()  # the commit ended first: the next plot still streams onto the drive
    assert is_locked(path) and not FileLock(path).try_acquire()  # another receiver cannot take it
    following.release()
    assert not is_locked(path)


def test_a_released_reservation_is_not_shared(tmp_path: Path) -> None:
    lock = FileLock(tmp_path / "drive1.lock")
    assert lock.try_acquire()
    drive = Drive(tmp_path, 10 * MIB, 9 * MIB, False)
    done = Reservation(drive, lock)
    done.release()
    assert done.share(drive, "plot-late", MIB) is None
    assert not is_locked(tmp_path / "drive1.lock")
