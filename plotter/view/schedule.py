"""The scheduler's status line for the view: what starts now, when the next job starts, or why
nothing does. The decision is the scheduler's own pure :func:`~plotter.plotting.schedule.decide`,
fed the state a ``plot --dry-run`` pass builds (read-only: nothing is started, nothing stored).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from common.locking import is_locked
from plotter.config import PlotterConfig
from plotter.plotting.config import PlottingConfig
from plotter.plotting.jobdb import JobDB, JobRow
from plotter.plotting.jobs import Observation
from plotter.plotting.loop import STARTED_KEY, lock, pass_state, running_of
from plotter.plotting.process.byhand import HandJob
from plotter.plotting.schedule import Decision, State, decide


@dataclass(frozen=True)
class ScheduleLine:
    scheduler_running: bool  # a ``plot-manager plot`` holds the scheduler lock
    jobs_configured: int
    start: str | None = None  # "a on /t0 -> /dst" when a job may start now
    next_in: float | None = None  # seconds until a job may start, when only time holds them back
    next_job: str | None = None
    waits: tuple[tuple[str, str], ...] = ()  # (job section, why it does not start now)
    paused: str | None = None  # backpressure


def build_state(cfg: PlotterConfig, db: JobDB, live: Mapping[JobRow, Observation], now: float,
                by_hand: list[HandJob] | None = None) -> State:
    """The state a dry-run pass decides on: every live row counts, as in ``plot --dry-run``."""
    started = db.meta(STARTED_KEY)
    return pass_state(cfg, db, [running_of(row, obs) for row, obs in live.items()],
                      now if started is None else float(started), now, by_hand)


def wake_times(cfg: PlottingConfig, state: State) -> list[float]:
    """The moments a time limit (stagger, initial_delay, job stagger) lets go, after ``state.now``."""
    last = max(state.last_start.values(), default=None)
    times = [] if last is None else [last + cfg.settings.stagger]
    for job in cfg.jobs:
        times.append(state.started + job.initial_delay)
        mine = state.last_start.get(job.name)
        if mine is not None:
            times.append(mine + job.stagger)
    return sorted(t for t in set(times) if t > state.now)


def next_start(cfg: PlottingConfig, state: State) -> tuple[float, str] | None:
    """(seconds until a job may start, which) when only time holds every job back. Pure: the same
    decision taken at the moments the time limits let go, nothing else changing meanwhile."""
    for moment in wake_times(cfg, state):
        decision = decide(cfg, replace(state, now=moment + 0.001))
        if decision.start is not None:
            return moment - state.now, decision.start.job
    return None


def schedule_line(cfg: PlotterConfig, state: State, scheduler_running: bool) -> ScheduleLine:
    decision: Decision = decide(cfg.plotting, state)
    base = ScheduleLine(scheduler_running, len(cfg.plotting.jobs), waits=tuple(decision.waits.items()),
                        paused=decision.paused)
    if decision.start is not None:
        where = decision.start
        return replace(base, start=f"{where.job} on {where.tmp_dir or '-'} -> {where.dst_dir}")
    upcoming = next_start(cfg.plotting, state)
    if upcoming is None:
        return base
    return replace(base, next_in=upcoming[0], next_job=upcoming[1])


def scheduler_running(cfg: PlotterConfig) -> bool:
    return is_locked(lock(cfg).path)
