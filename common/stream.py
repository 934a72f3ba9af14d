"""Chunked, hashed, pipelined I/O between a file and a TCP socket.

Both directions run two stages over a small pool of page-aligned buffers: one
thread moves bytes in, the calling thread moves them out, so disk and network
overlap. The hash is computed in the same pass as the I/O (borg-style): on the
sender right after each read, on the receiver right before each write, so what
is hashed is exactly what was read or written.
"""

from __future__ import annotations

import errno
import fcntl
import mmap
import os
import queue
import socket
import threading
import time
from collections.abc import Callable

import xxhash

from common.errors import AppError, DiskWriteError, NoSpaceError, TransferError

CHUNK = 8 * 1024 * 1024
DEPTH = 4
WRITERS = 2
IO_TIMEOUT = 60.0
_ALIGN = 4096
PIECE = 1024 * 1024
MADV_POPULATE_READ = getattr(mmap, "MADV_POPULATE_READ", 22)  # Linux 5.14+; Python names it from 3.13

Progress = Callable[[int], None]


def new_hasher() -> xxhash.xxh3_128:
    return xxhash.xxh3_128()


def hash_file(path: str, chunk: int = CHUNK) -> str:
    """Hash a whole file (used by tests and the NAS-side audit)."""
    hasher = new_hasher()
    buf = bytearray(chunk)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as handle:
        while n := handle.readinto(buf):
            hasher.update(view[:n])
    return hasher.hexdigest()


def _hash_ahead(mapped: mmap.mmap, hasher: xxhash.xxh3_128, chunk: int,
                ready: queue.Queue[tuple[int, int] | BaseException | None], stop: threading.Event) -> None:
    """Hash ``mapped`` chunk by chunk, announcing each hashed range; at most DEPTH ranges ahead."""
    populate = True
    try:
        with memoryview(mapped) as view:
            for offset in range(0, len(view), chunk):
                if stop.is_set():
                    break
                n = min(chunk, len(view) - offset)
                for piece in range(offset, offset + n, PIECE):  # fault in, then hash while cache-warm
                    m = min(PIECE, offset + n - piece)
                    populate = populate and _populate(mapped, piece, m)
                    hasher.update(view[piece:piece + m])
                ready.put((offset, n))
        ready.put(None)
    except BaseException as exc:  # handed to the sending thread, re-raised there
        ready.put(exc)


def _populate(mapped: mmap.mmap, offset: int, n: int) -> bool:
    """Fault ``n`` bytes of the mapping in with one call, so that bytes which cannot be read
    (a bad sector, a file cut short) are an error here, not a SIGBUS that kills the process
    and every transfer in it. False where the kernel lacks MADV_POPULATE_READ (before 5.14)."""
    try:
        mapped.madvise(MADV_POPULATE_READ, offset, n)
    except OSError as exc:
        if exc.errno in (errno.EINVAL, errno.ENOSYS):
            return False
        raise TransferError(f"cannot read the source at byte {offset}: "
                            f"{'I/O error or the file shrank' if exc.errno == errno.EFAULT else exc.strerror}"
                            ) from None
    return True


