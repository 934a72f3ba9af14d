"""Which processes of a process table are a job's (procs.job_processes): the one decision behind
every signal the plotter sends to a job. Pure; the real pid reuse is test_pidreuse_real."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from plotter.plotting.process import procs
from plotter.plotting.process.procs import Ident, ProcStat
from tests.helpers import wait_for

LEADER = Ident(500, 1000)
PLOTTER = Ident(501, 1001)


def ps(pid: int, pgid: int, start: int, state: str = "S") -> ProcStat:
    return ProcStat(pid=pid, state=state, pgid=pgid, start=start)


OURS = [ps(500, 500, 1000), ps(501, 500, 1001), ps(502, 500, 1500)]
ELSEWHERE = [ps(1, 1, 1), ps(700, 700, 2000)]


def pids(found: list[ProcStat]) -> list[int]:
    return sorted(p.pid for p in found)


def test_the_group_of_our_live_leader_is_ours() -> None:
    assert pids(procs.job_processes([*ELSEWHERE, *OURS], LEADER, PLOTTER)) == [500, 501, 502]
    assert pids(procs.job_processes(OURS, LEADER, None)) == [500, 501, 502]  # no status file needed


def test_a_zombie_leader_still_names_its_group() -> None:
    found = procs.job_processes([ps(500, 500, 1000, "Z"), ps(501, 500, 1001)], LEADER, PLOTTER)
    assert pids(found) == [501]  # the zombie itself is not signalled


def test_the_leaders_pid_with_another_start_time_is_a_stranger() -> None:
    stranger = [ps(500, 500, 9000), ps(510, 500, 9001)]  # a session leader given the pid, and its member
    assert procs.job_processes(stranger, LEADER, PLOTTER) == []
    assert procs.job_processes(stranger, LEADER, Ident(510, None)) == []


def test_a_group_without_its_leader_is_ours_only_while_our_plotter_is_in_it() -> None:
    orphaned = [ps(501, 500, 1001), ps(502, 500, 1500)]  # the runjob parent was killed; the plotter runs on
    assert pids(procs.job_processes(orphaned, LEADER, PLOTTER)) == [501, 502]
    assert pids(procs.job_processes(orphaned, LEADER, Ident(501, None))) == [501, 502]  # an older status file
    # a leaderless group of a stranger given the freed number: nothing in it is proven ours
    strangers = [ps(520, 500, 9001), ps(521, 500, 9002)]
    assert procs.job_processes(strangers, LEADER, PLOTTER) == []
    assert procs.job_processes(strangers, LEADER, None) == []
    assert procs.job_processes([ps(501, 500, 9001)], LEADER, PLOTTER) == []  # the plotter's pid reused
    assert procs.job_processes([ps(501, 500, 999)], LEADER, Ident(501, None)) == []  # older than the job
    assert procs.job_processes([ps(501, 777, 1001)], LEADER, PLOTTER) == []  # left our group


def test_processes_started_before_the_job_are_never_ours() -> None:
    found = procs.job_processes([*OURS, ps(499, 500, 10)], LEADER, PLOTTER)
    assert 499 not in pids(found)
    assert procs.job_processes(OURS, Ident(500, None), PLOTTER) == []  # no start time: nothing is proven


def test_send_checks_the_start_time_of_a_real_process() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], stdin=subprocess.DEVNULL)
    try:
        found = procs.stat(child.pid)
        assert found is not None
        assert not procs.send(ProcStat(child.pid, "S", found.pgid, found.start + 1), signal.SIGTERM)
        assert child.poll() is None  # another start time: not signalled
        assert procs.send(found, signal.SIGTERM)
        assert child.wait(timeout=30) == -signal.SIGTERM
        assert not procs.send(found, signal.SIGTERM)  # a zombie reaped: gone
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)


def test_signal_job_reaches_the_whole_group_of_a_real_job() -> None:
    code = "import subprocess, time; subprocess.Popen(['sleep', '60']); time.sleep(60)"
    leader = subprocess.Popen([sys.executable, "-c", code], start_new_session=True, stdin=subprocess.DEVNULL)
    try:
        found = procs.stat(leader.pid)
        assert found is not None
        wait_for(lambda: len(procs.group(leader.pid)) == 2, 30, "the leader's member process")
        assert procs.signal_job(Ident(leader.pid, found.start + 1), None, signal.SIGKILL) == 0
        assert len(procs.group(leader.pid)) == 2
        assert procs.signal_job(Ident(leader.pid, found.start), None, signal.SIGKILL) == 2
        assert leader.wait(timeout=30) == -signal.SIGKILL
    finally:
        if leader.poll() is None:
            os.killpg(leader.pid, signal.SIGKILL)
            leader.wait(timeout=30)
