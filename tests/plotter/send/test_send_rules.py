"""Which plots ``send --once`` touches, and ``send --watch``."""

from __future__ import annotations

import signal
import sqlite3
from collections.abc import Callable
from pathlib import Path

from common.transfer.stream import hash_file
from tests.helpers import make_nas, make_plotter, popen_cli, run_cli, wait_for

CopyPlots = Callable[..., list[Path]]


def test_unfinished_and_invalid_plots_are_left_alone(tmp_path: Path, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    good, open_plot = copy_plots(plotter.dst, 2)
    bad = plotter.dst / f"plot-k18-2026-01-01-00-00-{'ef' * 32}.plot"  # header id != name id
    bad.write_bytes(good.read_bytes())
    digests = {p: hash_file(str(p)) for p in (open_plot, bad)}

    with open(open_plot, "ab"):  # a plotter still writing it
        first = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")
    second = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")

    assert first.returncode == 0, first.stderr
    assert [p.name for p in nas.plots()] == sorted([good.name, open_plot.name])  # the 2nd run sent it
    assert bad.exists() and hash_file(str(bad)) == digests[bad]
    assert sum(bad.name in line for line in first.stderr.splitlines()) == 1
    assert "differs from the name" in first.stderr
    assert bad.name not in second.stderr  # reported once, not every cron run


def test_min_plot_age_holds_back_fresh_plots(tmp_path: Path, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    plotter.ini.write_text(plotter.ini.read_text().replace("min_plot_age = 0", "min_plot_age = 1h"))
    (source,) = copy_plots(plotter.dst, 1)
    source.touch()

    result = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")

    assert result.returncode == 0
    assert source.exists() and nas.plots() == []


def test_nothing_to_do_exits_zero_quietly(tmp_path: Path) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    result = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")
    assert result.returncode == 0 and result.stderr == ""


def test_failed_send_exits_non_zero_and_keeps_plot(tmp_path: Path, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    nas.drives[0].rmdir()  # no drive at all
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    (source,) = copy_plots(plotter.dst, 1)

    result = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")

    assert result.returncode == 14  # the README's table: no drive or NAS has room
    assert "no drive can take" in result.stderr and source.exists()
    with sqlite3.connect(plotter.state / "plotter.sqlite") as conn:
        (row,) = conn.execute("SELECT result, error FROM transfers").fetchall()
    assert row[0] == "failed" and "no drive can take" in row[1]


def test_watch_sends_plots_as_they_appear(tmp_path: Path, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None, extra_plotter="poll_interval = 0.2")
    watcher = popen_cli("plotter", "--config", str(plotter.ini), "send", "--watch")
    try:
        (first,) = copy_plots(plotter.dst, 1)
        wait_for(lambda: [p.name for p in nas.plots()] == [first.name], 60, "the first plot to arrive")
        (second,) = copy_plots(plotter.dst, 1, start=1)
        wait_for(lambda: second.name in [p.name for p in nas.plots()], 60, "the second plot to arrive")
    finally:
        watcher.send_signal(signal.SIGTERM)
        watcher.communicate(timeout=60)
    assert watcher.returncode == 0
    assert plotter.plots() == []
