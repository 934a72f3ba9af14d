"""Line-oriented control channels with timeouts, over fds or a paramiko channel."""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Callable

from common.errors import PeerTimeoutError, ProtocolError, TransferError
from common.transfer.protocol import MAX_LINE, Message, decode


class LineChannel:
    """Reads protocol lines through ``recv(max_bytes, timeout)`` and writes through ``send``.

    ``recv`` returns b"" at end of stream and raises TimeoutError on timeout.
    """

    def __init__(self, recv: Callable[[int, float], bytes], send: Callable[[bytes], None]) -> None:
        self._recv = recv
        self._send = send
        self._buffer = b""
        self._writing = threading.Lock()  # a NAS's committer says "stored" while the session goes on

    def write(self, data: bytes) -> None:
        try:
            with self._writing:
                self._send(data)
        except OSError as exc:
            raise TransferError(f"control channel to the peer is gone: {exc.strerror or exc}") from None

    def read_line(self, timeout: float) -> bytes:
        while b"\n" not in self._buffer:
            if len(self._buffer) > MAX_LINE:
                raise ProtocolError("control line too long")
            try:
                chunk = self._recv(65536, timeout)
            except TimeoutError:
                raise PeerTimeoutError(f"peer sent nothing for {timeout:.0f} s") from None
            except OSError as exc:
                raise TransferError(f"control channel to the peer broke: {exc.strerror or exc}") from None
            if not chunk:
                rest, self._buffer = self._buffer, b""
                return rest
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line + b"\n"

    def read(self, timeout: float) -> Message:
        return decode(self.read_line(timeout))


class FdChannel(LineChannel):
    """A channel over two file descriptors (stdin/stdout, or a child's pipes).

    Its reader may be another thread (the plotter's inbox): :meth:`shut` stops reads before the
    owner closes the descriptors, so a read never lands on a number the kernel gave out again.
    Reads wait in slices of at most ``SLICE`` seconds for that reason."""

    SLICE = 0.5

    def __init__(self, read_fd: int, write_fd: int) -> None:
        super().__init__(self._recv_fd, self._send_fd)
        self._read_fd = read_fd
        self._write_fd = write_fd
        self._guard = threading.Lock()
        self._shut = False

    def _recv_fd(self, size: int, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        while True:
            with self._guard:
                if self._shut:
                    return b""
                wait = min(self.SLICE, max(0.0, deadline - time.monotonic()))
                ready, _, _ = select.select([self._read_fd], [], [], wait)
                if ready:
                    return os.read(self._read_fd, size)
            if time.monotonic() >= deadline:
                raise TimeoutError

    def _send_fd(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._write_fd, view):]

    def shut(self) -> None:
        """No read touches the descriptors after this returns (it waits out one slice at most)."""
        with self._guard:
            self._shut = True


def fd_channel(read_fd: int, write_fd: int) -> FdChannel:
    return FdChannel(read_fd, write_fd)
