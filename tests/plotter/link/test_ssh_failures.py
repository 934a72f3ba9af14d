"""SSH failures as a farmer meets them: a NAS port that accepts but never answers, a host key that
is unknown or changed, a key file the config names that is not there. Real sshd, real sockets."""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers import NasSetup, PlotterSetup, make_nas, make_plotter, popen_cli, run_cli, wait_for
from tests.sshd import LocalSshd, keygen

CopyPlots = Callable[..., list[Path]]


class SilentListener:
    """A 127.0.0.1 port that accepts TCP connections and never says a word (a hung sshd)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port: int = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted.append(conn)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        for conn in [*self.accepted, self.sock]:
            conn.close()


@pytest.fixture
def silent() -> Iterator[SilentListener]:
    listener = SilentListener()
    yield listener
    listener.close()


def ssh_plotter(tmp_path: Path, sshd: LocalSshd, extra: str = "") -> tuple[NasSetup, PlotterSetup]:
    nas = make_nas(tmp_path / "nas", drives=1)
    return nas, make_plotter(tmp_path / "plotter", nas, sshd, extra_plotter=extra)


def edit(plotter: PlotterSetup, old: str, new: str) -> None:
    text = plotter.ini.read_text()
    assert old in text
    plotter.ini.write_text(text.replace(old, new))


def naming_the_nas(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "nas01" in line]


@pytest.mark.slow
def test_a_silent_nas_is_one_line_without_traceback_within_connect_timeout(
        tmp_path: Path, sshd: LocalSshd, silent: SilentListener, copy_plots: CopyPlots) -> None:
    _, plotter = ssh_plotter(tmp_path, sshd)
    edit(plotter, f"port = {sshd.port}", f"port = {silent.port}")
    edit(plotter, "connect_timeout = 10", "connect_timeout = 2")
    plots = copy_plots(plotter.dst, 1)
    started = time.monotonic()
    done = run_cli("plotter", "--config", str(plotter.ini), "send", "--once", timeout=60)
    elapsed = time.monotonic() - started
    assert done.returncode == 10, done.stderr
    assert elapsed < 2 + 6, elapsed  # connect_timeout, plus the interpreter's start
    assert "Traceback" not in done.stderr and "paramiko" not in done.stderr, done.stderr
    lines = naming_the_nas(done.stderr)
    assert len(lines) == 1, done.stderr
    assert "unreachable" in lines[0] and "within 2 s" in lines[0]
    assert silent.accepted  # it really connected and waited
    assert plots[0].exists()


@pytest.mark.slow
def test_send_watch_against_a_silent_nas_says_it_once(
        tmp_path: Path, sshd: LocalSshd, silent: SilentListener, copy_plots: CopyPlots) -> None:
    _, plotter = ssh_plotter(tmp_path, sshd, extra="poll_interval = 0.2\n")
    edit(plotter, f"port = {sshd.port}", f"port = {silent.port}")
    edit(plotter, "connect_timeout = 10", "connect_timeout = 1")
    plots = copy_plots(plotter.dst, 1)
    watcher = popen_cli("plotter", "--config", str(plotter.ini), "send", "--watch")
    try:
        wait_for(lambda: len(silent.accepted) >= 4, 60, "four rounds of send --watch to try the silent NAS")
    finally:
        watcher.send_signal(signal.SIGTERM)
        _, stderr = watcher.communicate(timeout=60)
    assert "Traceback" not in stderr and "paramiko" not in stderr, stderr
    assert len(naming_the_nas(stderr)) == 1, stderr
    assert plots[0].exists()


def test_an_unknown_or_changed_host_key_exits_11(tmp_path: Path, sshd: LocalSshd, copy_plots: CopyPlots) -> None:
    nas, plotter = ssh_plotter(tmp_path, sshd)
    plots = copy_plots(plotter.dst, 1)
    other = keygen(tmp_path / "other_host_key").with_suffix(".pub").read_text().split()
    changed = tmp_path / "changed_known_hosts"
    changed.write_text(f"[127.0.0.1]:{sshd.port} {other[0]} {other[1]}\n")
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    current = str(sshd.known_hosts)
    for known_hosts, says in ((changed, "does not match"), (empty, "is not in")):
        edit(plotter, f"known_hosts = {current}", f"known_hosts = {known_hosts}")
        current = str(known_hosts)
        done = run_cli("plotter", "--config", str(plotter.ini), "send", "--once", timeout=60)
        assert done.returncode == 11, done.stderr
        assert "Traceback" not in done.stderr
        assert any(says in line for line in naming_the_nas(done.stderr)), done.stderr
        assert plots[0].exists() and not nas.plots()


@pytest.mark.parametrize("key", ["identity_file", "known_hosts"])
def test_a_missing_key_file_is_a_config_error(tmp_path: Path, sshd: LocalSshd, copy_plots: CopyPlots,
                                              key: str) -> None:
    nas, plotter = ssh_plotter(tmp_path, sshd)
    plots = copy_plots(plotter.dst, 1)
    missing = tmp_path / "no-such-file"
    current = sshd.client_key if key == "identity_file" else sshd.known_hosts
    edit(plotter, f"{key} = {current}", f"{key} = {missing}")
    done = run_cli("plotter", "--config", str(plotter.ini), "send", "--once", timeout=60)
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr and "unreachable" not in done.stderr, done.stderr
    error = done.stderr.strip().splitlines()[-1]
    assert f"{plotter.ini}: [nas nas01] {key}: cannot read {missing}" in error, done.stderr
    assert plots[0].exists() and not nas.plots()
