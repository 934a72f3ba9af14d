"""Failing drives: a drive whose writes fail is marked, skipped, probed and cleared.

A receiver that meets a drive error creating, writing, syncing or renaming its
``.part`` (EROFS, EIO, ENOTCONN and kin; or ENOSPC while statvfs, after the
``.part`` is gone, still shows room for the plot with slack to spare) marks the
drive *failing* in the state, with the reason (:func:`on_receive_error`). No
drive selection picks a failing drive, so the receive-drive rotation moves on.
Every ``check`` probes each marked drive by creating, writing, syncing and
deleting a small file (:func:`probe_marked`): success clears the mark by itself;
``drive online`` clears it by hand. Only marked drives are probed: writing to
every drive every minute would wake sleeping disks.

A drive that fails a probe *now* (stat, statvfs or listing answers an I/O error,
as a dead FUSE mount does) is failing while that lasts, without a mark: see
:mod:`nas.drives.listing` and :mod:`nas.drives.inventory`.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from common.errors import AppError, DiskWriteError, DriveFailingError, NoSpaceError
from common.locking import FileLock
from nas.config import NasConfig
from nas.drives.listing import Drive, candidate_paths, restat, stat_drive
from nas.drives.locks import lock_path
from nas.state import Store

if TYPE_CHECKING:
    from nas.drives.select import Reservation

T = TypeVar("T")

log = logging.getLogger(__name__)

# What a drive (not the network, not the plot) answers when it cannot be written.
FAILING_ERRNOS = frozenset({errno.EROFS, errno.EIO, errno.ENOTCONN, errno.ENXIO, errno.ENODEV, errno.ESTALE,
                            errno.EUCLEAN, errno.EREMOTEIO})
PROBE_NAME = ".plotyard-probe"
PROBE_BYTES = 4096
MIN_SLACK = 16 * 2**20  # ENOSPC counts as a lie only with this much (or 1/16 of the plot) to spare


def failing_reason(exc: BaseException) -> str | None:
    """Why ``exc`` (raised while receiving onto a drive) shows the drive failing; None when
    it does not, or when only a fresh look at the free space can tell (ENOSPC). Pure."""
    if isinstance(exc, DiskWriteError) and exc.errno in FAILING_ERRNOS:
        return f"{exc.stage}: {os.strerror(exc.errno)}"
    return None


def enospc_stage(exc: BaseException) -> str | None:
    """The step that ran out of space ("write", "fsync", ...), or None for another error. Pure."""
    if isinstance(exc, NoSpaceError):
        return "write"  # common.transfer.sink.disk_error: a pwrite answered ENOSPC or EDQUOT
    if isinstance(exc, DiskWriteError) and exc.errno == errno.ENOSPC:
        return exc.stage
    return None


def room_contradicts(free: int, reserve: int, size: int) -> bool:
    """Whether ``free`` bytes (statvfs, after the ``.part`` was removed) leave clearly enough room
    for ``size``: then the ENOSPC came from below the filesystem (a thin or failing device). Pure."""
    return free - reserve >= size + max(MIN_SLACK, size // 16)


def on_receive_error(cfg: NasConfig, drive: Drive, size: int, exc: BaseException) -> str | None:
    """Mark ``drive`` failing when ``exc`` says it is; the reason, or None. Call after the
    ``.part`` was removed (its room counts as free) and while still holding the drive's lock."""
    reason = failing_reason(exc)
    stage = enospc_stage(exc)
    if reason is None and stage is not None:
        fresh = restat(cfg, drive)
        if fresh is not None and fresh.failing is None and room_contradicts(fresh.free_bytes, cfg.nas.reserve,
                                                                             size):
            reason = f"{stage}: {os.strerror(errno.ENOSPC)} while statvfs shows {fresh.free_bytes} bytes free"
    if reason is not None:
        with Store(cfg.nas.state_dir) as store:
            mark(store, drive.mountpoint, reason)
    return reason


