"""Hostile clients for data-port tests: they know the port range but not the token."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

TICK = 0.05
CONNECT_TIMEOUT = 1.0


def open_or_none(host: str, port: int) -> socket.socket | None:
    try:
        sock = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT)
    except OSError:
        return None  # nothing listens there (yet), or the backlog is full
    sock.setblocking(False)  # probes and 1-byte sends never wait
    return sock


def is_closed(sock: socket.socket) -> bool:
    """Whether the peer closed or reset ``sock`` (the receiver dropped us); never waits."""
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


@dataclass
class Trickler:
    """A client that sends one garbage byte every ``interval`` seconds, reconnecting when dropped."""

    interval: float
    sock: socket.socket | None = None
    next_at: float = 0.0
    sent: int = 0
    connects: int = 0

    def step(self, host: str, port: int, now: float) -> None:
        if self.sock is not None and is_closed(self.sock):
            self.close()
        if self.sock is None:
            self.sock = open_or_none(host, port)
            self.connects += self.sock is not None
            self.next_at = now
        if self.sock is not None and now >= self.next_at:
            try:
                self.sock.send(b"x")
                self.sent += 1
            except OSError:
                self.close()
            self.next_at = now + self.interval

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


class PortFlood:
    """Against every port of ``ports``: ``idle`` connections that never send, a slow-loris
    (1 byte/s) and a client sending 1 byte every 9 s; all reconnect whenever dropped."""

    def __init__(self, host: str, ports: tuple[int, int], idle: int = 200) -> None:
        self.host, self.idle = host, idle
        self.ports = list(range(ports[0], ports[1] + 1))
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.open_idle = dict.fromkeys(self.ports, 0)
        self.peak_idle = dict.fromkeys(self.ports, 0)
        self.slow_open = dict.fromkeys(self.ports, 0)
        self.idle_dropped = dict.fromkeys(self.ports, 0)
        self.loris_connects = dict.fromkeys(self.ports, 0)
        self.threads = [threading.Thread(target=self._run, args=(p,), daemon=True) for p in self.ports]

    def __enter__(self) -> PortFlood:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=30)
            assert not thread.is_alive(), "a flood thread did not stop"

    def saturated(self, port: int) -> bool:
        """All idle connections and both slow clients are connected to ``port`` right now."""
        with self.lock:
            return self.open_idle[port] >= self.idle and self.slow_open[port] == 2

    def churned(self, port: int) -> bool:
        """The receiver has dropped every idle connection and the slow-loris at least once,
        and they all came back: the attack has outlasted a token deadline."""
        with self.lock:
            return self.idle_dropped[port] >= self.idle and self.loris_connects[port] >= 2

    @staticmethod
    def _prune(socks: list[socket.socket]) -> list[socket.socket]:
        alive = []
        for sock in socks:
            if is_closed(sock):
                sock.close()
            else:
                alive.append(sock)
        return alive

    def _run(self, port: int) -> None:
        idle: list[socket.socket] = []
        slow = [Trickler(1.0), Trickler(9.0)]
        try:
            while not self.stop_event.wait(TICK):
                before = len(idle)
                idle = self._prune(idle)
                dropped = before - len(idle)
                while len(idle) < self.idle and not self.stop_event.is_set():
                    sock = open_or_none(self.host, port)
                    if sock is None:
                        break
                    idle.append(sock)
                now = time.monotonic()
                for client in slow:
                    client.step(self.host, port, now)
                with self.lock:
                    self.open_idle[port] = len(idle)
                    self.peak_idle[port] = max(self.peak_idle[port], len(idle))
                    self.slow_open[port] = sum(c.sock is not None for c in slow)
                    self.idle_dropped[port] += dropped
                    self.loris_connects[port] = slow[0].connects
        finally:
            for sock in idle:
                sock.close()
            for client in slow:
                client.close()
