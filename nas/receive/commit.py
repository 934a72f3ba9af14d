"""Putting a received plot in place on a drive: room up front, the rename that makes it a plot.

Nothing here knows the protocol: :mod:`nas.receive.intake` calls these once the bytes are in.
"""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

from common.errors import DiskWriteError, PlotExistsError, VerifyError
from nas.drives.select import Reservation

log = logging.getLogger(__name__)


def preallocate(fd: int, size: int, res: Reservation) -> None:
    try:
        done = fallocate(fd, size)
    except OSError as exc:
        raise DiskWriteError(f"cannot allocate {size} bytes on {res.drive.mountpoint}: {exc.strerror}", exc.errno,
                             "allocate") from None
    if not done:
        log.debug("%s cannot preallocate (no fallocate): writing without", res.drive.mountpoint)


def fallocate(fd: int, size: int) -> bool:
    """Reserve ``size`` bytes with fallocate(2); False where the filesystem has no fallocate.

    Not os.posix_fallocate: where fallocate is missing (ntfs-3g, which farmers use for
    drives from Windows, other FUSE and network mounts) glibc emulates it by writing a
    byte per block, measured at 0.9 s per 64 MiB on ntfs-3g, about 25 minutes for a k32
    plot, while the plotter's data connection waits and times out.
    """
    import ctypes  # only when a plot is really coming

    libc = ctypes.CDLL(None, use_errno=True)
    call = libc.fallocate64  # 64-bit offsets on 32-bit NAS boards too
    call.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    if call(fd, 0, 0, size) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EOPNOTSUPP, errno.ENOSYS):
        return False
    raise OSError(err, os.strerror(err))


def commit(part: Path, final: Path, size: int) -> None:
    actual = os.stat(part).st_size
    if actual != size:
        raise VerifyError(f"{final.name}: received {actual} bytes, expected {size}")
    if final.exists():
        raise PlotExistsError(f"{final} appeared during the transfer; keeping the existing file")
    try:
        os.rename(part, final)
        dir_fd = os.open(final.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        raise DiskWriteError(f"cannot rename {part.name} to {final.name}: {exc.strerror}", exc.errno,
                             "rename") from None


def discard(part: Path) -> None:
    try:
        part.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.error("cannot remove partial file %s: %s", part, exc.strerror)
