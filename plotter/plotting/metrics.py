"""What the plot jobs did, for the metrics and the farm report: jobs by phase, plots made and
failed, plot time. Pure over job rows; :func:`job_rows` and :func:`live_phases` are the I/O."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from common.metrics import Family, counter, gauge
from plotter.config import PlotterConfig
from plotter.plotting.jobdb import JobRow, JobState, opened
from plotter.plotting.jobs import phase_of, read_log
from plotter.plotting.phase import Phase

DAY = 86400.0


@dataclass(frozen=True)
class Made:
    """Plots made (and jobs failed) since a moment, and how long a plot took on average."""

    plots: int
    failed: int
    mean_seconds: float | None


def _seconds(row: JobRow) -> float | None:
    return None if row.ended_at is None else row.ended_at - row.started_at


def made_since(rows: Sequence[JobRow], since: float) -> Made:
    ended = [r for r in rows if r.ended_at is not None and r.ended_at >= since]
    times = [s for r in ended if r.state == JobState.DONE and (s := _seconds(r)) is not None]
    return Made(len(times), sum(r.state == JobState.FAILED for r in ended), sum(times) / len(times) if times else None)


def job_families(rows: Sequence[JobRow], phases: Mapping[int, Phase]) -> list[Family]:
    """``phases``: the phase read from each live job's log now (the stored one otherwise)."""
    shown = (JobState.RUNNING, JobState.SUSPENDED)  # a starting job counts as running
    live = Counter((str(phases.get(r.id, r.current_phase).major), r.state if r.state in shown else JobState.RUNNING)
                   for r in rows if r.live)
    done = [r for r in rows if r.state == JobState.DONE]
    times = [s for r in done if (s := _seconds(r)) is not None]
    last = max(done, key=lambda r: r.ended_at or 0.0, default=None)
    return [
        gauge("chia_plotter_jobs", "Plot jobs now, by phase major (0 before phase 1, 5 final copy) and state.",
              [({"phase": str(major), "state": state}, live.get((str(major), state), 0))
               for major in range(6) for state in shown]),
        counter("chia_plotter_plots_made", "Plots made by plot jobs that exited 0.", [({}, len(done))]),
        counter("chia_plotter_plots_failed", "Plot jobs that failed or were killed (never counted as made).",
                [({}, sum(r.state == JobState.FAILED for r in rows))]),
        counter("chia_plotter_plot_seconds", "Seconds the plots counted in plots_made took, start to end.",
                [({}, sum(times))]),
        gauge("chia_plotter_last_plot_seconds", "How long the last plot made took.",
              [({}, None if last is None else _seconds(last))]),
    ]


def job_rows(cfg: PlotterConfig) -> list[JobRow]:
    with opened(cfg.plotter.state_dir) as db:
        return db.all()


def live_phases(rows: Sequence[JobRow]) -> dict[int, Phase]:
    """Each live job's phase from its log now (not its disk usage: a scrape stays cheap)."""
    return {row.id: phase_of(row, read_log(row)) for row in rows if row.live}
