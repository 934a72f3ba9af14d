"""A plot a job made is sent at once; the two plotting alerts render."""

from __future__ import annotations

from pathlib import Path

from common.notify.base import Notice, SendMode
from common.notify.render import render
from common.plotformat.plotfile import parse_name
from plotter.plotting.jobdb import JobState, finished_plots, opened
from plotter.plotting.space import backpressure
from plotter.send.discover import Seen, split_finished

NAME = "plot-k18-2026-11-22-01-29-" + "ab" * 32 + ".plot"


def test_a_plot_made_by_a_job_that_exited_0_skips_min_plot_age(tmp_path: Path) -> None:
    plot = tmp_path / NAME
    with opened(tmp_path) as db:
        db.insert(job="a", backend="chia", k=18, compression=0, dst_dir=str(tmp_path), log="x", status_file="y",
                  started_at=1.0, state=JobState.DONE, returncode=0, ended_at=2e9, plot_path=str(plot))
    seen = [Seen(plot, 100, 1000.0, parse_name(NAME))]
    made = finished_plots(tmp_path)
    assert made == {plot}
    assert split_finished(seen, 1001.0, 60.0, set(), made)[0] == seen
    assert split_finished(seen, 1001.0, 60.0, set())[0] == []  # any other plot still waits min_plot_age
    assert split_finished(seen, 1001.0, 60.0, {plot}, made)[0] == []  # open for writing: never
    assert finished_plots(tmp_path / "nothing-here") == set()
    assert not (tmp_path / "nothing-here").exists()


def test_plotting_alerts_render() -> None:
    failed = Notice(kind="plot_failed", key="plot_failed:3", title="plot job 3 (a) failed", standing=False,
                    text="exit code 2; log /l", context={"id": 3, "job": "a", "backend": "chia", "k": 32,
                                                         "reason": "exit code 2", "log": "/l", "tmp_dir": "/t",
                                                         "dst_dir": "/d", "removed": 4})
    message = render(failed, SendMode.ONCE, "plotter1")
    assert "failed: exit code 2" in message.text and "4 temp file(s) removed" in message.html
    reason = backpressure(9, 8)
    assert reason is not None
    paused = Notice(kind="plotting_paused", key="plotting_paused", title="plotting is paused", text=reason,
                    context={"reason": reason})
    assert "9 finished plots wait to be sent" in render(paused, SendMode.NEW, "plotter1").text
