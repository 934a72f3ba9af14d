"""Plot job processes: start in a session of their own, observe (phase, plot id, bytes on disk),
conclude (done or failed, temp files removed), suspend, resume, kill.

A job is the ``runjob`` parent (see :mod:`plotter.plotting.process.runjob`) and the plotter under it, one
process group whose id is the parent's pid. The pid and its start time in the database name the
job for good: a pid that /proc shows with another start time is a new process, not our job.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from common.errors import PlotJobError
from common.notify.base import Notice, Severity
from plotter.plotting import logs, made
from plotter.plotting.backends import JobSpec, keyless
from plotter.plotting.backends import get as get_backend
from plotter.plotting.config import JobConfig, PlottingSettings
from plotter.plotting.jobdb import JobDB, JobRow, JobState
from plotter.plotting.logs.errors import last_error
from plotter.plotting.phase import START, Phase
from plotter.plotting.process import procs
from plotter.plotting.schedule import Start
from plotter.send.discover import open_for_writing

log = logging.getLogger(__name__)
PACKAGE_ROOT = Path(__file__).resolve().parents[2]
TERM_WAIT = 10.0
KILL_WAIT = 5.0


@dataclass(frozen=True)
class Observation:
    alive: bool
    phase: Phase = START
    plot_id: str | None = None
    used: dict[Path, int] = field(default_factory=dict)  # bytes of the job's files per directory


def start(job: JobConfig, where: Start, settings: PlottingSettings, db: JobDB, now: float,
          meta_group: int | None = None) -> subprocess.Popen[bytes]:
    """``meta_group``: a placement's, for a section with ``meta_group = auto``; kept on the job row."""
    spec = job.spec(where.tmp_dir, where.dst_dir, meta_group)
    argv = get_backend(job.backend).command(spec)
    job_id = db.insert(job=job.name, backend=job.backend, k=job.k, compression=job.compression,
                       meta_group=spec.meta_group,
                       tmp_dir=_text(where.tmp_dir), tmp2_dir=_text(job.tmp2_dir), dst_dir=str(where.dst_dir),
                       log="", status_file="", started_at=now, state=JobState.STARTING)
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    log_path = settings.log_dir / f"{job.name}-{stamp}-{job_id}.log"
    status = log_path.with_suffix(".status")
    wrapper = [sys.executable, "-m", "plotter.plotting.process.runjob", "--status", str(status),
               "--nice", str(job.nice), "--cpus", ",".join(map(str, job.cpu_affinity)), "--backend", job.backend,
               "--dst", str(where.dst_dir), "--log", str(log_path), "--", *argv]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")])))
    with open(log_path, "ab") as out:
        proc = subprocess.Popen(wrapper, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, env=env)
    found = procs.stat(proc.pid)
    db.update(job_id, pid=proc.pid, proc_start=found.start if found else None, log=str(log_path),
              status_file=str(status), state=JobState.RUNNING)
    log.info("started job %d (%s) on %s -> %s, log %s", job_id, job.name, where.tmp_dir or "-", where.dst_dir,
             log_path)
    return proc


def read_log(row: JobRow) -> list[str]:
    """The job's log lines; none when it has no log yet or it cannot be read."""
    try:
        return logs.split_lines(Path(row.log).read_bytes()) if row.log else []
    except OSError:
        return []


def phase_of(row: JobRow, lines: list[str]) -> Phase:
    """The phase its log shows now, never behind the one stored."""
    return max(logs.current_phase(lines, row.backend), row.current_phase)


def observe(row: JobRow) -> Observation:
    alive = row.pid is not None and row.proc_start is not None and procs.alive(row.pid, row.proc_start)
    lines = read_log(row)
    plot_id = logs.plot_id(lines, row.backend) if lines else None
    return Observation(alive, phase_of(row, lines), plot_id, usage(spec_of(row), plot_id))


def spec_of(row: JobRow) -> JobSpec:
    return keyless(row.backend, row.k, row.dst_dir, row.tmp_dir, row.tmp2_dir, row.compression)


def usage(spec: JobSpec, plot_id: str | None) -> dict[Path, int]:
    """Bytes the job's temp files (and its finished plot) take now, per directory."""
    if plot_id is None:
        return {}
    backend = get_backend(spec.backend)
    pairs = [*backend.temp_globs(spec, plot_id), (spec.dst_dir, backend.final_glob(plot_id))]
    out: dict[Path, int] = {}
    for directory, pattern in pairs:
        out[directory] = out.get(directory, 0) + sum(_size(p) for p in directory.glob(pattern))
    return out


def remove_temp_files(row: JobRow, plot_id: str | None) -> list[Path]:
    backend = get_backend(row.backend)
    if plot_id is None:
        return _remove_orphans(row, backend.orphan_globs(spec_of(row)))
    return _remove(row, [p for directory, pattern in backend.temp_globs(spec_of(row), plot_id)
                         for p in directory.glob(pattern)])


def _remove_orphans(row: JobRow, pairs: list[tuple[Path, str]]) -> list[Path]:
    """Without the plot id: the backend's leftovers that no process is writing (xchplot2 keeps its
    ``.partial`` open until the rename, so a running job's is never taken)."""
    if not pairs:
        log.warning("job %d: its plot id never reached the log, so its temp files cannot be told apart; "
                    "none removed", row.id)
        return []
    found = {p for directory, pattern in pairs for p in directory.glob(pattern)}
    return _remove(row, sorted(found - open_for_writing(found)))


