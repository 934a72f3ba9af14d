"""What /proc says about a job's processes: start time (to tell a reused pid), state, process group."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class ProcStat:
    pid: int
    state: str  # R, S, D, T (stopped), Z (zombie), ...
    pgid: int
    start: int  # clock ticks after boot: with the pid, names one process for good


def stat(pid: int, proc: Path = PROC) -> ProcStat | None:
    try:
        text = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    fields = text[text.rindex(")") + 2:].split()
    return ProcStat(pid=pid, state=fields[0], pgid=int(fields[2]), start=int(fields[19]))


def alive(pid: int, start: int, proc: Path = PROC) -> bool:
    """The process we started is still there: same pid, same start time, not a zombie."""
    found = stat(pid, proc)
    return found is not None and found.start == start and found.state != "Z"


def group(pgid: int, proc: Path = PROC) -> list[ProcStat]:
    """Live (not zombie) processes of a process group."""
    members = []
    for entry in os.listdir(proc):
        if entry.isdigit():
            found = stat(int(entry), proc)
            if found is not None and found.pgid == pgid and found.state != "Z":
                members.append(found)
    return members


def started_at(ticks: int, proc: Path = PROC) -> float:
    """A process's start (clock ticks after boot, from its stat) as a Unix time."""
    boot = 0.0
    try:
        for line in (proc / "stat").read_text().splitlines():
            if line.startswith("btime "):
                boot = float(line.split()[1])
    except OSError:
        pass  # without the boot time the start is only relative; still ordered
    return boot + ticks / os.sysconf("SC_CLK_TCK")
