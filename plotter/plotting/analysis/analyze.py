"""``plot-manager analyze [--json | --csv]``: plots made and how long they took, per backend, job and
tmp dir, from the jobs table and the plotter logs. Pure functions here; the reading is in
:mod:`plotter.plotting.analysis.analyzeio`.

One :class:`PlotRecord` per plot: a job of the jobs table (its backend, job name, tmp dir, k, start
and state), or a plotter log in ``log_dir`` that no job row names (backend recognized from the log,
job and tmp dir unknown). Its result is ``made`` (job state ``done``; for a log alone: the plotter
reported its total time or reached phase 5), ``failed`` (job state ``failed``), or ``unfinished``
(a job still running, a log that stops part way). Durations are the plotter's own (see
:mod:`plotter.plotting.analysis.timings`); the total falls back to the job's ``ended_at - started_at``.

``--json`` prints a list of objects, one per (backend, job, tmp_dir), sorted by those three:

- ``backend``, ``job``, ``tmp_dir``: strings; ``job`` and ``tmp_dir`` are null for logs without a job row;
- ``made``, ``failed``, ``unfinished``: plot counts;
- ``total_mean``, ``total_min``, ``total_max``: seconds, over the plots made (null if none has a total);
- ``phase1_mean`` .. ``phase4_mean``: seconds, over the plots made that reported that phase (null if
  none did: bladebit's disk and CUDA plotters have no phase 4).

``--csv`` prints one line per plot: backend, job, tmp_dir, plot (file name or plot id), k, phase1 ..
phase4 and total (seconds), started_at (local time, ISO 8601), result; unknown values are empty.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from statistics import fmean
from typing import Any

from common.ui.viewtext import duration
from plotter.plotting import logs
from plotter.plotting.analysis.timings import PHASES, Timing, timings
from plotter.plotting.jobdb import JobRow, JobState


class PlotResult(StrEnum):
    """What became of one plot (see the module doc); the values are those in the JSON and the CSV."""

    MADE = "made"
    FAILED = "failed"
    UNFINISHED = "unfinished"


CSV_FIELDS = ("backend", "job", "tmp_dir", "plot", "k", "phase1", "phase2", "phase3", "phase4", "total",
              "started_at", "result")
TABLE_COLUMNS = ("backend", "job", "tmp_dir", "made", "failed", "unfinished", "total mean", "min", "max",
                 "phase 1", "phase 2", "phase 3", "phase 4")

GroupKey = tuple[str, str | None, str | None]
_K_RE = re.compile(r"\bplot-(?:mmx-)?k(\d+)-")


@dataclass(frozen=True)
class PlotRecord:
    backend: str
    job: str | None
    tmp_dir: str | None
    plot: str | None
    k: int | None
    phases: tuple[float | None, float | None, float | None, float | None]
    total: float | None
    started_at: float | None
    result: PlotResult

    @property
    def key(self) -> GroupKey:
        return (self.backend, self.job, self.tmp_dir)


def result_of_state(state: JobState) -> PlotResult:
    """A job row's state as a plot result: only ``done`` made a plot."""
    return {JobState.DONE: PlotResult.MADE, JobState.FAILED: PlotResult.FAILED}.get(state, PlotResult.UNFINISHED)


def job_records(row: JobRow, lines: Sequence[str]) -> list[PlotRecord]:
    """The plot(s) of one job row (one: the scheduler runs ``-n 1``), its log's lines given."""
    found = timings(lines, logs.format_for(row.backend).name) or [Timing()]
    elapsed = row.ended_at - row.started_at if row.ended_at is not None else None
    plot = row.plot_path.rsplit("/", 1)[-1] if row.plot_path else row.plot_id
    return [PlotRecord(backend=row.backend, job=row.job, tmp_dir=row.tmp_dir, plot=plot, k=row.k,
                       phases=_phases(t), started_at=row.started_at, result=result_of_state(row.state),
                       total=t.total if t.total is not None or len(found) > 1 else elapsed)
            for t in found]


