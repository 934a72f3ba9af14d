"""Control sessions to a NAS: over SSH (paramiko, pinned host keys) or a local subprocess.

A session runs ``<command> receive`` on the NAS side and exposes its stdin/stdout
as a :class:`LineChannel`. The command is config, never built from file names.
"""

from __future__ import annotations

import logging
import os
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from typing import Protocol

from common.errors import ConnectError, RemoteError
from common.transfer.channel import FdChannel, LineChannel, fd_channel
from plotter.config import NasTarget
from plotter.link.handshake import Watchdog, config_file, connect_error
from plotter.link.remote import (
    ANNOUNCE,
    CLOSE_WAIT,
    HEAD_LIMIT,
    PID_LINE,
    TERM_WAIT,
    kill_command,
    last_line,
    still_running,
    without_announcement,
)

log = logging.getLogger(__name__)

KEEPALIVE = 15
_ENDED_BEFORE: set[str] = set()  # NAS names whose hung command this process has already reported


def report_hung(target: NasTarget, what: str) -> None:
    """A warning the first time for a NAS; later ones (send --watch retrying) only in -v."""
    level = logging.DEBUG if target.name in _ENDED_BEFORE else logging.WARNING
    _ENDED_BEFORE.add(target.name)
    log.log(level, "%s", what)


class Session(Protocol):
    target: NasTarget
    channel: LineChannel

    def ended(self, timeout: float) -> str: ...

    def alive(self) -> bool: ...

    def close(self) -> None: ...


def local_argv(target: NasTarget, args: Sequence[str]) -> list[str]:
    """``command`` split into words without a shell, then ``args``."""
    return [*shlex.split(target.command), *args]


