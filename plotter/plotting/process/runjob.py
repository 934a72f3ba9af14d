"""The parent of every plotter process: ``python -m plotter.plotting.process.runjob --status FILE [--nice N]
[--cpus LIST] [--backend NAME --dst DIR --log FILE] -- ARGV...``.

The scheduler starts this in a session of its own, so the job outlives a restart of the scheduler;
but a process that is not our child cannot be waited for, so its exit status would be lost. This
small parent waits for the plotter and writes its exit status (negative: killed by that signal) to
FILE, atomically, for whichever scheduler looks next. Priority and CPU affinity are set on itself
before the plotter starts, which inherits them. SIGTERM/SIGINT/SIGHUP reach the plotter directly
(sent to the process group); this parent keeps waiting to record how it ended.

The status also names the plotter (pid and start time, so that a later scheduler can tell it from a
stranger given the same pid) and, when it exited 0, the plot it made (``plot``, ``plot_bytes``):
found by the plot id in the log in DIR at once, before a sender with ``min_plot_age = 0`` moves it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from plotter.plotting import made
from plotter.plotting.process import procs


def write_status(path: Path, values: dict[str, object]) -> None:
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(values))
    os.replace(part, path)


def _ignore(signum: int, frame: FrameType | None) -> None:
    """A handler, not SIG_IGN: an ignored signal would stay ignored in the plotter after exec."""


def _tune(nice: int, cpus: list[int]) -> None:
    try:
        if nice:
            os.setpriority(os.PRIO_PROCESS, 0, nice)
        if cpus:
            os.sched_setaffinity(0, cpus)
    except OSError as exc:  # e.g. a negative nice without the privilege: say so in the job's log, plot anyway
        print(f"plotyard: cannot set nice {nice} / CPUs {cpus}: {exc}", file=sys.stderr, flush=True)


def made_fields(backend: str | None, dst: Path | None, log: Path | None) -> dict[str, object]:
    """The status fields naming the plot just made; none when it cannot be found (the scheduler
    then looks in the dst dir and the sender's history)."""
    if backend is None or dst is None or log is None:
        return {}
    plot_id = made.plot_id_in_log(log, backend)
    found = None if plot_id is None else made.find_final(backend, dst, plot_id)
    if found is None:
        return {"plot_id": plot_id} if plot_id else {}
    return {"plot_id": plot_id, "plot": found.name, "plot_bytes": found.size}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="runjob")
    parser.add_argument("--status", required=True, type=Path)
    parser.add_argument("--nice", type=int, default=0)
    parser.add_argument("--cpus", default="")
    parser.add_argument("--backend")
    parser.add_argument("--dst", type=Path)
    parser.add_argument("--log", type=Path)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _ignore)
    _tune(args.nice, [int(c) for c in args.cpus.split(",") if c])
    try:
        child = subprocess.Popen(command)
    except OSError as exc:
        print(f"plotyard: cannot start {command[0]}: {exc.strerror or exc}", file=sys.stderr, flush=True)
        write_status(args.status, {"returncode": 127, "error": str(exc.strerror or exc), "ended_at": time.time()})
        return 127
    found = procs.stat(child.pid)
    plotter: dict[str, object] = {"plotter_pid": child.pid, "plotter_start": found.start if found else None}
    write_status(args.status, plotter)
    returncode = child.wait()
    try:
        plot = made_fields(args.backend, args.dst, args.log) if returncode == 0 else {}
    except (OSError, ValueError) as exc:  # never lose the exit status over it: the scheduler looks too
        print(f"plotyard: cannot record the plot made: {exc}", file=sys.stderr, flush=True)
        plot = {}
    write_status(args.status, {**plotter, "returncode": returncode, "ended_at": time.time(), **plot})
    return 0 if returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
