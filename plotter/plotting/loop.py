"""One scheduling pass, and the long-running scheduler: refresh the jobs (phases, ends), measure
room, decide, start; alerts ``plot_failed``, ``plot_stalled`` and ``plotting_paused``.

Only one scheduler starts jobs at a time (a lock in the state dir); ``--dry-run`` takes no lock and
changes nothing: it shows what a pass would start now, and for each job why not.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from common.errors import AppError
from common.locking import FileLock
from common.notify.base import Notice, Severity
from common.notify.dedupe import DedupeStore
from common.notify.dispatch import Notifier
from plotter.config import PlotterConfig
from plotter.link import placement
from plotter.plotting import jobs, stall
from plotter.plotting.backends import get as get_backend
from plotter.plotting.config import JobConfig
from plotter.plotting.jobdb import JobDB, JobRow, JobState, opened
from plotter.plotting.phase import START
from plotter.plotting.process import byhand
from plotter.plotting.schedule import Decision, Running, State, decide
from plotter.plotting.sizes import need, v2_final_size
from plotter.plotting.space import DirRoom, Placement
from plotter.send.discover import list_dirs

log = logging.getLogger(__name__)
STARTED_KEY = "scheduler_started"
PAUSED_KEY = "paused"


@dataclass
class Scheduler:
    cfg: PlotterConfig
    handles: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)  # jobs this process started

    def run_pass(self, dry_run: bool = False, now: float | None = None) -> tuple[Decision, list[int]]:
        """(the last decision, ids of the jobs started)."""
        now = time.time() if now is None else now
        with opened(self.cfg.plotter.state_dir) as db:
            state, notices = self._state(db, now, dry_run)
            decision = decide(self.cfg.plotting, state)
            started: list[int] = []
            while not dry_run and decision.start is not None and len(started) < self.cfg.plotting.settings.max_jobs:
                state = self._start(db, state, decision, now)
                started.append(state.running[-1].id)
                decision = decide(self.cfg.plotting, state)
            if not dry_run:
                db.set_meta(PAUSED_KEY, decision.paused)
                self._alert(notices, decision.paused, now)
        for name, reason in decision.waits.items():
            log.debug("job %s waits: %s", name, reason)
        return decision, started

    def _state(self, db: JobDB, now: float, dry_run: bool) -> tuple[State, list[Notice]]:
        notices: list[Notice] = []
        running: list[Running] = []
        for row in db.all(live_only=True):
            handle = self.handles.get(row.id)
            if handle is not None and handle.poll() is not None:
                del self.handles[row.id]  # reaped: the /proc entry is gone, not a zombie
            obs = jobs.observe(row)
            if obs.alive or dry_run:
                running.append(running_of(row, obs))
                if not dry_run:
                    db.update(row.id, phase=str(obs.phase), plot_id=obs.plot_id,
                              tmp_peak=max(row.tmp_peak, obs.used.get(Path(row.tmp_dir or "/nonexistent"), 0)))
                    notices += self._stalled(row, obs, now)
                continue
            notice = jobs.conclude(db, row, obs, now)
            if notice is not None:
                notices.append(notice)
        return pass_state(self.cfg, db, running, self._started(db, now, dry_run), now), notices

    def _stalled(self, row: JobRow, obs: jobs.Observation, now: float) -> list[Notice]:
        """A running job that made no progress for ``stall_after``: a standing plot_stalled alert,
        resolved once it moves again or ends (every such key is evaluated each pass)."""
        if row.state == JobState.SUSPENDED:
            return []
        found = stall.stall_of(row, obs.plot_id, jobs.read_log(row), now, self.cfg.plotting.settings.stall_after)
        return [] if found is None else [stalled_notice(row, found)]

    def _started(self, db: JobDB, now: float, dry_run: bool) -> float:
        value = db.meta(STARTED_KEY)
        if value is None:
            if not dry_run:
                db.set_meta(STARTED_KEY, repr(now))
            return now
        return float(value)

    def _start(self, db: JobDB, state: State, decision: Decision, now: float) -> State:
        where = decision.start
        assert where is not None
        job = self.cfg.plotting.job(where.job)
        assert job is not None
        proc = jobs.start(job, where, self.cfg.plotting.settings, db, now, self._meta_group(job))
        row = next(r for r in db.all(live_only=True) if r.pid == proc.pid)
        self.handles[row.id] = proc
        place = Placement(where.tmp_dir, job.tmp2_dir, where.dst_dir, where.need)
        return replace(state, running=[*state.running, Running(row.id, job.name, START, now, place)],
                       last_start={**state.last_start, job.name: now})

    def _meta_group(self, job: JobConfig) -> int | None:
        """A PoS2 job's meta group: its section's, or for ``auto`` a NAS's placement (made now, just
        before it starts, so that the reservation is as fresh as the plot)."""
        if not get_backend(job.backend).v2 or job.meta_group is not None:
            return job.meta_group
        placed = placement.place_group(self.cfg.nas, v2_final_size(job.k, job.group_size))
        log.info("job %s: meta group %d (%s)", job.name, placed.meta_group,
                 f"placed by NAS {placed.nas} on {placed.drive}" if placed.nas else "no placement")
        return placed.meta_group

    def _alert(self, notices: list[Notice], paused: str | None, now: float) -> None:
        if paused is not None:
            notices.append(Notice(kind="plotting_paused", key="plotting_paused", severity=Severity.WARNING,
                                  title="plotting is paused", text=paused, context={"reason": paused}))
        if not self.cfg.alerting.notify.configured:
            return
        try:
            Notifier(self.cfg.alerting.notify).process(notices, _evaluated, DedupeStore(self.cfg.plotter.state_dir),
                                                       now)
        except (AppError, OSError, sqlite3.Error) as exc:
            log.error("plotting alerts failed: %s", exc)


def _evaluated(key: str) -> bool:
    return key == "plotting_paused" or key.startswith("plot_stalled:")


def stalled_notice(row: JobRow, found: stall.Stall) -> Notice:
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(found.since))
    return Notice(kind="plot_stalled", key=f"plot_stalled:{row.id}", severity=Severity.WARNING, standing=True,
                  title=f"plot job {row.id} ({row.job}) is stalled", text=f"{found.reason}; log {row.log}",
                  context={"id": row.id, "job": row.job, "backend": row.backend, "k": row.k, "reason": found.reason,
                           "since": since, "directory": None if found.directory is None else str(found.directory),
                           "log": row.log, "tmp_dir": row.tmp_dir, "dst_dir": row.dst_dir})


def pass_state(cfg: PlotterConfig, db: JobDB, running: list[Running], started: float, now: float,
               by_hand: list[byhand.HandJob] | None = None) -> State:
    """What one scheduling pass decides on (the view's status line decides on the same): our jobs
    and the plotters started by hand (``by_hand``, read from /proc when not given)."""
    by_hand = byhand.outside(db, cfg.plotting.dirs) if by_hand is None else by_hand
    last_start = db.last_starts()
    if by_hand:  # the global stagger counts their starts too (no section's own stagger does)
        last_start[byhand.BY_HAND] = max(job.started_at for job in by_hand)
    running = [*running, *(hand_running(job) for job in by_hand)]
    return State(now=now, started=started, running=running, made=db.made(), last_start=last_start,
                 last_failure=db.last_failures(), rooms=measure_rooms(cfg, running),
                 waiting_plots=len(list_dirs(cfg.plotter.plot_dirs).seen), measured=db.measured())


def running_of(row: JobRow, obs: jobs.Observation) -> Running:
    """A live job as the scheduler counts it: its phase, and the room it still needs."""
    tmp = Path(row.tmp_dir) if row.tmp_dir else None
    tmp2 = Path(row.tmp2_dir) if row.tmp2_dir else None
    size = need(row.backend, row.k, row.compression, tmp2 is not None and tmp2 != tmp, tmp is not None)
    return Running(row.id, row.job, obs.phase, row.started_at, Placement(tmp, tmp2, Path(row.dst_dir), size, obs.used))


def hand_running(job: byhand.HandJob) -> Running:
    """A plotter started by hand, counted like a job of ours: its phase and the room it still needs."""
    spec = job.spec
    size = need(spec.backend, spec.k, spec.compression, spec.tmp2_dir not in (None, spec.tmp_dir),
                spec.tmp_dir is not None)
    place = Placement(spec.tmp_dir, spec.tmp2_dir, spec.dst_dir, size, jobs.usage(spec, job.plot_id))
    return Running(-job.pid, byhand.BY_HAND, job.phase, job.started_at, place)


def measure_rooms(cfg: PlotterConfig, running: list[Running]) -> dict[Path, DirRoom]:
    dirs = cfg.plotting.dirs
    for r in running:
        dirs.update(d for d in (r.place.tmp_dir, r.place.tmp2_dir, r.place.dst_dir) if d is not None)
    rooms = {}
    for directory in dirs:
        try:
            st = os.statvfs(directory)
            rooms[directory] = DirRoom(os.stat(directory).st_dev, st.f_bavail * st.f_frsize)
        except OSError:
            continue  # the decision names a directory it cannot see
    return rooms


def lock(cfg: PlotterConfig) -> FileLock:
    return FileLock(cfg.plotter.state_dir / "plot-scheduler.lock")


def run_forever(cfg: PlotterConfig, stop: threading.Event, max_passes: int | None = None) -> int:
    """``plot-manager plot``: a pass every poll_interval until SIGTERM; running jobs are left running."""
    with lock(cfg).acquire():
        scheduler = Scheduler(cfg)
        with opened(cfg.plotter.state_dir) as db:
            db.set_meta(STARTED_KEY, repr(time.time()))
        log.info("plot scheduler: %d job section(s), a pass every %.0f s", len(cfg.plotting.jobs),
                 cfg.plotting.settings.poll_interval)
        passes = 0
        while not stop.is_set() and (max_passes is None or passes < max_passes):
            scheduler.run_pass()
            passes += 1
            stop.wait(cfg.plotting.settings.poll_interval)
    log.info("plot scheduler stopped; running jobs go on and are found again by the next scheduler")
    return 0
