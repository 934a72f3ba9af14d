"""Progress of running transfers: published for ``status --json`` during a rate-limited transfer,
a live bar on a terminal (pseudo-terminal) and none on a pipe, and what Ctrl-C / SIGTERM do."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from plotter.send.progress import Snapshot, TransferProgress, measure
from tests.helpers import (
    ROOT,
    NasSetup,
    PlotterSetup,
    make_nas,
    make_plotter,
    popen_cli,
    read_stderr_until,
    run_cli,
    wait_for,
)

CopyPlots = Callable[..., list[Path]]


def test_rate_and_eta_are_measured_from_the_start() -> None:
    start = Snapshot("p.plot", "nas01", "/mnt/d1", 1000, 0, 0.0, None, started_at=100.0)
    half = measure(start, 500, now=110.0)
    assert (half.bytes_done, half.mb_per_s, half.eta_seconds) == (500, 0.0, 10.0)  # 50 B/s: 10 s left
    assert half.percent == 50.0
    assert measure(start, 0, now=100.0).eta_seconds is None


def test_published_at_most_once_a_second_and_removed_at_the_end(tmp_path: Path) -> None:
    now = [100.0]
    seen: list[int] = []
    progress = TransferProgress(tmp_path, Snapshot("p.plot", "nas01", "/mnt/d1", 1000, 0, 0.0, None, 100.0),
                                lambda s: seen.append(s.bytes_done), clock=lambda: now[0])
    progress.start()
    file = tmp_path / "running" / "p.plot.json"
    for done in (100, 200, 300):
        now[0] += 0.3
        progress(done)
    assert json.loads(file.read_text())["bytes_done"] == 0  # written at the start, not again within the second
    now[0] += 1.0
    progress(400)
    assert json.loads(file.read_text())["bytes_done"] == 400
    progress(1000)
    assert json.loads(file.read_text())["bytes_done"] == 1000  # the end is always written
    assert seen == [0, 100, 200, 300, 400, 1000]  # the live display sees every step
    progress.close()
    assert not file.exists()


def slow_setup(tmp_path: Path, copy_plots: CopyPlots, count: int = 1,
               bwlimit: str = "1MB") -> tuple[NasSetup, PlotterSetup, list[Path]]:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None, extra_plotter=f"bwlimit = {bwlimit}\n")
    return nas, plotter, copy_plots(plotter.dst, count)


def running_now(plotter: PlotterSetup) -> list[dict[str, object]]:
    status = run_cli("plotter", "--config", str(plotter.ini), "status", "--json")
    assert status.returncode == 0, status.stderr
    running: list[dict[str, object]] = json.loads(status.stdout)["running"]
    return running


@pytest.mark.slow
def test_status_json_shows_a_running_transfer(tmp_path: Path, copy_plots: CopyPlots) -> None:
    nas, plotter, (plot,) = slow_setup(tmp_path, copy_plots)
    size = plot.stat().st_size
    sender = popen_cli("plotter", "--config", str(plotter.ini), "send", "--once")
    try:
        entry = wait_for(lambda: [r for r in running_now(plotter) if int(str(r["bytes_done"])) > 0], 30,
                         "a running transfer with bytes done")[0]  # type: ignore[index]
        assert entry["name"] == plot.name and entry["nas"] == "nas01" and entry["drive"] == str(nas.drives[0])
        assert entry["bytes"] == size and 0 < entry["bytes_done"] < size
        assert 0 < entry["mb_per_s"] < 5 and entry["eta_seconds"] > 0  # bwlimit 1 MB/s
        assert time.time() - 30 < entry["started_at"] <= time.time()
    finally:
        assert sender.wait(timeout=60) == 0
    assert running_now(plotter) == []
    assert list((plotter.state / "running").glob("*.json")) == []
    text = run_cli("plotter", "--config", str(plotter.ini), "status")
    assert "Transfers running: 0" in text.stdout


def read_pty(fd: int, proc: subprocess.Popen[bytes], timeout: float) -> bytes:
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                break
            out += chunk
        elif proc.poll() is not None:
            break
    return out


@pytest.mark.slow
def test_a_terminal_gets_a_live_bar_and_a_pipe_does_not(tmp_path: Path, copy_plots: CopyPlots) -> None:
    _, plotter, (plot,) = slow_setup(tmp_path, copy_plots)
    primary, secondary = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "plotter", "--config", str(plotter.ini), "send", "--once"],
                            stdin=subprocess.DEVNULL, stdout=secondary, stderr=secondary, cwd=ROOT,
                            env={**os.environ, "COLUMNS": "160", "TERM": "xterm"})
    os.close(secondary)
    try:
        screen = read_pty(primary, proc, 60).decode(errors="replace")
    finally:
        os.close(primary)
        assert proc.wait(timeout=60) == 0
    assert f"{plot.name[:20]}" in screen and "-> nas01:drive1" in screen
    assert "MB/s" in screen and "%" in screen and "\x1b[" in screen  # a drawn, refreshed bar
    assert "sent plot-" in screen  # the log line, printed above the bar

    _, piped, _ = slow_setup(tmp_path / "again", copy_plots)
    result = run_cli("plotter", "--config", str(piped.ini), "send", "--once")
    assert result.returncode == 0 and "\x1b[" not in result.stderr and "sent plot-" in result.stderr


@pytest.mark.slow
def test_first_ctrl_c_finishes_the_transfer_and_starts_no_other(tmp_path: Path, copy_plots: CopyPlots) -> None:
    nas, plotter, _ = slow_setup(tmp_path, copy_plots, count=2)
    watcher = popen_cli("plotter", "--config", str(plotter.ini), "send", "--watch")
    wait_for(lambda: running_now(plotter), 30, "a transfer to start")
    watcher.send_signal(signal.SIGINT)
    _, stderr = watcher.communicate(timeout=60)
    assert watcher.returncode == 0, stderr
    assert "finishing the current transfer(s); Ctrl-C again to abort" in stderr
    assert len(nas.plots()) == 1 and len(plotter.plots()) == 1  # one finished, the other not started


@pytest.mark.slow
def test_second_ctrl_c_aborts_and_keeps_the_source(tmp_path: Path, copy_plots: CopyPlots) -> None:
    # 16 s a plot: the abort comes long before the stream could end, however loaded the machine.
    nas, plotter, (plot,) = slow_setup(tmp_path, copy_plots, bwlimit="250kB")
    sender = popen_cli("plotter", "--config", str(plotter.ini), "send", "--once")
    wait_for(lambda: running_now(plotter), 30, "a transfer to start")
    sender.send_signal(signal.SIGINT)
    # Signals do not queue: the second Ctrl-C goes only once the first was taken.
    first = read_stderr_until(sender, lambda text: "Ctrl-C again to abort" in text, 30)
    sender.send_signal(signal.SIGINT)
    _, stderr = sender.communicate(timeout=60)
    assert sender.returncode == 130 and "aborted" in first + stderr
    assert plot.exists() and nas.plots() == []
    wait_for(lambda: nas.parts() == [], 30, "the NAS to drop its .part")


@pytest.mark.slow
def test_sigterm_finishes_the_transfer_then_exits_0(tmp_path: Path, copy_plots: CopyPlots) -> None:
    nas, plotter, (plot,) = slow_setup(tmp_path, copy_plots)
    watcher = popen_cli("plotter", "--config", str(plotter.ini), "send", "--watch")
    wait_for(lambda: running_now(plotter), 30, "a transfer to start")
    watcher.send_signal(signal.SIGTERM)
    _, stderr = watcher.communicate(timeout=60)
    assert watcher.returncode == 0, stderr
    assert "SIGTERM: finishing the current transfer(s), then exiting" in stderr
    assert [p.name for p in nas.plots()] == [plot.name] and not plot.exists()
