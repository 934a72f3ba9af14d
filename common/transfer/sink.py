"""Receiving a stream into a file: the receiver's half of :mod:`common.transfer.stream`.

This thread receives into whole page-aligned buffers and hashes each segment as it arrives;
writer threads pwrite full buffers at their offsets (O_DIRECT where the file system has it), so
the disk sees more than one write in flight. A disk error becomes an error naming the disk.
"""

from __future__ import annotations

import errno
import fcntl
import mmap
import os
import queue
import re
import socket
import struct
import termios
import threading

import xxhash

from common.errors import AppError, DiskWriteError, NoSpaceError, TransferError
from common.transfer.stream import ALIGN, CHUNK, DEPTH, IO_TIMEOUT, WRITERS, Progress, describe, new_hasher


def open_for_receive(path: str, direct: bool) -> tuple[int, bool]:
    """Create ``path`` exclusively; try O_DIRECT first so a NAS's page cache is not flooded."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    if direct and hasattr(os, "O_DIRECT"):
        try:
            return os.open(path, flags | os.O_DIRECT, 0o644), True
        except OSError as exc:
            if exc.errno != errno.EINVAL:  # EINVAL: this filesystem has no O_DIRECT (tmpfs)
                raise
    return os.open(path, flags, 0o644), False


def receive_to_fd(sock: socket.socket, fd: int, size: int, *, direct: bool,
                  progress: Progress | None = None, chunk: int = CHUNK, writers: int = WRITERS,
                  before_write: Progress | None = None, expect_eof: bool = True) -> str:
    """Read exactly ``size`` bytes from ``sock`` into ``fd``; return the hex digest.

    No receive asks the socket for more than what is left of ``size``. ``expect_eof``: the
    sender must then close its direction (a byte more is an error); False on a connection
    that carries the next plot, whose bytes are left unread in the socket.

    This thread receives into whole buffers and hashes each segment as it
    arrives (while still in cache); ``writers`` threads pwrite full buffers at
    their offsets, so a disk sees more than one write in flight (measured here:
    O_DIRECT at queue depth 2 beats depth 1 by a fifth). With O_DIRECT every
    buffer but the last is aligned; the unaligned tail is written last, after
    O_DIRECT is switched off on the descriptor.

    ``before_write(end)`` runs once a buffer's bytes have arrived and before any of them
    is written, with the end offset they reach: replacement makes room there, just in time.
    """
    hasher = new_hasher()
    pool = _WriterPool(fd, chunk, writers)
    wake = _WakeUp(sock)
    try:
        offset, tail = 0, None
        while offset < size:
            buf = pool.take()
            n = min(chunk, size - offset)
            if _recv_fill(sock, memoryview(buf)[:n], hasher, wake, size - offset) < n:
                raise TransferError(f"stream ended {size - offset} bytes early")
            if before_write:
                before_write(offset + n)
            if direct and n % ALIGN:
                tail = (buf, n, offset)
            else:
                pool.write(buf, n, offset)
            offset += n
            if progress:
                progress(offset)
        wake.restore()
        pool.finish()
        if tail is not None:
            _write_tail(fd, *tail)
        if expect_eof and sock.recv(1):
            raise TransferError("peer sent more bytes than it announced")
    except OSError as exc:
        raise TransferError(f"receiving: {describe(exc)}") from None
    finally:
        wake.restore()
        pool.close()  # never leave writer threads behind
    return hasher.hexdigest()


def _recv_fill(sock: socket.socket, view: memoryview, hasher: xxhash.xxh3_128, wake: _WakeUp, left: int) -> int:
    """Fill ``view`` from the socket; ``left``: the bytes of the plot from the start of ``view`` on."""
    got = 0
    while got < len(view):
        wake.at(left - got)
        try:
            n = sock.recv_into(view[got:])
        except TimeoutError:
            if wake.slow():
                continue
            raise
        if n == 0:
            break
        hasher.update(view[got:got + n])
        got += n
    return got


def kernel_at_least(release: str, want: tuple[int, int]) -> bool:
    """``release`` as uname gives it (``6.1.0-18-amd64``) is at least ``want`` (major, minor)."""
    m = re.match(r"(\d+)\.(\d+)", release)
    return m is not None and (int(m[1]), int(m[2])) >= want


# Kernels before 5.10 (fixes in 4.18, 5.1 and 5.7) could hang a socket with SO_RCVLOWAT set:
# the receive buffer full of small segments, a zero window, and no wake-up.
RCVLOWAT = 1024 * 1024 if kernel_at_least(os.uname().release, (5, 10)) else 1


class _WakeUp:
    """SO_RCVLOWAT: the receiving thread wakes when a MiB has arrived, not per segment (on
    loopback a quarter of the receives, measured 6% less CPU). Lowered to what is left of
    the plot near its end: poll would wait for bytes the sender may never send (the next
    plot waits for this one's verdict). Restored after: the connection may carry frames."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.old = self.now = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT)
        self.most = RCVLOWAT

    def at(self, left: int) -> None:
        self._set(max(1, min(self.most, left)))

    def slow(self) -> bool:
        """After a timeout: whether bytes did arrive (less than a MiB in IO_TIMEOUT, a slow
        link). Then this receive wakes per byte from now on: the timeout keeps meaning "no
        data at all for that long". False: nothing came, the timeout stands."""
        if self.now <= 1:
            return False
        queued = struct.unpack("i", fcntl.ioctl(self.sock.fileno(), termios.FIONREAD, bytes(4)))[0]
        if queued:
            self.most = 1
            self._set(1)
        return bool(queued)

    def restore(self) -> None:
        try:
            self._set(self.old)
        except OSError:  # a socket that broke: its error is the one to report
            pass

    def _set(self, value: int) -> None:
        if value != self.now:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, value)
            self.now = value


