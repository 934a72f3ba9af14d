"""``send --watch`` while the NAS is down: one warning when it goes, one line when it is back,
no error or summary per plot and poll, and no failed transfer for plots never attempted."""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import make_nas, make_plotter, popen_cli, read_stderr_until, run_cli

CopyPlots = Callable[..., list[Path]]


@pytest.mark.slow
def test_a_nas_down_then_back_is_two_lines_not_one_per_poll(tmp_path: Path, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None, extra_plotter="poll_interval = 0.1\n")
    gate = tmp_path / "nas-command"  # the NAS command does not exist yet: the NAS is down
    plotter.ini.write_text(plotter.ini.read_text().replace(f"command = {nas.command}", f"command = {gate}"))
    plots = copy_plots(plotter.dst, 2)
    watcher = popen_cli("plotter", "--config", str(plotter.ini), "-v", "send", "--watch")
    try:
        # -v shows one debug line per round that skips the down NAS: wait for five rounds.
        down = read_stderr_until(watcher, lambda text: text.count("no NAS reachable") >= 5 * len(plots), 60)
        gate.write_text(f"#!/bin/sh\nexec {sys.executable} -m nas --config {nas.ini} \"$@\"\n")
        gate.chmod(0o755)
        back = read_stderr_until(watcher, lambda text: text.count("source deleted") == len(plots), 60)
    finally:
        watcher.send_signal(signal.SIGTERM)
        _, rest = watcher.communicate(timeout=60)
    lines = [line for line in (down + back + rest).splitlines() if " DEBUG " not in line]
    assert sum("NAS nas01 is unreachable" in line for line in lines) == 1
    assert sum("NAS nas01 is reachable again" in line for line in lines) == 1
    assert not [line for line in lines if " ERROR " in line or "not sent" in line], lines
    assert not [line for line in lines if "sent 0, failed 0" in line]  # no empty summary per poll
    assert sorted(p.name for p in nas.plots()) == sorted(p.name for p in plots)
    recent = json.loads(run_cli("plotter", "--config", str(plotter.ini), "status", "--json").stdout)["recent"]
    assert [r["result"] for r in recent] == ["ok", "ok"]  # the polls while it was down left no rows
