"""Line-oriented control channels with timeouts, over fds or a paramiko channel."""

from __future__ import annotations

import os
import select
import threading
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


def fd_channel(read_fd: int, write_fd: int) -> LineChannel:
    """A channel over two file descriptors (stdin/stdout, or a child's pipes)."""

    def recv(size: int, timeout: float) -> bytes:
        ready, _, _ = select.select([read_fd], [], [], timeout)
        if not ready:
            raise TimeoutError
        return os.read(read_fd, size)

    def send(data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(write_fd, view):]

    return LineChannel(recv, send)
