"""Opening an SSH session to a NAS: which failures are config errors, host-key refusals or
outages, and one deadline for the whole handshake."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from common.errors import ConfigError, ConnectError, HostKeyError
from plotter.config import NasTarget


@contextmanager
def config_file(target: NasTarget, key: str, path: Path) -> Iterator[None]:
    """A file the config names that cannot be read is a config error (exit 3), not an outage:
    retrying will not bring it back."""
    try:
        yield
    except OSError as exc:
        raise ConfigError.at(str(target.source), f"nas {target.name}", key,
                             f"cannot read {path}: {exc.strerror or exc}") from None


class Watchdog:
    """Shuts ``sock`` down when ``seconds`` pass before :meth:`done`: the handshake then fails at once."""

    def __init__(self, sock: socket.socket, seconds: float) -> None:
        self._sock = sock
        self._fired = threading.Event()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self._fired.set()
        with suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)

    def done(self) -> bool:
        """Stop watching; whether the deadline had passed."""
        self._timer.cancel()
        return self._fired.is_set()


def connect_error(t: NasTarget, exc: BaseException, timed_out: bool) -> ConnectError:
    """What a failed SSH handshake means, in one line. Pure."""
    import paramiko as pm

    if isinstance(exc, pm.BadHostKeyException):
        return HostKeyError(f"[nas {t.name}]: host key of {t.host} does not match {t.known_hosts} "
                            "(refusing: possible man-in-the-middle)")
    if isinstance(exc, pm.SSHException) and "not found in known_hosts" in str(exc):
        return HostKeyError(f"[nas {t.name}]: host key of {t.host}:{t.port} is not in "
                            f"{t.known_hosts}; add it (ssh-keyscan) and retry")
    if timed_out:
        return ConnectError(f"[nas {t.name}]: {t.host}:{t.port} accepts connections but the SSH "
                            f"handshake did not finish within {t.connect_timeout:g} s (connect_timeout)")
    if isinstance(exc, pm.SSHException):
        return ConnectError(f"[nas {t.name}]: ssh to {t.user}@{t.host}:{t.port} failed: {exc}")
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return ConnectError(f"[nas {t.name}]: cannot reach {t.host}:{t.port}: {reason}")