class LocalSession:
    """``transport = local``: the receiver as a child process, no shell."""

    def __init__(self, target: NasTarget) -> None:
        self.target = target
        argv = local_argv(target, ("receive",))
        try:  # its own session: the terminal's Ctrl-C is for the plotter, which finishes the transfer
            self._proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          start_new_session=True)
        except OSError as exc:
            raise ConnectError(f"[nas {target.name}]: cannot start {argv[0]}: {exc.strerror}") from None
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._fds: FdChannel = fd_channel(self._proc.stdout.fileno(), self._proc.stdin.fileno())
        self.channel: LineChannel = self._fds

    def ended(self, timeout: float) -> str:
        """How the receiver ended (its stderr is ours, so the reason is already in the log)."""
        try:
            return f"exit status {self._proc.wait(timeout=timeout)}"
        except subprocess.TimeoutExpired:
            return "still running"

    def alive(self) -> bool:
        return self._proc.poll() is None

    def close(self) -> None:
        self._fds.shut()  # the client's inbox reads these pipes: no read after they close
        for pipe in (self._proc.stdin, self._proc.stdout):
            if pipe is not None:
                pipe.close()
        try:  # a receiver exits as soon as its stdin closes; anything else is hung
            self._proc.wait(timeout=CLOSE_WAIT)
            return
        except subprocess.TimeoutExpired:
            pass
        report_hung(self.target, f"{still_running(self.target, self._proc.pid)}: ending it")
        for sig, wait in ((signal.SIGTERM, TERM_WAIT), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(self._proc.pid, sig)  # the group: a script's children too
                self._proc.wait(timeout=wait)
                return
            except ProcessLookupError:
                return
            except subprocess.TimeoutExpired:
                continue


class SshSession:
    """``transport = ssh``: key auth, host key pinned in ``known_hosts``, keepalive."""

    def __init__(self, target: NasTarget, args: Sequence[str] = ("receive",)) -> None:
        import paramiko  # heavy: only when a transfer really happens

        self.target = target
        client = paramiko.SSHClient()
        assert target.known_hosts is not None
        with config_file(target, "known_hosts", target.known_hosts):
            client.load_host_keys(str(target.known_hosts))
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        self._client = client
        self._connect()
        transport = client.get_transport()
        assert transport is not None
        transport.set_keepalive(KEEPALIVE)
        try:
            chan = transport.open_session(timeout=target.connect_timeout)
            chan.exec_command(ANNOUNCE + " ".join([target.command, *map(shlex.quote, args)]))
        except (paramiko.SSHException, OSError) as exc:
            client.close()
            raise ConnectError(f"[nas {target.name}]: cannot run {' '.join(args)}: {exc}") from None
        self._chan = chan
        self._head = b""
        self.remote_pid: int | None = None  # the NAS login shell's, once announced
        self.channel = LineChannel(self._recv, chan.sendall)

    def _connect(self) -> None:
        import paramiko as pm

        t = self.target
        assert t.identity_file is not None
        with config_file(t, "identity_file", t.identity_file), open(t.identity_file, "rb"):
            pass  # paramiko would say only "No such file or directory"
        try:
            sock = socket.create_connection((t.host, t.port), timeout=t.connect_timeout)
        except OSError as exc:
            raise ConnectError(f"[nas {t.name}]: cannot reach {t.host}:{t.port}: {exc.strerror or exc}") from None
        # One deadline for the whole handshake: paramiko's timeouts (banner, auth, channel) each
        # start anew, and a port that accepts but never answers would cost several of them.
        watchdog = Watchdog(sock, t.connect_timeout)
        try:
            self._client.connect(
                t.host, port=t.port, username=t.user, key_filename=str(t.identity_file), sock=sock,
                timeout=t.connect_timeout, auth_timeout=t.connect_timeout,
                banner_timeout=t.connect_timeout, channel_timeout=t.connect_timeout,
                look_for_keys=False, allow_agent=False,
            )
        except (pm.SSHException, OSError, EOFError) as exc:
            self._client.close()
            raise connect_error(t, exc, watchdog.done()) from None
        finally:
            watchdog.done()

    def _recv(self, size: int, timeout: float) -> bytes:
        self._chan.settimeout(timeout)
        try:
            data = bytes(self._chan.recv(size))
        except TimeoutError:
            raise TimeoutError from None
        if self.remote_pid is None and len(self._head) < HEAD_LIMIT:
            self._head += data
            found = PID_LINE.search(self._head)
            if found and int(found.group(1)) > 1:  # never 1: `kill -- -1` is every process of the user
                self.remote_pid = int(found.group(1))
        return data

    def ended(self, timeout: float) -> str:
        """How the NAS command ended: exit status and the last line it wrote to stderr
        (a wrong ``command`` shows as ``No module named nas`` instead of a bare EOF)."""
        if not self._chan.status_event.wait(timeout):
            return "still running"
        last = last_line(self._stderr_ready())
        return f"exit status {self._chan.exit_status}" + (f": {last}" if last else "")

    def _stderr_ready(self, limit: int = 2**20) -> bytes:
        """What the command has written to stderr so far (at most about ``limit`` bytes)."""
        err = bytearray()
        while self._chan.recv_stderr_ready() and len(err) < limit:
            err += self._chan.recv_stderr(65536)
        return bytes(err)

    def alive(self) -> bool:
        transport = self._client.get_transport()
        return (transport is not None and transport.is_active() and not self._chan.closed
                and not self._chan.exit_status_ready())

    def close(self) -> None:
        import paramiko

        try:
            self._chan.shutdown_write()
            if not self._drain(CLOSE_WAIT):
                self._end_remote()
        except (OSError, EOFError, paramiko.SSHException):
            pass  # closing anyway; what the NAS logged is only informational
        finally:
            self._client.close()

    def _drain(self, wait: float) -> bool:
        """Log what the command writes to stderr until it exits (True) or ``wait`` s pass."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            err = self._stderr_ready()
            for line in err.decode("utf-8", "replace").splitlines():
                log.debug("[nas %s] %s", self.target.name, line)
            if self._chan.exit_status_ready():
                return True
            self._chan.status_event.wait(0.1)
        return self._chan.exit_status_ready()

    def _end_remote(self) -> None:
        """Signal a command that outlived its input (TERM, then KILL) through a second channel:
        closing an SSH channel without a terminal leaves its command running on the NAS."""
        pid = self.remote_pid
        message = still_running(self.target, pid)
        if pid is None:  # a forced command (drive-manager install ssh) runs the receiver, which ends itself
            report_hung(self.target, f"{message}; it did not say its pid, so it is left running there")
            return
        report_hung(self.target, f"{message}: ending it")
        transport = self._client.get_transport()
        for sig, wait in (("TERM", TERM_WAIT), ("KILL", TERM_WAIT)):
            if transport is None or not transport.is_active():
                return
            killer = transport.open_session(timeout=self.target.connect_timeout)
            try:
                killer.exec_command(kill_command(pid, sig))
                killer.status_event.wait(self.target.connect_timeout)
            finally:
                killer.close()
            if self._drain(wait):
                return
        log.warning("[nas %s]: process group %d is still there after SIGKILL", self.target.name, pid)

    def read_stdout(self, timeout: float, limit: int) -> tuple[bytes, int, bytes]:
        """The command's output (at most ``limit`` bytes, within ``timeout``), exit status and stderr."""
        deadline = time.monotonic() + timeout
        out = bytearray()
        self._chan.shutdown_write()  # no input: a forced command that expects some fails at once
        while len(out) <= limit:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            chunk = self._recv(65536, remaining)
            if not chunk:
                self._chan.settimeout(max(0.1, deadline - time.monotonic()))
                status = self._chan.recv_exit_status()
                return without_announcement(bytes(out)), status, self._stderr_ready()
            out += chunk
        raise RemoteError(f"[nas {self.target.name}]: more than {limit} bytes of output")


def run_command(target: NasTarget, args: Sequence[str], timeout: float, limit: int = 16 * 2**20) -> bytes:
    """Run ``<command> <args>`` on the NAS (same transport and host-key pinning as transfers);
    its standard output. ``args`` are fixed words, each quoted: nothing reaches a shell unquoted."""
    if target.transport == "local":
        argv = local_argv(target, args)
        try:
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ConnectError(f"[nas {target.name}]: {' '.join(args)}: {exc}") from None
        return _checked(target, args, done.stdout, done.returncode, done.stderr)
    session = SshSession(target, args)
    try:
        out, status, err = session.read_stdout(timeout, limit)
    except TimeoutError:
        raise ConnectError(f"[nas {target.name}]: {' '.join(args)} gave no answer within {timeout:.0f} s") from None
    finally:
        session.close()
    return _checked(target, args, out, status, err)


def _checked(target: NasTarget, args: Sequence[str], out: bytes, status: int, err: bytes) -> bytes:
    if status != 0:
        last = last_line(err) or f"exit status {status}"
        raise RemoteError(f"[nas {target.name}]: {' '.join(args)} failed: {last}")
    return out


def open_session(target: NasTarget) -> Session:
    if target.transport == "local":
        return LocalSession(target)
    return SshSession(target)


def connect_data(host: str, port: int, timeout: float) -> socket.socket:
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise ConnectError(f"cannot open the data connection to {host}:{port}: "
                           f"{exc.strerror or exc}") from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock
