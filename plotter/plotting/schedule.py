"""Which job may start now, on which tmp and dst dir, and for every other job why not. Pure.

Checks, in order (the first that holds a job back is its reason): global max_jobs, global
max_phase1, global stagger, the job's max_plots, initial_delay, retry_delay after a failure, its
own stagger, its max_jobs (jobs past ``start_early_phase`` do not count, up to
``start_early_max_jobs``), its max_phase1,
backpressure, then placement: tmp dirs under ``tmp_max_jobs`` whose youngest job reached
``tmp_stagger_phase``, ordered by plotman's rule (the dir whose youngest job is furthest along,
an idle one first; then the dir that got a job longest ago), dst dirs with the fewest jobs
writing to them; the first (tmp, dst) pair with room wins. Of the jobs that may start, the one
started longest ago goes first, so sections take turns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from plotter.plotting.backends import get as get_backend
from plotter.plotting.config import JobConfig, PlottingConfig
from plotter.plotting.phase import Phase
from plotter.plotting.sizes import Measured, Need, SizeKey, need
from plotter.plotting.space import DirRoom, Placement, backpressure, held, misfit

NEVER = float("-inf")


@dataclass(frozen=True)
class Running:
    """A job that is running (or suspended) now; ``id`` is minus the pid for one started by hand."""

    id: int
    job: str
    phase: Phase
    started_at: float
    place: Placement


@dataclass(frozen=True)
class State:
    now: float
    started: float  # when the scheduler began, for initial_delay
    running: Sequence[Running] = ()
    made: Mapping[str, int] = field(default_factory=dict)  # plots made per job section (exit 0)
    last_start: Mapping[str, float] = field(default_factory=dict)  # per job section, any outcome
    last_failure: Mapping[str, float] = field(default_factory=dict)  # per job section: when one last failed
    rooms: Mapping[Path, DirRoom] = field(default_factory=dict)
    waiting_plots: int = 0
    measured: Mapping[SizeKey, Measured] = field(default_factory=dict)


@dataclass(frozen=True)
class Start:
    job: str
    tmp_dir: Path | None
    dst_dir: Path
    need: Need


@dataclass(frozen=True)
class Decision:
    start: Start | None
    waits: Mapping[str, str]  # job section -> why it does not start now
    paused: str | None = None  # backpressure, when it holds a job back


def decide(cfg: PlottingConfig, state: State) -> Decision:
    holds = held((r.place for r in state.running), state.rooms)
    paused = backpressure(state.waiting_plots, cfg.settings.max_waiting_plots)
    everyone = _global_reason(cfg, state)
    waits: dict[str, str] = {}
    ready: list[Start] = []
    for job in cfg.jobs:
        outcome = everyone or _job_reason(job, state, paused) or _place(job, state, holds)
        if isinstance(outcome, Start):
            ready.append(outcome)
        else:
            waits[job.name] = outcome
    held_back = paused if any(reason == paused for reason in waits.values()) else None
    if not ready:
        return Decision(None, waits, held_back)
    first = min(ready, key=lambda s: (state.last_start.get(s.job, NEVER), cfg.jobs.index(_cfg(cfg, s.job))))
    for other in ready:
        if other is not first:
            waits[other.job] = f"another job ({first.job}) starts first"
    return Decision(first, waits, held_back)


def _cfg(cfg: PlottingConfig, name: str) -> JobConfig:
    job = cfg.job(name)
    assert job is not None
    return job


def _global_reason(cfg: PlottingConfig, state: State) -> str | None:
    settings = cfg.settings
    if len(state.running) >= settings.max_jobs:
        return f"max_jobs: {_jobs(state.running)} running (limit {settings.max_jobs})"
    in_phase1 = [r for r in state.running if r.phase.major <= 1]
    if settings.max_phase1 and len(in_phase1) >= settings.max_phase1:
        return f"max_phase1: {_jobs(in_phase1)} in phase 1 (limit {settings.max_phase1})"
    last = max(state.last_start.values(), default=NEVER)
    if state.now - last < settings.stagger:
        return _stagger("stagger", state.now - last, settings.stagger)
    return None


def _jobs(running: Sequence[Running]) -> str:
    """``3 jobs``, or ``3 jobs (1 started by hand)``."""
    by_hand = sum(1 for r in running if r.id < 0)
    return f"{len(running)} jobs" + (f" ({by_hand} started by hand)" if by_hand else "")


def _job_reason(job: JobConfig, state: State, paused: str | None) -> str | None:
    mine = [r for r in state.running if r.job == job.name]
    made = state.made.get(job.name, 0)
    if job.max_plots and made + len(mine) >= job.max_plots:
        return f"max_plots reached: {made} made, {len(mine)} running (max_plots {job.max_plots})"
    if state.now - state.started < job.initial_delay:
        return _stagger("initial_delay", state.now - state.started, job.initial_delay)
    failed = state.now - state.last_failure.get(job.name, NEVER)
    if failed < job.retry_delay:
        return _stagger("retry_delay after a failed job", failed, job.retry_delay)
    since = state.now - state.last_start.get(job.name, NEVER)
    if since < job.stagger:
        return _stagger("job stagger", since, job.stagger)
    counted = [r for r in mine if job.start_early_phase is None or r.phase < job.start_early_phase]
    if len(counted) >= job.max_jobs:
        early = f" before phase {job.start_early_phase}" if job.start_early_phase else ""
        return f"max_jobs: {len(counted)} of this job running{early} (limit {job.max_jobs})"
    cap = job.start_early_max_jobs or job.max_jobs + (1 if job.start_early_phase else 0)
    if len(mine) >= cap:
        return f"start_early_max_jobs: {len(mine)} of this job running (limit {cap})"
    in_phase1 = sum(1 for r in mine if r.phase.major <= 1)
    if job.max_phase1 and in_phase1 >= job.max_phase1:
        return f"max_phase1: {in_phase1} of this job in phase 1 (limit {job.max_phase1})"
    return paused


def _place(job: JobConfig, state: State, holds: Mapping[int, int]) -> Start | str:
    """The first (tmp, dst) pair that takes the job, or the reason none does."""
    tmps, reason = _tmp_candidates(job, state)
    dsts = sorted(job.dst_dirs, key=lambda d: sum(1 for r in state.running if r.place.dst_dir == d))
    has_tmp2 = job.tmp2_dir is not None
    for tmp in tmps:
        size = need(job.backend, job.k, job.compression, has_tmp2 and job.tmp2_dir != tmp, tmp is not None,
                    state.measured, job.group_size)
        for dst in dsts:
            place = Placement(tmp, job.tmp2_dir, dst, size)
            problem = misfit(place, state.rooms, holds)
            if problem is None:
                return Start(job.name, tmp, dst, size)
            reason = reason or problem
    return reason or "no tmp dir"


def _tmp_candidates(job: JobConfig, state: State) -> tuple[list[Path | None], str | None]:
    if not job.tmp_dirs:
        return [None], None
    shared = get_backend(job.backend).shared_temp_names
    ok: list[Path] = []
    reason: str | None = None
    for tmp in job.tmp_dirs:
        there = [r for r in state.running if r.place.tmp_dir == tmp]
        mine = [r for r in there if r.job == job.name]
        youngest = max(there, key=lambda r: r.started_at, default=None)
        if shared and there:
            problem = f"tmp dir {tmp} is in use ({job.backend} temp names carry no plot id: one job per tmp dir)"
        elif job.tmp_max_jobs and len(mine) >= job.tmp_max_jobs:
            problem = f"tmp_max_jobs: {len(mine)} of this job on {tmp} (limit {job.tmp_max_jobs})"
        elif job.tmp_stagger_phase and youngest is not None and youngest.phase < job.tmp_stagger_phase:
            problem = (f"tmp_stagger_phase: the youngest job on {tmp} is at {youngest.phase} "
                       f"(needs {job.tmp_stagger_phase})")
        else:
            ok.append(tmp)
            continue
        reason = reason or problem
    ok.sort(key=lambda d: _plotman_key(d, job, state))
    return list(ok), reason


def _plotman_key(tmp: Path, job: JobConfig, state: State) -> tuple[int, Phase, float, int]:
    """Sort key: idle dirs first, then the youngest job furthest along, then the longest since a start."""
    there = [r for r in state.running if r.place.tmp_dir == tmp]
    if not there:
        return (0, Phase(), 0.0, job.tmp_dirs.index(tmp))
    youngest = max(there, key=lambda r: r.started_at)
    return (1, Phase(-youngest.phase.major, -youngest.phase.minor), youngest.started_at, job.tmp_dirs.index(tmp))


def _stagger(label: str, since: float, limit: float) -> str:
    event = "the failure" if label.startswith("retry") else "the last start"
    return f"{label}: {since:.0f} s since {event}, waits {limit - since:.0f} s more ({limit:.0f} s)"
