"""Crash-safe locks: ``flock`` on a lock file.

The kernel drops an flock when its holder dies, however it dies, so a crashed
run never blocks the next one and no stale-lock guessing is needed. The holder's
pid is written into the file for humans only; nothing reads it back as truth.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

from common.errors import LockBusyError
from common.statedir import state_dir_error


class FileLock:
    """An exclusive, non-blocking lock on ``path`` (created if missing)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise state_dir_error(self.path.parent, exc, "lock dir") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def wait(self, timeout: float, poll: float = 0.02) -> FileLock:
        """Acquire, waiting up to ``timeout`` seconds for the holder to let go."""
        deadline = time.monotonic() + timeout
        while not self.try_acquire():
            if time.monotonic() >= deadline:
                raise LockBusyError(f"{self.path} is still locked after {timeout:.0f} s")
            time.sleep(poll)
        return self

    def acquire(self) -> FileLock:
        if not self.try_acquire():
            raise LockBusyError(f"{self.path} is locked by another process")
        return self

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def __enter__(self) -> FileLock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def is_locked(path: Path) -> bool:
    """True while a process holds the lock (exclusively). The probe takes a shared lock for an
    instant and writes nothing: two probes (two views) never see each other as a holder."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise state_dir_error(path.parent, exc, "lock dir") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the shared lock, if we got it
    return False
