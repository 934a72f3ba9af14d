"""One snapshot of everything ``plot-manager view`` shows, read from the state dir, the plot and
job directories and the NAS cache. No terminal involved: each part is a plain frozen record.

A part that cannot be read (a locked or damaged database, a vanished directory) becomes a line in
``problems`` rather than an exception, so one bad part never blanks the screen.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.errors import AppError
from common.notify import dedupe
from plotter.config import PlotterConfig
from plotter.plotting.jobdb import JobRow, JobState, db_path, opened
from plotter.plotting.jobs import Observation, read_log
from plotter.plotting.jobs import observe as observe_job
from plotter.plotting.phase import FINAL_MAJOR, Phase
from plotter.plotting.process import byhand
from plotter.plotting.process.byhand import BY_HAND, HandJob
from plotter.plotting.stall import Stall, stall_of
from plotter.send.history import TransferResult
from plotter.view import nascache
from plotter.view.kinds import LIVE_LINES, EventKind, LineState
from plotter.view.schedule import ScheduleLine, build_state, schedule_line, scheduler_running

ENDED_SHOWN = 5  # ended jobs listed after the live ones
RECENT = 10
# Share of a chiapos-like run each phase takes (plotman's figures are alike): for the bar only.
PHASE_WEIGHTS = (0.42, 0.20, 0.33, 0.05)
MINORS = 7

Observe = Callable[[JobRow], Observation]


def phase_fraction(phase: Phase) -> float:
    """How far along a job at ``phase`` is, 0..1 (an estimate for the progress bar). Pure."""
    if phase.major <= 0:
        return 0.0
    if phase.major >= FINAL_MAJOR:
        return 1.0
    done = sum(PHASE_WEIGHTS[: phase.major - 1])
    return done + PHASE_WEIGHTS[phase.major - 1] * min(max(phase.minor, 0), MINORS) / MINORS


@dataclass(frozen=True)
class JobLine:
    id: int
    job: str
    backend: str
    k: int
    pid: int | None
    phase: Phase
    elapsed: float
    tmp_dir: str | None
    dst_dir: str
    state: LineState
    reason: str | None = None
    stalled_since: float | None = None  # a running job that made no progress since (plotter.plotting.stall)

    @property
    def by_hand(self) -> bool:
        return self.id < 0

    @property
    def live(self) -> bool:
        return self.state in LIVE_LINES

    @property
    def fraction(self) -> float:
        return phase_fraction(self.phase)


@dataclass(frozen=True)
class TransferLine:
    name: str
    nas: str | None
    drive: str | None
    bytes: int
    bytes_done: int
    mb_per_s: float
    eta_seconds: float | None
    connecting: bool  # the lock is held but the first byte has not gone yet

    @property
    def fraction(self) -> float:
        return self.bytes_done / self.bytes if self.bytes else 1.0


@dataclass(frozen=True)
class FinishedLine:
    plot: str
    nas: str | None
    drive: str | None
    mb_per_s: float
    seconds: float
    ok: bool
    error: str | None
    finished_at: float


@dataclass(frozen=True)
class DirLine:
    path: str
    roles: tuple[str, ...]  # tmp, tmp2, dst, plots
    free: int | None  # None: cannot be read
    total: int | None
    jobs: tuple[int, ...]  # live jobs writing there
    waiting: int  # finished plots there waiting to be sent


@dataclass(frozen=True)
class Event:
    at: float
    kind: EventKind
    text: str


@dataclass(frozen=True)
class Snapshot:
    taken_at: float
    host: str
    jobs: tuple[JobLine, ...] = ()
    schedule: ScheduleLine | None = None
    transfers: tuple[TransferLine, ...] = ()
    finished: tuple[FinishedLine, ...] = ()
    waiting: int = 0
    dirs: tuple[DirLine, ...] = ()
    nas: tuple[nascache.NasLine, ...] = ()
    events: tuple[Event, ...] = ()
    problems: tuple[str, ...] = field(default=())


def job_line(row: JobRow, obs: Observation | None, now: float, stalled: Stall | None = None) -> JobLine:
    phase, state, reason = row.current_phase, LineState(row.state), row.reason
    if obs is not None:
        phase = max(phase, obs.phase)
        state = state if obs.alive else LineState.ENDED
    if stalled is not None and state == LineState.RUNNING:
        state, reason = LineState.STALLED, stalled.reason
    end = row.ended_at if row.ended_at is not None else now
    return JobLine(row.id, row.job, row.backend, row.k, row.pid, phase, end - row.started_at, row.tmp_dir,
                   row.dst_dir, state, reason, None if stalled is None else stalled.since)


def job_lines(rows: Iterable[JobRow], live: Mapping[JobRow, Observation], now: float,
              by_hand: Iterable[HandJob] = (), ended_shown: int = ENDED_SHOWN,
              stalls: Mapping[JobRow, Stall] | None = None) -> list[JobLine]:
    """Live jobs (oldest first), those started by hand, then the last few that ended (newest first). Pure."""
    rows = list(rows)
    stalls = stalls or {}
    ended = sorted((r for r in rows if not r.live), key=lambda r: (r.ended_at or r.started_at, r.id), reverse=True)
    return ([job_line(r, live.get(r), now, stalls.get(r)) for r in rows if r.live]
            + [hand_line(j, now) for j in by_hand]
            + [job_line(r, None, now) for r in ended[:ended_shown]])


def hand_line(job: HandJob, now: float) -> JobLine:
    """A plotter started by hand: its id is minus its pid (the view acts only on the scheduler's jobs)."""
    spec = job.spec
    return JobLine(-job.pid, BY_HAND, spec.backend, spec.k, job.pid, job.phase, now - job.started_at,
                   None if spec.tmp_dir is None else str(spec.tmp_dir), str(spec.dst_dir),
                   LineState.SUSPENDED if job.suspended else LineState.RUNNING)


def transfer_lines(running: Iterable[Mapping[str, Any]]) -> list[TransferLine]:
    return [TransferLine(r["name"], r.get("nas"), r.get("drive"), int(r["bytes"]), int(r.get("bytes_done") or 0),
                         float(r.get("mb_per_s") or 0.0), r.get("eta_seconds"), r.get("started_at") is None)
            for r in running]


def finished_lines(recent: Iterable[Mapping[str, Any]]) -> list[FinishedLine]:
    return [FinishedLine(t["plot"], t["nas"], t["drive"] or t["path"], float(t["mb_per_s"]), float(t["seconds"]),
                         t["result"] == TransferResult.OK, t["error"], float(t["finished_at"])) for t in recent]


def dir_lines(cfg: PlotterConfig, jobs: Iterable[JobLine], waiting: Iterable[Mapping[str, Any]]) -> list[DirLine]:
    roles: dict[Path, list[str]] = {}
    for job in cfg.plotting.jobs:
        for role, dirs in (("tmp", job.tmp_dirs), ("tmp2", (job.tmp2_dir,) if job.tmp2_dir else ()),
                           ("dst", job.dst_dirs)):
            for d in dirs:
                kinds = roles.setdefault(d, [])
                if role not in kinds:
                    kinds.append(role)
    for d in cfg.plotter.plot_dirs:
        roles.setdefault(d, []).append("plots")
    live = [j for j in jobs if j.live]
    waits: dict[str, int] = {}
    for plot in waiting:  # a .gplot group file counts its plots
        waits[plot["dir"]] = waits.get(plot["dir"], 0) + int(plot.get("plots", 1))
    out = []
    for path, kinds in roles.items():
        free, total = _room(path)
        headed = tuple(j.id for j in live if str(path) in (j.tmp_dir, j.dst_dir) and not j.by_hand)
        out.append(DirLine(str(path), tuple(kinds), free, total, headed, waits.get(str(path), 0)))
    return out


def _room(path: Path) -> tuple[int | None, int | None]:
    try:
        st = os.statvfs(path)
    except OSError:
        return None, None
    return st.f_bavail * st.f_frsize, st.f_blocks * st.f_frsize


def job_events(rows: Iterable[JobRow]) -> list[Event]:
    out = []
    for r in rows:
        if r.state == JobState.DONE and r.ended_at is not None:
            name = Path(r.plot_path).name if r.plot_path else "?"
            out.append(Event(r.ended_at, EventKind.MADE, f"job {r.id} ({r.job}) made {name}"))
        elif r.state == JobState.FAILED and r.ended_at is not None:
            out.append(Event(r.ended_at, EventKind.FAILED, f"job {r.id} ({r.job}) failed: {r.reason or '?'}"))
    return out


def transfer_events(finished: Iterable[FinishedLine]) -> list[Event]:
    return [Event(f.finished_at, EventKind.SENT,
                  f"to {f.nas}:{Path(f.drive or '-').name} at {f.mb_per_s:.1f} MB/s: {f.plot}")
            if f.ok else Event(f.finished_at, EventKind.SEND_FAILED, f"{f.plot}: {f.error or '?'}") for f in finished]


def alert_events(state_dir: Path, limit: int = RECENT) -> list[Event]:
    """Alerts that reached a channel: the dedupe records (``notify.sqlite``), read-only."""
    path = state_dir / dedupe.DB_NAME
    if not path.exists():
        return []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2.0)
    try:
        rows = conn.execute("SELECT kind, title, last_sent FROM notices ORDER BY last_sent DESC LIMIT ?",
                            (limit,)).fetchall()
    finally:
        conn.close()
    return [Event(float(at), EventKind.ALERT, f"{kind}: {title}") for kind, title, at in rows]


