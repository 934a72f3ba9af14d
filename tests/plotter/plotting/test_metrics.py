"""Plot-job metrics and the farm report's plots-made line, from job rows. Pure."""

from __future__ import annotations

from dataclasses import replace

from common.metrics import render
from plotter.plotting.jobdb import JobRow, JobState
from plotter.plotting.metrics import job_families, made_since
from plotter.plotting.phase import Phase

BASE = JobRow(id=1, job="a", backend="chia", k=32, compression=0, tmp_dir="/t0", tmp2_dir=None, dst_dir="/d",
              log="", status_file="", pid=None, proc_start=None, started_at=1000.0, state=JobState.DONE, phase="5:2",
              plot_id=None, plot_path=None, plot_bytes=None, tmp_peak=0, returncode=0, ended_at=4600.0, reason=None)
ROWS = [
    BASE,
    replace(BASE, id=2, started_at=5000.0, ended_at=12200.0),
    replace(BASE, id=3, state=JobState.FAILED, returncode=1, ended_at=5100.0),
    replace(BASE, id=4, state=JobState.RUNNING, ended_at=None, phase="1:3"),
    replace(BASE, id=5, state=JobState.SUSPENDED, ended_at=None, phase="3:1"),
]


def test_made_since_counts_what_ended_in_the_window() -> None:
    made = made_since(ROWS, since=4700.0)
    assert (made.plots, made.failed, made.mean_seconds) == (1, 1, 7200.0)
    assert made_since(ROWS, since=0.0).mean_seconds == (3600.0 + 7200.0) / 2
    assert made_since([], since=0.0).mean_seconds is None


def test_job_families_by_phase_and_state() -> None:
    text = render(job_families(ROWS, {4: Phase(2, 1)}))  # job 4's log says phase 2 by now
    assert 'chia_plotter_jobs{phase="2",state="running"} 1' in text
    assert 'chia_plotter_jobs{phase="1",state="running"} 0' in text
    assert 'chia_plotter_jobs{phase="3",state="suspended"} 1' in text
    assert "chia_plotter_plots_made_total 2" in text and "chia_plotter_plots_failed_total 1" in text
    assert "chia_plotter_plot_seconds_total 10800" in text and "chia_plotter_last_plot_seconds 7200" in text