def _remove(row: JobRow, paths: list[Path]) -> list[Path]:
    removed = []
    for path in paths:
        try:
            path.unlink()
            removed.append(path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            log.error("job %d: cannot remove temp file %s: %s", row.id, path, exc.strerror)
    return removed


def conclude(db: JobDB, row: JobRow, obs: Observation, now: float, reason: str | None = None) -> Notice | None:
    """Record how an ended job ended; a failed one's leftovers are killed and its temp files removed.
    The failure notice, when this call was the one to record it."""
    status = read_status(row)
    returncode = status.get("returncode")
    plot = made_plot(db.state_dir, row, obs.plot_id, status) if returncode == 0 else None
    if returncode == 0 and plot is not None:
        changed = db.update(row.id, only_if_live=True, state=JobState.DONE, returncode=0, ended_at=now,
                            phase=str(obs.phase), plot_id=obs.plot_id, plot_path=str(Path(row.dst_dir) / plot.name),
                            plot_bytes=plot.size, reason=None)
        if changed:
            log.info("job %d (%s) made %s%s", row.id, row.job, plot.name, f" (sent to {plot.nas})" if plot.nas else "")
        return None
    why = reason or describe(returncode, status, last_error(read_log(row)))
    if returncode == 0:
        why = "exited 0 but made no plot: none in the dst dir, none recorded or sent"
    changed = db.update(row.id, only_if_live=True, state=JobState.FAILED,
                        returncode=returncode if isinstance(returncode, int) else None, ended_at=now,
                        phase=str(obs.phase), plot_id=obs.plot_id, reason=why)
    if not changed:
        return None
    _kill_leftovers(row, status)
    removed = remove_temp_files(row, obs.plot_id)
    log.error("job %d (%s) failed: %s; %d temp file(s) removed; log %s", row.id, row.job, why, len(removed), row.log)
    return failed_notice(row, why, len(removed))


def read_status(row: JobRow) -> dict[str, object]:
    try:
        values = json.loads(Path(row.status_file).read_text())
    except (OSError, ValueError):
        return {}
    return values if isinstance(values, dict) else {}


def describe(returncode: object, status: dict[str, object], error_line: str | None = None) -> str:
    """Why a job failed; ``error_line``: the plotter's own last error line (logs.errors.last_error)."""
    if not isinstance(returncode, int):
        return "ended without an exit status (killed together with its runjob parent)"
    if returncode < 0:
        return f"killed by {signal.Signals(-returncode).name}"
    error = status.get("error") or error_line
    return f"exit code {returncode}" + (f" ({error})" if error else "")


def failed_notice(row: JobRow, reason: str, removed: int) -> Notice:
    return Notice(kind="plot_failed", key=f"plot_failed:{row.id}", severity=Severity.WARNING, standing=False,
                  title=f"plot job {row.id} ({row.job}) failed", text=f"{reason}; log {row.log}",
                  context={"id": row.id, "job": row.job, "backend": row.backend, "k": row.k, "reason": reason,
                           "log": row.log, "tmp_dir": row.tmp_dir, "dst_dir": row.dst_dir, "removed": removed})


def leader_of(row: JobRow) -> procs.Ident | None:
    """The job's runjob parent, by pid and start time; None when it never got that far."""
    return None if row.pid is None or row.proc_start is None else procs.Ident(row.pid, row.proc_start)


def plotter_of(status: dict[str, object]) -> procs.Ident | None:
    """The plotter under the runjob parent, as its status file names it (no start time from an
    older runjob)."""
    pid, start = status.get("plotter_pid"), status.get("plotter_start")
    if not isinstance(pid, int) or isinstance(pid, bool):
        return None
    return procs.Ident(pid, start if isinstance(start, int) and not isinstance(start, bool) else None)


def running(row: JobRow) -> procs.Ident | None:
    """The job's runjob parent while the job runs (not ended in the database, and the parent alive
    by pid and start time); None otherwise."""
    leader = leader_of(row)
    if not row.live or leader is None or leader.start is None or not procs.alive(leader.pid, leader.start):
        return None
    return leader


def signal_job(row: JobRow, signum: int) -> None:
    leader = running(row)
    if leader is None:
        raise PlotJobError(f"job {row.id} is not running (state {row.state})")
    procs.signal_job(leader, plotter_of(read_status(row)), signum)


def suspend(db: JobDB, row: JobRow) -> None:
    """SIGSTOP to the job's processes; returns once they all stopped (each stops when next scheduled)."""
    signal_job(row, signal.SIGSTOP)
    db.update(row.id, state=JobState.SUSPENDED)
    leader = leader_of(row)
    assert leader is not None  # signal_job found it running
    plotter = plotter_of(read_status(row))
    deadline = time.monotonic() + TERM_WAIT
    while any(p.state not in ("T", "t") for p in procs.job_processes(procs.table(), leader, plotter)):
        if time.monotonic() > deadline:
            log.warning("job %d: not every process stopped within %.0f s", row.id, TERM_WAIT)
            return
        time.sleep(0.02)


def resume(db: JobDB, row: JobRow) -> None:
    signal_job(row, signal.SIGCONT)
    db.update(row.id, state=JobState.RUNNING)


def kill(db: JobDB, row: JobRow) -> Notice | None:
    """SIGTERM to the job's processes (and SIGCONT, so a suspended plotter can act on it), SIGKILL
    to those still there after TERM_WAIT; then the job is failed and its temp files removed."""
    obs = observe(row)  # the plot id, read before the plotter goes
    signal_job(row, signal.SIGTERM)
    leader, plotter = leader_of(row), plotter_of(read_status(row))
    assert leader is not None  # signal_job found it running
    procs.signal_job(leader, plotter, signal.SIGCONT)
    if not _wait_gone(leader, plotter, TERM_WAIT):
        procs.signal_job(leader, plotter, signal.SIGKILL)
        _wait_gone(leader, plotter, KILL_WAIT)
    return conclude(db, row, observe(row) if obs.plot_id is None else obs, time.time(),
                    reason="killed by plot-manager jobs kill")


def _wait_gone(leader: procs.Ident, plotter: procs.Ident | None, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while procs.job_processes(procs.table(), leader, plotter):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _kill_leftovers(row: JobRow, status: dict[str, object]) -> None:
    """SIGKILL what is left of a failed job: only processes proven ours (see procs.job_processes);
    after pid reuse that is none, and the stranger holding the number is left alone."""
    leader = leader_of(row)
    if leader is not None and procs.signal_job(leader, plotter_of(status), signal.SIGKILL):
        log.warning("job %d: killed what was left of its processes", row.id)


def made_plot(state_dir: Path, row: JobRow, plot_id: str | None, status: dict[str, object]) -> made.Made | None:
    """The plot a job that exited 0 made: recorded by its runjob parent, still in the dst dir, or
    already stored by the sender (the plot may have left the dst dir before any pass saw it)."""
    plot_id = plot_id or (str(status["plot_id"]) if isinstance(status.get("plot_id"), str) else None)
    return made.made_plot(state_dir, row.backend, Path(row.dst_dir), plot_id, status, row.started_at)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _text(path: Path | None) -> str | None:
    return None if path is None else str(path)