def merged(events: Iterable[Event], limit: int = RECENT) -> tuple[Event, ...]:
    return tuple(sorted(events, key=lambda e: e.at, reverse=True)[:limit])


Part = Callable[[], dict[str, Any]]


def gather(parts: Mapping[str, Part]) -> tuple[dict[str, Any], list[str]]:
    """Run every part; one that fails is reported by name and its reason, the others still show."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, part in parts.items():
        try:
            values.update(part())
        except (AppError, OSError, sqlite3.Error, ValueError) as exc:
            problems.append(f"{name}: {exc}")
    return values, problems


def build(cfg: PlotterConfig, now: float | None = None, observe: Observe = observe_job) -> Snapshot:
    now = time.time() if now is None else now
    state_dir = cfg.plotter.state_dir
    found: dict[str, Any] = {"jobs": (), "rows": []}

    def jobs_part() -> dict[str, Any]:
        if not cfg.plotting.jobs and not db_path(state_dir).exists():
            return {}  # nothing plots here: no jobs database to create
        with opened(state_dir) as db:
            rows = db.all()
            live = {r: observe(r) for r in rows if r.live}
            by_hand = byhand.outside(db, cfg.plotting.dirs)
            line = schedule_line(cfg, build_state(cfg, db, live, now, by_hand), scheduler_running(cfg))
        stalls = {r: found for r, obs in live.items() if obs.alive and r.state == JobState.RUNNING
                  and (found := stall_of(r, obs.plot_id, read_log(r), now, cfg.plotting.settings.stall_after))}
        return {"jobs": tuple(job_lines(rows, live, now, by_hand, stalls=stalls)), "rows": rows, "schedule": line}

    def transfers_part() -> dict[str, Any]:
        from plotter.monitor.status import collect

        data = collect(cfg, recent=RECENT)
        return {"transfers": tuple(transfer_lines(data["running"])), "finished": tuple(finished_lines(data["recent"])),
                "waiting_list": data["waiting"]}

    values, problems = gather({"jobs": jobs_part, "transfers": transfers_part})
    found.update(values)
    more, also = gather({
        "directories": lambda: {"dirs": tuple(dir_lines(cfg, found["jobs"], found.get("waiting_list", [])))},
        "nas": lambda: {"nas": tuple(nascache.lines(state_dir, [t.name for t in cfg.nas]))},
        "alerts": lambda: {"alerts": alert_events(state_dir)},
    })
    events = [*job_events(found["rows"]), *transfer_events(found.get("finished", ())), *more.get("alerts", [])]
    return Snapshot(now, socket.gethostname(), found["jobs"], found.get("schedule"), found.get("transfers", ()),
                    found.get("finished", ()), sum(int(p.get("plots", 1)) for p in found.get("waiting_list", [])),
                    more.get("dirs", ()),
                    more.get("nas", ()), merged(events), tuple(problems + also))
