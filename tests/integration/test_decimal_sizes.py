"""Sizes are decimal everywhere a person reads them (kB, MB, GB, TB: powers of 1000, as on drive
labels): the plotter's log and status, the NAS's status and its daily report. JSON stays in bytes."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from common.units import size
from tests.helpers import make_nas, make_plotter, run_cli

CopyPlots = Callable[..., list[Path]]
BINARY = re.compile(r"\d\s?[KMGT]iB\b")


def test_logs_status_and_reports_print_decimal_units(tmp_path: Path, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    first, second = copy_plots(plotter.dst, 2)
    shown = size(first.stat().st_size)  # a k18 plot: "4.1 MB", where binary units said "3.9 MiB"
    assert shown.endswith(" MB")
    waiting = run_cli("plotter", "--config", str(plotter.ini), "status")
    for plot in (first, second):
        assert f"{plot.name}  {size(plot.stat().st_size):>9}" in waiting.stdout, waiting.stdout
    assert not BINARY.search(waiting.stdout)
    as_json = json.loads(run_cli("plotter", "--config", str(plotter.ini), "status", "--json").stdout)
    assert sorted(p["bytes"] for p in as_json["waiting"]) == sorted(p.stat().st_size for p in (first, second))
    shutil.move(str(second), tmp_path / "aside")  # one plot on the NAS, one still to send
    sent = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")
    assert sent.returncode == 0, sent.stderr
    assert f"sending {first.name} ({shown}) to nas01:" in sent.stderr and not BINARY.search(sent.stderr)
    status = run_cli("nas", "--config", str(nas.ini), "status")
    assert status.returncode == 0 and f"plots: 1 ({shown})" in status.stdout, status.stdout
    assert not BINARY.search(status.stdout)
    report = run_cli("nas", "--config", str(nas.ini), "report", "daily", "--print")
    assert report.returncode == 0, report.stderr
    assert "TB" in report.stdout and not BINARY.search(report.stdout) and "TiB" not in report.stdout, report.stdout
