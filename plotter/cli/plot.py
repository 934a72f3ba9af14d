"""``plot-manager plot [--once | --dry-run]``, ``plot-manager jobs [--json] | suspend | resume | kill ID`` and
the parser of ``plot-manager analyze [--json | --csv]`` (run by :mod:`plotter.plotting.analysis.analyzeio`)."""

from __future__ import annotations

import argparse
import json
import logging
import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from common.errors import PlotJobError
from common.ui.tables import text_table

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # the scheduler's modules load only for these commands, not for every plot-manager run
    from plotter.config import PlotterConfig
    from plotter.plotting.jobdb import JobDB, JobRow


def add_plot_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    plot = sub.add_parser("plot", help="the plot job scheduler (long-running unless --once or --dry-run)")
    mode = plot.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="one scheduling pass, then exit (for cron)")
    mode.add_argument("--dry-run", action="store_true", help="what would start now, and for each job why not")
    listing = sub.add_parser("jobs", help="plot jobs: list, suspend, resume, kill")
    listing.add_argument("--json", action="store_true")
    action = listing.add_subparsers(dest="jobs_command")
    for name, text in (("suspend", "stop a job's processes (SIGSTOP)"), ("resume", "continue a suspended job"),
                       ("kill", "end a job (SIGTERM, then SIGKILL) and remove its temp files")):
        one = action.add_parser(name, help=text)
        one.add_argument("id", type=int, metavar="ID")


def add_analyze_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    analyze = sub.add_parser("analyze", help="plots made and phase times per backend, job and tmp dir")
    form = analyze.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="the table as a list of objects")
    form.add_argument("--csv", action="store_true", help="one line per plot")


def run_plot(cfg: PlotterConfig, args: argparse.Namespace, stop: threading.Event) -> int:
    from common.units import size
    from plotter.plotting.loop import Scheduler, lock, run_forever

    if args.dry_run:
        decision, _ = Scheduler(cfg).run_pass(dry_run=True)
        if decision.start is not None:
            where = decision.start
            print(f"would start: {where.job} on tmp {where.tmp_dir or '-'} -> dst {where.dst_dir} "
                  f"(needs tmp {size(where.need.tmp)}, dst {size(where.need.dst)})")
        for name, reason in decision.waits.items():
            print(f"{name}: {reason}")
        if not cfg.plotting.jobs:
            print("no [job NAME] section: nothing to plot")
        return 0
    if args.once:
        held = lock(cfg)
        if not held.try_acquire():  # a pass still at it, or `plot` as a service: that one schedules
            log.info("another scheduler holds %s: this pass is skipped", held.path)
            return 0
        with held:
            Scheduler(cfg).run_pass()
        return 0
    return run_forever(cfg, stop)


def run_jobs(cfg: PlotterConfig, args: argparse.Namespace) -> int:
    from plotter.plotting import jobs
    from plotter.plotting.jobdb import opened
    from plotter.plotting.loop import PAUSED_KEY

    with opened(cfg.plotter.state_dir) as db:
        if args.jobs_command is None:
            rows = [_view(row, cfg.plotting.settings.stall_after) for row in db.all()] + _by_hand(cfg, db)
            paused = db.meta(PAUSED_KEY)
            print(json.dumps({"jobs": rows, "paused": paused}, indent=2) if args.json else render(rows, paused))
            return 0
        row = _row(db, args.id)
        if args.jobs_command == "suspend":
            jobs.suspend(db, row)
        elif args.jobs_command == "resume":
            jobs.resume(db, row)
        else:
            jobs.kill(db, row)
        after = db.get(row.id)
        print(f"job {row.id}: {after.state if after else '?'}")
    return 0


def _row(db: JobDB, job_id: int) -> JobRow:
    row = db.get(job_id)
    if row is None:
        raise PlotJobError(f"no plot job {job_id} (see plot-manager jobs)")
    return row


def _view(row: JobRow, stall_after: float, now: float | None = None) -> dict[str, Any]:
    """One job as shown; a live job's phase is read from its log now, and whether it is stalled."""
    from plotter.plotting import jobs, stall
    from plotter.plotting.jobdb import JobState

    now = time.time() if now is None else now
    phase, plot_id, reason, stalled_since = row.phase, row.plot_id, row.reason, None
    if row.live:
        obs = jobs.observe(row)
        phase, plot_id = str(obs.phase), obs.plot_id or plot_id
        if not obs.alive:  # the state stays one of running|suspended|done|failed: the next pass records it
            reason = "ended; the next scheduling pass records how"
        elif row.state != JobState.SUSPENDED and (found := stall.stall_of(row, plot_id, jobs.read_log(row), now,
                                                                   stall_after)):
            reason, stalled_since = f"stalled: {found.reason}", _iso(found.since)
    end = row.ended_at if row.ended_at is not None else now
    return {
        "id": row.id, "job": row.job, "backend": row.backend, "k": row.k, "pid": row.pid, "phase": phase,
        "started_at": _iso(row.started_at),
        "elapsed": round(end - row.started_at, 1), "tmp_dir": row.tmp_dir, "dst_dir": row.dst_dir,
        "plot": row.plot_path.rsplit("/", 1)[-1] if row.plot_path else plot_id, "state": row.state,
        "reason": reason, "log": row.log, "by_hand": False, "stalled_since": stalled_since,
        "meta_group": row.meta_group,  # a PoS2 job's (a NAS's placement for meta_group = auto)
    }


def _by_hand(cfg: PlotterConfig, db: JobDB, now: float | None = None) -> list[dict[str, Any]]:
    """Plotters this scheduler did not start, as rows: no id, so suspend/resume/kill do not take them."""
    from plotter.plotting.jobdb import JobState
    from plotter.plotting.process import byhand

    now = time.time() if now is None else now
    return [{
        "id": None, "job": byhand.BY_HAND, "backend": job.spec.backend, "k": job.spec.k, "pid": job.pid,
        "phase": str(job.phase), "started_at": _iso(job.started_at), "elapsed": round(now - job.started_at, 1),
        "tmp_dir": _text(job.spec.tmp_dir), "dst_dir": str(job.spec.dst_dir), "plot": job.plot_id,
        "state": JobState.SUSPENDED if job.suspended else JobState.RUNNING, "reason": None,
        "log": _text(job.log), "by_hand": True, "stalled_since": None, "meta_group": job.spec.meta_group,
    } for job in byhand.outside(db, cfg.plotting.dirs)]


def _iso(when: float) -> str:
    return datetime.fromtimestamp(when).astimezone().isoformat(timespec="seconds")


def _text(value: object | None) -> str | None:
    return None if value is None else str(value)


COLUMNS = ("id", "job", "backend", "k", "pid", "phase", "started_at", "elapsed", "tmp_dir", "dst_dir", "state", "plot")


def render(rows: list[dict[str, Any]], paused: str | None) -> str:
    lines = [f"plotting paused: {paused}"] if paused else []
    if not rows:
        return "\n".join([*lines, "no plot jobs yet"])
    lines += text_table([list(COLUMNS)] + [[_cell(row, column) for column in COLUMNS] for row in rows])
    lines += [f"job {row['id']}: {row['reason']}" for row in rows if row["reason"]]
    return "\n".join(lines)


def _cell(row: dict[str, Any], column: str) -> str:
    value = row[column]
    if column == "elapsed":
        seconds = int(value)
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return "-" if value is None else str(value)
