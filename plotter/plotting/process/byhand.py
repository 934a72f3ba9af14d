"""Plot jobs this scheduler did not start (by hand, or by another manager), found in /proc by their
command line as plotman does. Those that use one of this config's tmp, tmp2 or dst dirs count
towards its limits and the room on its disks, and ``jobs`` lists them; a plotter working only in
other dirs is someone else's (another plotyard's, another user's) and is left out.

Their phase and plot id come from their log when their standard output is a file (``chia plots
create ... > log``); otherwise they count as just started, in phase 1, the cautious reading.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from plotter.plotting import logs
from plotter.plotting.backends import JobSpec
from plotter.plotting.jobdb import JobDB
from plotter.plotting.phase import START, Phase
from plotter.plotting.process import cmdline, procs

BY_HAND = "(by hand)"  # the job name they run under; a [job NAME] section cannot have it (no spaces)
LOG_LIMIT = 2**24  # bytes of a log read at most (a k32 chia log is about 100 kB)


@dataclass(frozen=True)
class HandJob:
    pid: int
    spec: JobSpec  # backend, k, dirs and compression: what room and file names depend on
    started_at: float
    suspended: bool
    log: Path | None
    phase: Phase = START
    plot_id: str | None = None


def outside(db: JobDB, dirs: set[Path]) -> list[HandJob]:
    """Plotters using one of ``dirs``, outside the process groups of the jobs ``db`` holds as live
    (each job's group is its runjob parent's pid)."""
    mine = {_real(d) for d in dirs}
    return [job for job in find({row.pid for row in db.all(live_only=True) if row.pid is not None})
            if mine & {_real(d) for d in (job.spec.tmp_dir, job.spec.tmp2_dir, job.spec.dst_dir) if d is not None}]


def find(own_groups: set[int], proc: Path = procs.PROC) -> list[HandJob]:
    """Plotters running on this machine outside the process groups of our own jobs."""
    found = []
    for entry in os.listdir(proc):
        if not entry.isdigit():
            continue
        job = _job(int(entry), own_groups, proc)
        if job is not None:
            found.append(job)
    return sorted(found, key=lambda j: (j.started_at, j.pid))


def _job(pid: int, own_groups: set[int], proc: Path) -> HandJob | None:
    try:
        argv = (proc / str(pid) / "cmdline").read_bytes().decode("utf-8", "replace").split("\0")[:-1]
    except OSError:
        return None  # gone, or not ours to read
    spec = cmdline.parse(argv)
    stat = procs.stat(pid, proc)
    if spec is None or stat is None or stat.pgid in own_groups or stat.state == "Z":
        return None
    cwd = _link(proc / str(pid) / "cwd") or Path("/")
    spec = replace(spec, dst_dir=cwd / spec.dst_dir, tmp_dir=_under(cwd, spec.tmp_dir),
                   tmp2_dir=_under(cwd, spec.tmp2_dir))
    log = _link(proc / str(pid) / "fd" / "1")
    lines = _read_log(log) if log is not None else []
    return HandJob(pid, spec, procs.started_at(stat.start, proc), stat.state == "T", log if lines else None,
                   logs.current_phase(lines, spec.backend), logs.plot_id(lines, spec.backend) if lines else None)


def _read_log(path: Path) -> list[str]:
    """The lines of a plotter's standard output when it is a regular file, else none."""
    if not path.is_absolute() or not path.is_file():  # a pipe, a terminal, /dev/null
        return []
    try:
        with open(path, "rb") as f:
            return logs.split_lines(f.read(LOG_LIMIT))
    except OSError:
        return []


def _real(path: Path) -> str:
    return os.path.realpath(path)  # one dir however it is spelled (symlinks, "..", a trailing slash)


def _link(path: Path) -> Path | None:
    try:
        return Path(os.readlink(path))
    except OSError:
        return None


def _under(cwd: Path, directory: Path | None) -> Path | None:
    return None if directory is None else cwd / directory
