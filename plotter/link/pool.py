"""Warm sessions, per NAS, shared by a run's lanes (the sending threads).

A plot borrows a session (:meth:`SessionPool.take`), and gives it back when done: a session that can
take another request (:meth:`NasClient.reusable`) waits here for the next plot, any other is closed.
So SSH, the NAS's receiver process and the data connection are paid for once per lane, not once per
plot. ``send --once`` closes every session at its end; ``send --watch`` keeps them between rounds
for ``KEEP_WARM`` seconds (well inside the NAS's own idle limit, nas.receive.receiver.IDLE_TIMEOUT).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from plotter.config import NasTarget
from plotter.link.client import NasClient

log = logging.getLogger(__name__)

KEEP_WARM = 90.0
PROBE_AFTER = 5.0  # a session idle this long answers a "space" first: a NAS gone silent (power cut) shows here
MAX_IDLE = 64  # sessions kept per NAS at most (a lane gives its session back; there are max_parallel lanes)


class SessionPool:
    def __init__(self, opener: Callable[[NasTarget], NasClient], keep_warm: float = KEEP_WARM) -> None:
        self._opener = opener
        self._keep_warm = keep_warm
        self._idle: dict[str, list[tuple[float, NasClient]]] = {}
        self._lock = threading.Lock()

    def take(self, target: NasTarget) -> NasClient:
        """A warm session with ``target`` if one is idle and alive, else a new one (may raise as
        opening does: ConnectError, ConfigError, ProtocolError ...)."""
        while (popped := self._pop(target.name)) is not None:
            since, client = popped
            if client.reusable() and (time.monotonic() - since < PROBE_AFTER or client.answers()):
                return client
            client.close()  # the NAS ended it while it waited (a reboot, its idle limit) or went silent
        return self._opener(target)

    def _pop(self, name: str) -> tuple[float, NasClient] | None:
        with self._lock:
            idle = self._idle.get(name)
            if not idle:
                return None
            return idle.pop()  # the most recently used: the least likely to have gone stale

    def give_back(self, client: NasClient) -> None:
        """Keep ``client`` for the next plot when it can take one; close it otherwise."""
        if not client.reusable():
            client.close()
            return
        with self._lock:
            idle = self._idle.setdefault(client.session.target.name, [])
            if len(idle) < MAX_IDLE:
                idle.append((time.monotonic(), client))
                return
        client.close()

    def prune(self) -> None:
        """Close the sessions idle for longer than ``keep_warm``."""
        now = time.monotonic()
        stale: list[NasClient] = []
        with self._lock:
            for name, idle in self._idle.items():
                stale += [c for since, c in idle if now - since > self._keep_warm]
                self._idle[name] = [(since, c) for since, c in idle if now - since <= self._keep_warm]
        for client in stale:
            client.close()

    def close(self) -> None:
        with self._lock:
            clients = [c for idle in self._idle.values() for _, c in idle]
            self._idle.clear()
        for client in clients:
            client.close()