def on_healthy_drive(cfg: NasConfig, size: int, reserve: Callable[[], Reservation],
                     receive: Callable[[Reservation], T], hand_over: bool = False) -> tuple[T, Reservation]:
    """Run ``receive`` on a reserved drive; when the drive turns out to be failing, mark it and,
    if no data was asked for yet (the ``.part`` could not be created), go on with the next
    drive for the same offer. Once the plotter streams, a failing drive ends the offer with a
    :class:`DriveFailingError` (code ``drive_failing``: the plotter sends the plot again at
    once, and this drive is no longer chosen). Returns the result and the reservation: released,
    unless ``hand_over`` (then the caller releases it once done with the drive)."""
    for _ in range(len(candidate_paths(cfg)) + 1):  # each round marks one drive failing
        reservation = reserve()
        try:
            result = receive(reservation)
        except (AppError, OSError) as exc:
            try:
                drive_failed(cfg, reservation, size, exc)
            finally:
                reservation.release()
            log.warning("%s: trying the next drive for the same plot", reservation.drive.mountpoint)
            continue
        except BaseException:
            reservation.release()
            raise
        if not hand_over:
            reservation.release()
        return result, reservation
    raise DriveFailingError("every drive tried for this plot is failing")


def drive_failed(cfg: NasConfig, reservation: Reservation, size: int, exc: BaseException) -> None:
    """After ``exc`` on a reserved drive (its ``.part`` removed, its lock still held): re-raise
    ``exc`` when the drive is not failing, raise :class:`DriveFailingError` when it failed once the
    plotter streamed; return (the next drive may take the same offer) when it failed at create."""
    reason = on_receive_error(cfg, reservation.drive, size, exc)
    if reason is None:
        raise exc
    if not (isinstance(exc, DiskWriteError) and exc.stage == "create"):
        raise DriveFailingError(f"{reservation.drive.mountpoint} is failing ({reason}); the plot was "
                                "not stored and may be sent again at once") from None


# -- the marks in the state ------------------------------------------------------------------
def failing_marks(store: Store) -> dict[Path, str]:
    return store.failing()


def mark(store: Store, mountpoint: Path, reason: str) -> None:
    """Mark a drive failing; an earlier mark keeps its time and first reason."""
    store.conn.execute("INSERT OR IGNORE INTO failing VALUES (?, ?, ?)", (str(mountpoint), time.time(), reason))
    log.error("drive %s is failing (%s): no plot goes to it until it writes again or `drive online`",
              mountpoint, reason)


def clear(store: Store, mountpoint: Path) -> str | None:
    """Remove the mark; the reason it had, or None when it had none."""
    row = store.conn.execute("SELECT reason FROM failing WHERE mountpoint = ?", (str(mountpoint),)).fetchone()
    store.conn.execute("DELETE FROM failing WHERE mountpoint = ?", (str(mountpoint),))
    return None if row is None else str(row["reason"])


# -- the probe ---------------------------------------------------------------------------------
def probe(mountpoint: Path) -> str | None:
    """Create, write, fsync and delete a small file on the drive: None when all of it
    worked, else which step failed and how."""
    path = mountpoint / f"{PROBE_NAME}-{os.getpid()}"
    stage = "create"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            stage = "write"
            os.write(fd, bytes(PROBE_BYTES))
            stage = "fsync"
            os.fsync(fd)
        finally:
            os.close(fd)
        stage = "delete"
        os.unlink(path)
    except OSError as exc:
        if stage != "create":
            _remove(path)
        return f"probe {stage}: {exc.strerror or exc}"
    return None


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.debug("cannot remove the probe file %s: %s", path, exc.strerror)


def probe_marked(cfg: NasConfig, store: Store) -> list[Path]:
    """Probe every drive marked failing (unless a receiver holds it); clear the marks of
    those that write again. Returns the cleared drives."""

    cleared = []
    for mountpoint, reason in failing_marks(store).items():
        here = stat_drive(cfg, mountpoint, frozenset(), {})
        if here is None or here.failing is not None:
            continue  # missing (a probe would write to the directory under it), or failing to stat
        lock = FileLock(lock_path(cfg.nas.state_dir, mountpoint))
        if not lock.try_acquire():
            continue
        try:
            failed = probe(mountpoint)
        finally:
            lock.release()
        if failed is None:
            clear(store, mountpoint)
            cleared.append(mountpoint)
            log.warning("drive %s writes again (was failing: %s): it may receive plots", mountpoint, reason)
        else:
            log.debug("drive %s is still failing: %s", mountpoint, failed)
    return cleared
