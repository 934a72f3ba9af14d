"""Making a received plot a plot: verify, fsync, rename, record, say "stored"; room up front.

:mod:`nas.receive.intake` takes a plot's bytes in and hands it over as a :class:`Pending`; the
lane's :class:`Committer` finishes it in a thread of its own while the next plot streams. It says
"stored" (or the error, with the plot's ``seq``) on the control channel, and releases the drive and
the name's reservation only when the plot is a plot or its ``.part`` is gone.
"""

from __future__ import annotations

import errno
import hmac
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from common.errors import AppError, DiskWriteError, PlotExistsError, TransferError, VerifyError
from common.fsync import fsync_path
from common.plotformat.plotfile import check_plot_file, parse_name
from common.plotformat.sizes import check_group_size
from common.transfer import protocol
from common.transfer.channel import LineChannel
from nas.config import NasConfig
from nas.drives import placement
from nas.drives.health import drive_failed
from nas.drives.select import Reservation
from nas.receive.codes import error_code
from nas.receive.receiving import ReceiveProgress
from nas.receive.reservations import NameClaim, ensure_nowhere, record_stored
from nas.state import record_receipt

log = logging.getLogger(__name__)

# A commit is an fsync of a whole plot, on a spinning disk too: a session ending waits this long for it.
COMMIT_WAIT = 600.0


@dataclass
class Pending:
    """A plot whose bytes are in its ``.part``, with what its commit needs and then releases."""

    name: str
    size: int
    meta_group: int | None
    seq: int
    res: Reservation
    fd: int
    part: Path
    digest: str  # of the bytes as received
    progress: ReceiveProgress

    @property
    def final(self) -> Path:
        return self.res.drive.mountpoint / self.name

    def abandon(self) -> None:
        """Give it up before its commit began (no digest came): ``.part`` removed, drive released."""
        try:
            drop(self.fd, self.progress, self.part)
        finally:
            self.res.release()


class Committer:
    """Commits a lane's plots one at a time, each in a thread while the session goes on."""

    def __init__(self, cfg: NasConfig, chan: LineChannel) -> None:
        self.cfg = cfg
        self.chan = chan
        self._thread: threading.Thread | None = None
        self._pending: Pending | None = None

    def committing(self) -> Pending | None:
        """The plot being committed, None when none is."""
        pending = self._pending
        return pending if pending is not None and self._thread is not None and self._thread.is_alive() else None

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join(COMMIT_WAIT)
            self._thread = None
            self._pending = None

    def submit(self, pending: Pending, expected: str, claim: NameClaim | None) -> None:
        self.wait()  # one at a time: the drive and name of the one before are released first
        self._pending = pending
        self._thread = threading.Thread(target=self._run, args=(pending, expected, claim),
                                        name=f"commit-{pending.seq}", daemon=True)
        self._thread.start()

    def _run(self, pending: Pending, expected: str, claim: NameClaim | None) -> None:
        """Commit; free the drive and the name; only then say how it went (a plotter that sends
        the plot again at once must not find its name still reserved here)."""
        done: list[bytes] = []
        try:
            plots = self._commit(pending, expected)
        except (AppError, OSError) as exc:
            error = exc if isinstance(exc, AppError) else TransferError(f"I/O error on the NAS: {exc}")
            done.append(self._failed(pending, error))
        else:
            log.info("stored %s (%d bytes)", pending.final, pending.size)
            done.append(protocol.encode("stored", path=str(pending.final), size=pending.size, hash=pending.digest,
                                        seq=pending.seq))
            self._landed(pending, plots)
        finally:
            pending.res.release()
            if claim is not None:
                claim.__exit__(None, None, None)
            for line in done:
                self._say(line)

    def _commit(self, p: Pending, expected: str) -> int:
        """Verify and rename: how many plots it holds (a ``.gplot``: its group size)."""
        try:
            if not hmac.compare_digest(expected, p.digest):
                raise VerifyError(f"{p.name}: hash mismatch (plotter {expected}, NAS {p.digest})")
            try:
                os.fsync(p.fd)
            except OSError as exc:
                raise DiskWriteError(f"fsync of {p.name}: {exc.strerror}", exc.errno, "fsync") from None
            name = parse_name(p.name)
            header = check_plot_file(p.part, name)  # the header read back from the disk, as written
            check_group_size(name, header, p.size)
            ensure_nowhere(self.cfg, p.name, at_commit=True)  # exactly once: no other drive got it meanwhile
            commit(p.part, p.final, p.size)
            record_stored(self.cfg.nas.state_dir, p.name, p.final, p.size, p.digest)  # before "stored"
        except BaseException:
            discard(p.part)
            raise
        finally:
            os.close(p.fd)
            p.progress.close()
        return header.group_size

    def _landed(self, p: Pending, plots: int) -> None:
        try:
            if p.meta_group is not None:
                placement.landed(self.cfg, p.res.drive.mountpoint, p.meta_group)
            record_receipt(self.cfg.nas.state_dir, p.name, p.res.drive.mountpoint, p.size, plots)
        except AppError as exc:  # the plot is stored and said so; only the bookkeeping is behind
            log.error("%s: stored, but not recorded: %s", p.name, exc.message)

    def _failed(self, p: Pending, error: AppError) -> bytes:
        """Mark the drive when it failed (its lock still held); the error line to say."""
        try:
            drive_failed(self.cfg, p.res, p.size, error)
        except AppError as raised:  # ``error`` itself, or DriveFailingError when the drive failed
            error = raised
        log.error("%s", error.message)
        return protocol.encode("error", code=error_code(error), error=error.message, seq=p.seq)

    def _say(self, line: bytes) -> None:
        try:
            self.chan.write(line)
        except AppError:
            pass  # the plotter is gone; its next session finds the plot kept (or stored) and sorts it out


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
        fsync_path(final.parent)
    except OSError as exc:
        raise DiskWriteError(f"cannot rename {part.name} to {final.name}: {exc.strerror}", exc.errno,
                             "rename") from None


def drop(fd: int, progress: ReceiveProgress, part: Path) -> None:
    """A ``.part`` given up before its commit: its descriptor and progress closed, the file removed."""
    os.close(fd)
    progress.close()
    discard(part)


def discard(part: Path) -> None:
    try:
        part.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.error("cannot remove partial file %s: %s", part, exc.strerror)
