"""Plot job processes: start in a session of their own, observe (phase, plot id, bytes on disk),
conclude (done or failed, temp files removed), suspend, resume, kill.

A job is the ``runjob`` parent (see :mod:`plotter.plotting.runjob`) and the plotter under it, one
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
from common.notify.base import Notice
from plotter.plotting import logs, procs
from plotter.plotting.backends import JobSpec, keyless
from plotter.plotting.backends import get as get_backend
from plotter.plotting.config import JobConfig, PlottingSettings
from plotter.plotting.jobdb import JobDB, JobRow
from plotter.plotting.logs.errors import last_error
from plotter.plotting.phase import START, Phase
from plotter.plotting.schedule import Start

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


def start(job: JobConfig, where: Start, settings: PlottingSettings, db: JobDB, now: float) -> subprocess.Popen[bytes]:
    argv = get_backend(job.backend).command(job.spec(where.tmp_dir, where.dst_dir))
    job_id = db.insert(job=job.name, backend=job.backend, k=job.k, compression=job.compression,
                       tmp_dir=_text(where.tmp_dir), tmp2_dir=_text(job.tmp2_dir), dst_dir=str(where.dst_dir),
                       log="", status_file="", started_at=now, state="starting")
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    log_path = settings.log_dir / f"{job.name}-{stamp}-{job_id}.log"
    status = log_path.with_suffix(".status")
    wrapper = [sys.executable, "-m", "plotter.plotting.runjob", "--status", str(status), "--nice", str(job.nice),
               "--cpus", ",".join(map(str, job.cpu_affinity)), "--", *argv]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")])))
    with open(log_path, "ab") as out:
        proc = subprocess.Popen(wrapper, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, env=env)
    found = procs.stat(proc.pid)
    db.update(job_id, pid=proc.pid, proc_start=found.start if found else None, log=str(log_path),
              status_file=str(status), state="running")
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
    if plot_id is None:
        log.warning("job %d: its plot id never reached the log, so its temp files cannot be told apart; "
                    "none removed", row.id)
        return []
    removed = []
    for directory, pattern in get_backend(row.backend).temp_globs(spec_of(row), plot_id):
        for path in directory.glob(pattern):
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
    plot = _final_plot(row, obs.plot_id) if returncode == 0 else None
    if returncode == 0 and plot is not None:
        changed = db.update(row.id, only_if_live=True, state="done", returncode=0, ended_at=now, phase=str(obs.phase),
                            plot_id=obs.plot_id, plot_path=str(plot), plot_bytes=_size(plot), reason=None)
        if changed:
            log.info("job %d (%s) made %s", row.id, row.job, plot.name)
        return None
    why = reason or describe(returncode, status, last_error(read_log(row)))
    if returncode == 0:
        why = "exited 0 but its plot is not in the dst dir"
    changed = db.update(row.id, only_if_live=True, state="failed", returncode=returncode if isinstance(returncode, int)
                        else None, ended_at=now, phase=str(obs.phase), plot_id=obs.plot_id, reason=why)
    if not changed:
        return None
    if row.pid is not None:
        _kill_group(row.pid)
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
    return Notice(kind="plot_failed", key=f"plot_failed:{row.id}", severity="warning", standing=False,
                  title=f"plot job {row.id} ({row.job}) failed", text=f"{reason}; log {row.log}",
                  context={"id": row.id, "job": row.job, "backend": row.backend, "k": row.k, "reason": reason,
                           "log": row.log, "tmp_dir": row.tmp_dir, "dst_dir": row.dst_dir, "removed": removed})


def signal_job(row: JobRow, signum: int) -> None:
    if not row.live or row.pid is None or row.proc_start is None or not procs.alive(row.pid, row.proc_start):
        raise PlotJobError(f"job {row.id} is not running (state {row.state})")
    os.killpg(row.pid, signum)


def suspend(db: JobDB, row: JobRow) -> None:
    signal_job(row, signal.SIGSTOP)
    db.update(row.id, state="suspended")


def resume(db: JobDB, row: JobRow) -> None:
    signal_job(row, signal.SIGCONT)
    db.update(row.id, state="running")


def kill(db: JobDB, row: JobRow) -> Notice | None:
    """SIGTERM to the job's group (and SIGCONT, so a suspended plotter can act on it), SIGKILL if it
    is still there after TERM_WAIT; then the job is failed and its temp files removed."""
    assert row.pid is not None
    obs = observe(row)  # the plot id, read before the plotter goes
    signal_job(row, signal.SIGTERM)
    os.killpg(row.pid, signal.SIGCONT)
    if not _wait_gone(row.pid, TERM_WAIT):
        _kill_group(row.pid)
        _wait_gone(row.pid, KILL_WAIT)
    return conclude(db, row, observe(row) if obs.plot_id is None else obs, time.time(),
                    reason="killed by plot-manager jobs kill")


def _wait_gone(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while procs.group(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _kill_group(pgid: int) -> None:
    if procs.group(pgid):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            return


def _final_plot(row: JobRow, plot_id: str | None) -> Path | None:
    if plot_id is None:
        return None
    found = sorted(Path(row.dst_dir).glob(get_backend(row.backend).final_glob(plot_id)))
    return found[0] if found else None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _text(path: Path | None) -> str | None:
    return None if path is None else str(path)

