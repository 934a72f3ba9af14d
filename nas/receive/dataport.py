"""The receiver's data port: one listening socket, one connection that presents the token.

Anyone who can reach the port can connect to it, so nobody without the token may be
able to hold it up. Connections are accepted as they come and read side by side with
poll(2), never one after another: each must deliver its whole 32-byte token within
``token_timeout`` (a deadline for all 32 bytes, not per recv, so one byte every few
seconds does not keep a connection alive), wrong, slow and closed ones are dropped, the
first right token wins. At most :data:`MAX_PENDING` connections wait for their token at
once; a new one crowds out the oldest, so a crowd of idle connections delays the real
one by a poll round, not by a token deadline per idle connection. ``timeout`` is a hard
deadline for the whole wait, so the drive lock a receiver holds is released on time.
"""

from __future__ import annotations

import errno
import hmac
import logging
import select
import socket
import time
from collections import Counter
from dataclasses import dataclass, field

from common.errors import TransferError

log = logging.getLogger(__name__)

# The kernel caps the listen backlog at net.core.somaxconn (4096 on current kernels).
BACKLOG = 512
# The plotter sends its token right after connecting: a few seconds allow a slow WAN link.
TOKEN_TIMEOUT = 5.0
MAX_PENDING = 256
ACCEPT_BURST = 64  # accept at most this many per poll round, so pending tokens are read in between
_READABLE = select.POLLIN | select.POLLPRI | select.POLLHUP | select.POLLERR


def listen(bind: str, ports: tuple[int, int]) -> socket.socket:
    """A listening socket on the first free port of ``ports`` (inclusive)."""
    low, high = ports
    denied = 0
    for port in range(low, high + 1):
        sock = socket.socket(socket.AF_INET6 if ":" in bind else socket.AF_INET)
        try:
            sock.bind((bind, port))
            sock.listen(BACKLOG)
            return sock
        except PermissionError:
            denied += 1
            sock.close()
        except OSError:
            sock.close()
    if denied:
        raise TransferError(f"data_ports {low}-{high}: permission denied on {denied} of them (ports below 1024 "
                            "need root or CAP_NET_BIND_SERVICE): use ports above 1023, e.g. 4040-4059")
    raise TransferError(f"no free port in data_ports {low}-{high} on {bind}")


@dataclass
class _Pending:
    sock: socket.socket
    deadline: float
    got: bytearray = field(default_factory=bytearray)


class _Gate:
    """Connections waiting for their token, and why the others were dropped."""

    def __init__(self, listener: socket.socket, token: bytes, token_timeout: float) -> None:
        self.listener = listener
        self.token = token
        self.token_timeout = token_timeout
        self.pending: dict[int, _Pending] = {}  # by fd, oldest first
        self.poller = select.poll()
        self.poller.register(listener, select.POLLIN)
        self.dropped: Counter[str] = Counter()

    def drop(self, fd: int, why: str) -> None:
        entry = self.pending.pop(fd)
        self.poller.unregister(fd)
        entry.sock.close()
        self.dropped[why] += 1

    def expire(self, now: float) -> float | None:
        """Drop connections past their token deadline; the next deadline left, if any."""
        for fd in [fd for fd, p in self.pending.items() if p.deadline <= now]:
            self.drop(fd, "too slow")
        return min((p.deadline for p in self.pending.values()), default=None)

    def accept_burst(self, now: float) -> None:
        for _ in range(ACCEPT_BURST):
            try:
                conn, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM) and self.pending:
                    self.drop(next(iter(self.pending)), "crowded out")  # make room, retry next round
                    return
                if exc.errno == errno.ECONNABORTED:
                    continue
                raise
            if len(self.pending) >= MAX_PENDING:
                self.drop(next(iter(self.pending)), "crowded out")
            conn.setblocking(False)
            self.pending[conn.fileno()] = _Pending(conn, now + self.token_timeout)
            self.poller.register(conn, _READABLE)

    def read(self, fd: int) -> socket.socket | None:
        """Read what ``fd`` has of its token; the socket once the whole right token is in."""
        entry = self.pending[fd]
        try:
            data = entry.sock.recv(len(self.token) - len(entry.got))  # never past the token
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:
            self.drop(fd, "closed early")
            return None
        if not data:
            self.drop(fd, "closed early")
            return None
        entry.got += data
        if len(entry.got) < len(self.token):
            return None
        if not hmac.compare_digest(bytes(entry.got), self.token):
            self.drop(fd, "wrong token")
            return None
        del self.pending[fd]
        self.poller.unregister(fd)
        return entry.sock

    def close(self) -> None:
        for fd in list(self.pending):
            self.drop(fd, "still waiting")


def accept_with_token(listener: socket.socket, token: bytes, timeout: float,
                      token_timeout: float = TOKEN_TIMEOUT) -> socket.socket:
    """The first connection on ``listener`` that presents ``token`` within ``timeout`` seconds
    (a hard deadline from this call). The socket is returned blocking, positioned after the token."""
    deadline = time.monotonic() + timeout
    listener.setblocking(False)
    gate = _Gate(listener, token, token_timeout)
    try:
        winner = _poll_until(gate, deadline)
    finally:
        gate.close()
        if gate.dropped:
            log.warning("data port %d: dropped %s", listener.getsockname()[1], describe_dropped(gate.dropped))
    if winner is None:
        raise TransferError(f"no data connection with the right token within {timeout:g} s")
    winner.setblocking(True)
    return winner


def _poll_until(gate: _Gate, deadline: float) -> socket.socket | None:
    listen_fd = gate.listener.fileno()
    while (now := time.monotonic()) < deadline:
        wake = min(deadline, gate.expire(now) or deadline)
        events = gate.poller.poll(max(1, int((wake - now) * 1000) + 1))
        # Token bytes first, new connections after: a burst of newcomers never crowds
        # out a connection whose token is already waiting to be read.
        for fd, _ in sorted(events, key=lambda event: event[0] == listen_fd):
            if fd == listen_fd:
                gate.accept_burst(time.monotonic())
            elif fd in gate.pending and (conn := gate.read(fd)) is not None:
                return conn
    return None


def describe_dropped(dropped: Counter[str]) -> str:
    """``Counter({"too slow": 3, "wrong token": 1})`` -> "4 connections without the right token (...)"."""
    total = sum(dropped.values())
    parts = ", ".join(f"{n} {why}" for why, n in sorted(dropped.items(), key=lambda item: (-item[1], item[0])))
    return f"{total} connection{'s' if total != 1 else ''} without the right token ({parts})"