def _write_tail(fd: int, buf: mmap.mmap, n: int, offset: int) -> None:
    """The unaligned last piece, written with O_DIRECT switched off on the descriptor."""
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_DIRECT)
    try:
        _pwrite_all(fd, memoryview(buf)[:n], offset)
    except OSError as exc:
        raise disk_error(exc) from None


def _pwrite_all(fd: int, view: memoryview, offset: int) -> None:
    done = 0
    while done < len(view):
        done += os.pwrite(fd, view[done:], offset + done)


class _Spares:
    """Buffers kept from one receive for the next: a fresh set (DEPTH + writers page-aligned
    chunks, 48 MiB by default) costs about 40 ms of page faults and zeroing, per plot."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.lock = threading.Lock()
        self.free: dict[int, list[mmap.mmap]] = {}

    def take(self, size: int, count: int) -> list[mmap.mmap]:
        with self.lock:
            have = self.free.get(size, [])
            got = [have.pop() for _ in range(min(count, len(have)))]
        return got + [mmap.mmap(-1, size) for _ in range(count - len(got))]  # page-aligned, as O_DIRECT wants

    def give(self, bufs: list[mmap.mmap]) -> None:
        """Not closed beyond ``keep``, only dropped: a traceback may still hold a view of one."""
        with self.lock:
            for buf in bufs:
                kept = self.free.setdefault(len(buf), [])
                if len(kept) < self.keep:
                    kept.append(buf)


SPARES = _Spares(keep=2 * (DEPTH + WRITERS))  # two receives at once (two lanes) find theirs


class _WriterPool:
    """Threads that pwrite filled buffers and hand them back; the first error wins."""

    def __init__(self, fd: int, chunk: int, count: int) -> None:
        self.fd = fd
        self.free: queue.Queue[mmap.mmap] = queue.Queue()
        self.bufs = SPARES.take(chunk, DEPTH + count)
        for buf in self.bufs:
            self.free.put(buf)
        self.full: queue.Queue[tuple[mmap.mmap, int, int] | None] = queue.Queue()
        self.errors: list[OSError] = []
        self.stuck: list[threading.Thread] = []
        self.threads = [threading.Thread(target=self._run, name="stream-writer", daemon=True)
                        for _ in range(count)]
        for thread in self.threads:
            thread.start()

    def _run(self) -> None:
        while (item := self.full.get()) is not None:
            buf, n, offset = item
            try:
                if not self.errors:
                    _pwrite_all(self.fd, memoryview(buf)[:n], offset)
            except OSError as exc:
                self.errors.append(exc)
            finally:
                self.free.put(buf)

    def take(self) -> mmap.mmap:
        self._raise_error()
        try:
            return self.free.get(timeout=IO_TIMEOUT)
        except queue.Empty:
            raise TransferError(f"the disk accepted nothing for {IO_TIMEOUT:.0f} s") from None

    def write(self, buf: mmap.mmap, n: int, offset: int) -> None:
        self.full.put((buf, n, offset))

    def finish(self, raise_error: bool = True) -> None:
        """Wait for queued writes; raise the first write error. Safe to call twice."""
        if self.threads:
            for _ in self.threads:
                self.full.put(None)
            for thread in self.threads:
                thread.join(timeout=IO_TIMEOUT)
            self.stuck = [thread for thread in self.threads if thread.is_alive()]  # a hung disk
            self.threads = []
        if raise_error:
            self._raise_error()

    def close(self) -> None:
        """Finish; the buffers are kept for the next receive unless a writer still holds one."""
        self.finish(raise_error=False)
        if not any(thread.is_alive() for thread in self.stuck):
            SPARES.give(self.bufs)
        self.bufs = []

    def _raise_error(self) -> None:
        if self.errors:
            raise disk_error(self.errors[0])


def disk_error(exc: OSError) -> AppError:
    """A failed write to the receiving drive, told apart from a network failure: a full
    drive is a NoSpaceError (its reason must reach the plotter's log and history)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return NoSpaceError(f"the drive filled up: {exc.strerror}")
    return DiskWriteError(f"writing to the drive: {exc.strerror or exc}", exc.errno, "write")
