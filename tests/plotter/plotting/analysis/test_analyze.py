"""``plot-manager analyze``'s pure part: plot records from job rows and logs, grouping, the outputs."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from plotter.plotting.analysis.analyze import (
    CSV_FIELDS,
    PlotRecord,
    PlotResult,
    job_records,
    log_records,
    render,
    seconds,
    summarize,
    to_csv,
)
from plotter.plotting.jobdb import JobRow
from tests.plotter.plotting.analysis.test_timings import CHIA

MADE, FAILED, UNFINISHED = PlotResult.MADE, PlotResult.FAILED, PlotResult.UNFINISHED  # short names for the tables below

PLOT_ID = "ab" * 32


def job_row(**changes: Any) -> JobRow:
    values: dict[str, Any] = {
        "id": 1, "job": "fast", "backend": "chia", "k": 32, "compression": 0, "tmp_dir": "/mnt/t0", "tmp2_dir": None,
        "dst_dir": "/mnt/dst", "log": "/logs/fast.log", "status_file": "/logs/fast.status", "pid": 10,
        "proc_start": 1, "started_at": 1000.0, "state": "done", "phase": "5:2", "plot_id": PLOT_ID,
        "plot_path": f"/mnt/dst/plot-k32-2026-01-01-10-00-{PLOT_ID}.plot", "plot_bytes": 108 * 10**9,
        "tmp_peak": 0, "returncode": 0, "ended_at": 3800.0, "reason": None,
    }
    values.update(changes)
    return JobRow(**values)


def record(result: PlotResult = MADE, total: float | None = 100.0, job: str | None = "fast", tmp: str | None = "/t0",
           phases: tuple[float | None, ...] = (40.0, 20.0, 30.0, 10.0), backend: str = "chia") -> PlotRecord:
    one, two, three, four = phases
    return PlotRecord(backend=backend, job=job, tmp_dir=tmp, plot=None, k=32, phases=(one, two, three, four),
                      total=total, started_at=None, result=result)


def test_a_job_takes_the_plotters_durations_and_its_row() -> None:
    [plot] = job_records(job_row(), CHIA)
    assert plot.phases == (1188.5, 600.0, 900.25, 60.0) and plot.total == 2748.75
    assert (plot.backend, plot.job, plot.tmp_dir, plot.k, plot.result) == ("chia", "fast", "/mnt/t0", 32, MADE)
    assert plot.plot == f"plot-k32-2026-01-01-10-00-{PLOT_ID}.plot" and plot.started_at == 1000.0


def test_without_a_total_line_the_total_is_the_jobs_run_time() -> None:
    [plot] = job_records(job_row(state="failed", ended_at=1500.0, plot_path=None), CHIA[:5])
    assert plot.total == 500.0 and plot.result == FAILED and plot.plot == PLOT_ID
    assert plot.phases == (1188.5, 600.0, None, None)


def test_a_running_job_without_a_log_yet_is_unfinished_with_no_times() -> None:
    [plot] = job_records(job_row(state="running", ended_at=None), [])
    assert plot.result == UNFINISHED and plot.total is None and plot.phases == (None,) * 4


def test_a_log_alone_is_made_once_the_plotter_reports_its_total() -> None:
    [done] = log_records(CHIA)
    assert (done.backend, done.job, done.tmp_dir, done.result, done.total) == ("chia", None, None, MADE, 2748.75)
    [cut] = log_records(CHIA[:5])
    assert cut.result == UNFINISHED and cut.total is None and cut.phases[:2] == (1188.5, 600.0)


def test_a_file_no_plotter_wrote_gives_nothing() -> None:
    assert log_records(["hello", "Total time = 5 seconds"]) == []


def test_groups_count_made_failed_unfinished_and_time_only_the_plots_made() -> None:
    records = [record(total=100.0), record(total=200.0, phases=(80.0, 40.0, 60.0, None)),
               record(FAILED, total=5.0, phases=(5.0, None, None, None)), record(UNFINISHED, total=None),
               record(tmp="/t1", total=300.0), record(backend="madmax", job=None, tmp=None, total=50.0)]
    chia_t0, chia_t1, madmax = summarize(records)
    assert (chia_t0["made"], chia_t0["failed"], chia_t0["unfinished"]) == (2, 1, 1)
    assert (chia_t0["total_mean"], chia_t0["total_min"], chia_t0["total_max"]) == (150.0, 100.0, 200.0)
    assert [chia_t0[f"phase{n}_mean"] for n in (1, 2, 3, 4)] == [60.0, 30.0, 45.0, 10.0]
    assert (chia_t1["tmp_dir"], chia_t1["made"], chia_t1["total_mean"]) == ("/t1", 1, 300.0)
    assert (madmax["backend"], madmax["job"], madmax["tmp_dir"], madmax["made"]) == ("madmax", None, None, 1)


def test_a_group_with_nothing_made_has_no_times() -> None:
    [only] = summarize([record(FAILED), record(FAILED)])
    assert only["made"] == 0 and only["failed"] == 2
    assert only["total_mean"] is None and only["total_min"] is None and only["phase1_mean"] is None


def test_the_table_shows_each_group_and_says_when_there_is_nothing() -> None:
    text = render(summarize([record(), record(FAILED), record(backend="bladebit-disk", job=None, tmp=None,
                                                                  phases=(1.0, 2.0, 3.0, None), total=6.0)]))
    header, bladebit, chia = text.splitlines()
    assert header.split()[:6] == ["backend", "job", "tmp_dir", "made", "failed", "unfinished"]
    assert bladebit.split() == ["bladebit-disk", "-", "-", "1", "0", "0", "6.0s", "6.0s", "6.0s", "1.0s", "2.0s",
                                "3.0s", "-"]
    assert chia.split()[:6] == ["chia", "fast", "/t0", "1", "1", "0"]
    assert render([]) == "no plot jobs or plotter logs yet"


@pytest.mark.parametrize(("value", "text"), [(None, "-"), (0.25, "0.2s"), (59.94, "59.9s"), (61.0, "1:01"),
                                             (3 * 3600 + 5, "3:00:05")])
def test_seconds_read_short_and_long(value: float | None, text: str) -> None:
    assert seconds(value) == text


def test_csv_one_line_per_plot_with_empty_unknowns() -> None:
    rows = list(csv.reader(io.StringIO(to_csv([*job_records(job_row(), CHIA), *log_records(CHIA[:5])]))))
    assert rows[0] == list(CSV_FIELDS)
    job, alone = (dict(zip(CSV_FIELDS, row, strict=True)) for row in rows[1:])
    assert (job["backend"], job["job"], job["tmp_dir"], job["k"], job["result"]) == ("chia", "fast", "/mnt/t0", "32",
                                                                                    "made")
    assert (job["phase1"], job["phase4"], job["total"]) == ("1188.500", "60.000", "2748.750")
    assert job["started_at"][:4] == "1970"
    assert (alone["job"], alone["tmp_dir"], alone["k"], alone["phase3"], alone["total"], alone["started_at"],
            alone["result"]) == ("", "", "", "", "", "", "unfinished")