def log_records(lines: Sequence[str]) -> list[PlotRecord]:
    """The plot(s) of a log no job row names; [] if it is not a known plotter's log."""
    fmt = logs.detect(lines)
    if fmt is None:
        return []
    found = timings(lines, fmt.name) or [Timing()]
    reached_end = logs.current_phase(lines, None).plotting_done
    plot = logs.plot_id(lines, None)
    k_match = next((m for m in map(_K_RE.search, lines) if m is not None), None)
    return [PlotRecord(backend=fmt.name, job=None, tmp_dir=None, plot=plot if len(found) == 1 else None,
                       k=int(k_match.group(1)) if k_match else None, phases=_phases(t), total=t.total,
                       started_at=None,
                       result=PlotResult.MADE if t.total is not None or (i == len(found) - 1 and reached_end)
                       else PlotResult.UNFINISHED)
            for i, t in enumerate(found)]


def _phases(timing: Timing) -> tuple[float | None, float | None, float | None, float | None]:
    one, two, three, four = (timing.phase(n) for n in PHASES)
    return (one, two, three, four)


def summarize(records: Iterable[PlotRecord]) -> list[dict[str, Any]]:
    """One summary per (backend, job, tmp_dir), sorted by those (None first); the --json objects."""
    groups: dict[GroupKey, list[PlotRecord]] = {}
    for record in records:
        groups.setdefault(record.key, []).append(record)
    return [_summary(key, groups[key]) for key in sorted(groups, key=_sort_key)]


def _sort_key(key: GroupKey) -> tuple[str, str, str]:
    return (key[0], key[1] or "", key[2] or "")


def _summary(key: GroupKey, records: Sequence[PlotRecord]) -> dict[str, Any]:
    made = [r for r in records if r.result == PlotResult.MADE]
    totals = [r.total for r in made if r.total is not None]
    summary: dict[str, Any] = {
        "backend": key[0], "job": key[1], "tmp_dir": key[2], "made": len(made),
        "failed": sum(1 for r in records if r.result == PlotResult.FAILED),
        "unfinished": sum(1 for r in records if r.result == PlotResult.UNFINISHED),
        "total_mean": _mean(totals), "total_min": min(totals, default=None), "total_max": max(totals, default=None),
    }
    for number in PHASES:
        summary[f"phase{number}_mean"] = _mean([s for r in made if (s := r.phases[number - 1]) is not None])
    return summary


def _mean(values: Sequence[float]) -> float | None:
    return round(fmean(values), 3) if values else None


def seconds(value: float | None) -> str:
    """Short durations keep a decimal (a k18 phase takes well under a second), long ones read h:mm:ss."""
    if value is None:
        return "-"
    return f"{value:.1f}s" if value < 60 else duration(value)


def render(summaries: Sequence[dict[str, Any]]) -> str:
    if not summaries:
        return "no plot jobs or plotter logs yet"
    table = [list(TABLE_COLUMNS)] + [_cells(s) for s in summaries]
    widths = [max(len(row[i]) for row in table) for i in range(len(TABLE_COLUMNS))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                     for row in table)


def _cells(s: dict[str, Any]) -> list[str]:
    times = [s["total_mean"], s["total_min"], s["total_max"], *(s[f"phase{n}_mean"] for n in PHASES)]
    return [s["backend"], s["job"] or "-", s["tmp_dir"] or "-", str(s["made"]), str(s["failed"]),
            str(s["unfinished"]), *(seconds(t) for t in times)]


def to_csv(records: Iterable[PlotRecord]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for r in records:
        started = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(r.started_at)) if r.started_at else ""
        writer.writerow([r.backend, r.job or "", r.tmp_dir or "", r.plot or "", "" if r.k is None else r.k,
                         *(_csv_seconds(p) for p in r.phases), _csv_seconds(r.total), started, r.result])
    return out.getvalue()


def _csv_seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"
