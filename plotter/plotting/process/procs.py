"""What /proc says about a job's processes: start time (to tell a reused pid), state, process group;
and the one way the plotter signals a job's processes (:func:`signal_job`).

A pid, or a process group id, names our process only together with its start time: after the job's
processes are gone the kernel gives the number to anyone. :func:`job_processes` decides, from one
look at the process table, which processes are the job's; each is then signalled through a pidfd
opened and checked against its start time, so that not even a pid reused between the look and the
signal can be hit.
"""

from __future__ import annotations

import errno
import os
import signal
from collections.abc import Iterable
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


def table(proc: Path = PROC) -> list[ProcStat]:
    """Every process /proc shows now (zombies too)."""
    found = (stat(int(entry), proc) for entry in os.listdir(proc) if entry.isdigit())
    return [p for p in found if p is not None]


def group(pgid: int, proc: Path = PROC) -> list[ProcStat]:
    """Live (not zombie) processes of a process group."""
    return [p for p in table(proc) if p.pgid == pgid and p.state != "Z"]


@dataclass(frozen=True)
class Ident:
    """One process for good: its pid and start time (None: not known, from an older status file)."""

    pid: int
    start: int | None


def job_processes(processes: Iterable[ProcStat], leader: Ident, plotter: Ident | None = None) -> list[ProcStat]:
    """The live processes of the job whose runjob parent (leader of its session and process group)
    is ``leader`` and whose plotter is ``plotter``, among ``processes``: the ones it is safe to signal. Pure.

    - The leader's pid alive with another start time: a stranger has the number, so every process
      of ours is gone (the kernel reuses no pid still in use as a process group id): none.
    - The leader alive (or a zombie) with its start time: its group is ours (a process can join a
      group only within its session, and the session is the job's).
    - The leader gone: the group may still hold our plotter (orphaned when the parent was killed),
      or be a stranger's group given the freed number. Ours only while our plotter, by pid and start
      time, is in it; otherwise nothing in it can be told from a stranger's, and none is signalled.
    Either way a process started before the job's leader is not ours.
    """
    if leader.start is None:
        return []
    listed = list(processes)
    by_pid = {p.pid: p for p in listed}
    head = by_pid.get(leader.pid)
    if head is not None and head.start != leader.start:
        return []
    if head is None:
        mate = None if plotter is None else by_pid.get(plotter.pid)
        if mate is None or plotter is None or mate.pgid != leader.pid or mate.start < leader.start or (
                plotter.start is not None and mate.start != plotter.start):
            return []
    return [p for p in listed if p.pgid == leader.pid and p.state != "Z" and p.start >= leader.start]


NO_PIDFD = (errno.ENOSYS, errno.EPERM)  # a kernel before 5.3, or a seccomp filter that refuses pidfds


def send(target: ProcStat, signum: int, proc: Path = PROC) -> bool:
    """Signal ``target`` if it is still that process (pid and start time); True if it was signalled.
    The pidfd pins the process found: checked after opening, it cannot be swapped before the signal.
    Without pidfds: the check, then the signal (a window of microseconds)."""
    try:
        fd = os.pidfd_open(target.pid)
    except ProcessLookupError:
        return False
    except OSError as exc:
        if exc.errno not in NO_PIDFD:
            raise
        fd = -1
    try:
        found = stat(target.pid, proc)
        if found is None or found.start != target.start:
            return False
        _signal(fd, target.pid, signum)
        return True
    except ProcessLookupError:
        return False
    finally:
        if fd >= 0:
            os.close(fd)


def _signal(fd: int, pid: int, signum: int) -> None:
    if fd >= 0:
        try:
            signal.pidfd_send_signal(fd, signum)
            return
        except OSError as exc:
            if exc.errno not in NO_PIDFD:
                raise
    os.kill(pid, signum)


SIGNAL_ROUNDS = 5  # a process forked while we signal is caught by the next round


def signal_job(leader: Ident, plotter: Ident | None, signum: int, proc: Path = PROC) -> int:
    """Send ``signum`` to every process of the job (see :func:`job_processes`); how many got it."""
    done: set[tuple[int, int]] = set()
    for _ in range(SIGNAL_ROUNDS):
        todo = [p for p in job_processes(table(proc), leader, plotter) if (p.pid, p.start) not in done]
        if not todo:
            break
        for target in todo:
            if send(target, signum, proc):
                done.add((target.pid, target.start))
    return len(done)


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