def send_file(sock: socket.socket, path: str, size: int, *, bwlimit: int = 0,
              progress: Progress | None = None, chunk: int = CHUNK) -> str:
    """Send exactly ``size`` bytes of ``path``; return the xxh3_128 hex digest.

    One thread hashes the file through a read-only mmap while this one hands the
    same, just-hashed page-cache ranges to the socket with sendfile: the disk is
    read once and no byte is copied through user space (measured: a third less
    system CPU than read+send). The hasher faults each piece in with
    MADV_POPULATE_READ first, so a bad sector or a file cut short under us is a
    TransferError for this plot, not a SIGBUS for the whole sender.
    """
    if bwlimit:
        chunk = max(64 * 1024, min(chunk, bwlimit // 10) // _ALIGN * _ALIGN)
    hasher = new_hasher()
    throttle = _Throttle(bwlimit)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise TransferError(f"cannot open {path}: {exc.strerror}") from None
    try:
        if os.fstat(fd).st_size < size:
            raise TransferError(f"{os.path.basename(path)} is shorter than {size} bytes")
        with mmap.mmap(fd, size, prot=mmap.PROT_READ) as mapped:
            mapped.madvise(mmap.MADV_SEQUENTIAL)
            _send_hashed(sock, fd, mapped, hasher, chunk, throttle, progress)
        sock.shutdown(socket.SHUT_WR)
    except OSError as exc:
        raise TransferError(f"sending {os.path.basename(path)}: {_describe(exc)}") from None
    finally:
        os.close(fd)
    return hasher.hexdigest()


def _send_hashed(sock: socket.socket, fd: int, mapped: mmap.mmap, hasher: xxhash.xxh3_128, chunk: int,
                 throttle: _Throttle, progress: Progress | None) -> None:
    ready: queue.Queue[tuple[int, int] | BaseException | None] = queue.Queue(maxsize=DEPTH)
    stop = threading.Event()
    worker = threading.Thread(target=_hash_ahead, args=(mapped, hasher, chunk, ready, stop),
                              name="stream-hasher", daemon=True)
    worker.start()
    # socket.sendfile, unlike os.sendfile, honours the socket's timeout.
    with open(fd, "rb", buffering=0, closefd=False) as source:
        try:
            while (item := _next_range(ready)) is not None:
                offset, n = item
                if sock.sendfile(source, offset, n) != n:
                    raise TransferError("the source file ended early")
                throttle.wait(offset + n)
                if progress:
                    progress(offset + n)
        finally:
            stop.set()
            while worker.is_alive():  # drain so a blocked put() lets the hasher see ``stop``
                try:
                    ready.get(timeout=0.1)
                except queue.Empty:
                    pass
            worker.join(timeout=IO_TIMEOUT)


def _next_range(ready: queue.Queue[tuple[int, int] | BaseException | None]) -> tuple[int, int] | None:
    try:
        item = ready.get(timeout=IO_TIMEOUT)
    except queue.Empty:
        raise TransferError(f"reading the source stalled for {IO_TIMEOUT:.0f} s") from None
    if isinstance(item, BaseException):
        raise item
    return item


class _Throttle:
    """Sleep just enough to keep the average rate at ``rate`` bytes/s (0 = off)."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.start = time.monotonic()

    def wait(self, done: int) -> None:
        if self.rate:
            ahead = done / self.rate - (time.monotonic() - self.start)
            if ahead > 0:
                time.sleep(ahead)


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
                  before_write: Progress | None = None) -> str:
    """Read exactly ``size`` bytes from ``sock`` into ``fd``; return the hex digest.

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
    offset, tail = 0, None
    try:
        while offset < size:
            buf = pool.take()
            n = min(chunk, size - offset)
            if _recv_fill(sock, memoryview(buf)[:n], hasher) < n:
                raise TransferError(f"stream ended {size - offset} bytes early")
            if before_write:
                before_write(offset + n)
            if direct and n % _ALIGN:
                tail = (buf, n, offset)
            else:
                pool.write(buf, n, offset)
            offset += n
            if progress:
                progress(offset)
        pool.finish()
        if tail is not None:
            _write_tail(fd, *tail)
        if sock.recv(1):
            raise TransferError("peer sent more bytes than it announced")
    except OSError as exc:
        raise TransferError(f"receiving: {_describe(exc)}") from None
    finally:
        pool.finish(raise_error=False)  # never leave writer threads behind
    return hasher.hexdigest()


def _recv_fill(sock: socket.socket, view: memoryview, hasher: xxhash.xxh3_128) -> int:
    got = 0
    while got < len(view):
        n = sock.recv_into(view[got:])
        if n == 0:
            break
        hasher.update(view[got:got + n])
        got += n
    return got


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


class _WriterPool:
    """Threads that pwrite filled buffers and hand them back; the first error wins."""

    def __init__(self, fd: int, chunk: int, count: int) -> None:
        self.fd = fd
        self.free: queue.Queue[mmap.mmap] = queue.Queue()
        for _ in range(DEPTH + count):
            self.free.put(mmap.mmap(-1, chunk))  # page-aligned, as O_DIRECT wants
        self.full: queue.Queue[tuple[mmap.mmap, int, int] | None] = queue.Queue()
        self.errors: list[OSError] = []
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
            self.threads = []
        if raise_error:
            self._raise_error()

    def _raise_error(self) -> None:
        if self.errors:
            raise disk_error(self.errors[0])


def disk_error(exc: OSError) -> AppError:
    """A failed write to the receiving drive, told apart from a network failure: a full
    drive is a NoSpaceError (its reason must reach the plotter's log and history)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return NoSpaceError(f"the drive filled up: {exc.strerror}")
    return DiskWriteError(f"writing to the drive: {exc.strerror or exc}", exc.errno, "write")


def _describe(exc: OSError) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"no data for {IO_TIMEOUT:.0f} s (timed out)"
    return exc.strerror or str(exc)
