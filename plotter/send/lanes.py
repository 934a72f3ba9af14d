"""A run's lanes and sessions: what a transfer needs from outside (:class:`Env`, injectable for
tests, httpie-style), the warm sessions it borrows (:func:`sessions`), and the ``max_parallel`` lanes
plots are streamed on (:class:`Slot`)."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from common.errors import AppError, ConfigError, ConnectError, HostKeyError
from plotter.config import NasTarget
from plotter.link.client import NasClient
from plotter.link.pool import SessionPool
from plotter.link.session import Session, connect_data, open_session
from plotter.send.progress import Listener

log = logging.getLogger(__name__)


@dataclass
class Env:
    """The side effects a transfer needs, injectable for tests (httpie-style)."""

    open_session: Callable[[NasTarget], Session] = open_session
    connect_data: Callable[[str, int, float], socket.socket] = connect_data
    unreachable: dict[str, str] = field(default_factory=dict)  # NAS name -> why, this round (alerts read it)
    down: dict[str, str] = field(default_factory=dict)  # NAS name -> why, since its first failure (across rounds)
    lock: threading.Lock = field(default_factory=threading.Lock)
    listener: Listener | None = None  # the live display on a terminal
    host_key_refused: set[str] = field(default_factory=set)  # NAS names whose host key was unknown or changed
    no_room: list[str] = field(default_factory=list)  # transfers this round that failed for lack of room
    pool: SessionPool | None = None  # warm sessions: see sessions()
    lanes: threading.Semaphore | None = None  # max_parallel: plots routed and streamed at once
    stop: threading.Event | None = None  # set (SIGTERM, Ctrl-C): no plot starts any more


def sessions(env: Env) -> SessionPool:
    """The run's session pool, made on first use (sessions are opened through ``env``)."""
    with env.lock:
        if env.pool is None:
            env.pool = SessionPool(lambda target: open_client(target, env))
        return env.pool


def open_client(target: NasTarget, env: Env) -> NasClient:
    """A client for ``target``. A NAS that failed once is not tried again this round (a host
    that is down would cost ``connect_timeout`` per plot); its first failure is logged once."""
    with env.lock:
        reason = env.unreachable.get(target.name)
    if reason is not None:
        raise ConnectError(f"skipped for this run: {reason}")
    try:
        client = NasClient(env.open_session(target))
    except ConfigError:
        raise
    except AppError as exc:
        with env.lock:
            if isinstance(exc, HostKeyError):
                env.host_key_refused.add(target.name)
            if target.name not in env.unreachable:
                env.unreachable[target.name] = exc.message
                # One warning when a NAS goes down, not one per round of send --watch.
                log.log(logging.DEBUG if target.name in env.down else logging.WARNING,
                        "NAS %s is unreachable, plots wait for it: %s", target.name, exc.message)
                env.down[target.name] = exc.message
        raise
    with env.lock:
        if env.down.pop(target.name, None) is not None:
            log.info("NAS %s is reachable again", target.name)
    return client


class Slot:
    """One of the run's ``max_parallel`` lanes, held while a plot is routed, offered and streamed
    (None: no limit). Released early, it lets the next plot stream while this one commits."""

    def __init__(self, lanes: threading.Semaphore | None) -> None:
        self._lanes = lanes
        self._held = False

    def __enter__(self) -> Slot:
        if self._lanes is not None:
            self._lanes.acquire()
            self._held = True
        return self

    def release(self) -> None:
        if self._held and self._lanes is not None:
            self._held = False
            self._lanes.release()

    def __exit__(self, *exc: object) -> None:
        self.release()
