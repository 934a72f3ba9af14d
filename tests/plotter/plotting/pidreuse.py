"""Run as pid 1 of a fresh pid namespace (``unshare --pid --fork --mount-proc``) by
test_pidreuse_real: a job's pid handed to an unrelated session leader, then every signalling path
of the plotter tried against it. Prints what it saw as one JSON object; the test asserts on it.

``python -m tests.plotter.plotting.pidreuse ROOT CHIA_STANDIN``
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from plotter.cli.main import main as cli
from plotter.plotting.loop import Scheduler
from plotter.plotting.process import procs
from tests.plotter.plotting.scheduling import make_config, rows, wait_for

STRANGER = ("import subprocess, time\n"
            "subprocess.Popen(['sleep', '600'])\n"  # a member of its group, started after our job
            "time.sleep(600)\n")


def reap() -> None:
    """As pid 1, reap every child that ended (an orphan reparented here too): a zombie would keep
    its pid, and its process group id, from being given out again."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def gone(pgid: int) -> bool:
    reap()
    return not any(p.pgid == pgid or p.pid == pgid for p in procs.table())


def stranger_at(pid: int) -> subprocess.Popen[bytes]:
    """An unrelated session leader given ``pid`` (the next pid after ns_last_pid)."""
    Path("/proc/sys/kernel/ns_last_pid").write_text(str(pid - 1))
    proc = subprocess.Popen([sys.executable, "-c", STRANGER], start_new_session=True, stdin=subprocess.DEVNULL)
    assert proc.pid == pid, f"the stranger got pid {proc.pid}, not {pid}"
    # Both asleep before anything is tried: a stopped (T) or ended process afterwards is then ours to blame.
    wait_for(lambda: states(pid) == ["S", "S"], 30, "the stranger and its member process asleep")
    return proc


def still_there(proc: subprocess.Popen[bytes], grace: float = 1.0) -> bool:
    """Not ended within ``grace`` seconds (a signal sent to it has landed by then)."""
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        return True
    return False


def states(pgid: int) -> list[str]:
    return sorted(p.state for p in procs.group(pgid))


def run(root: Path, chia: Path) -> dict[str, object]:
    cfg = make_config(root, chia, job="max_plots = 1\nretry_delay = 1h", k=19)
    ini = ["--config", str(cfg.path)]
    scheduler = Scheduler(cfg)
    scheduler.run_pass()
    [row] = rows(cfg)
    assert row.pid is not None
    wait_for(lambda: len(procs.group(row.pid or 0)) == 2, 30, "the plotter under its runjob parent")
    os.killpg(row.pid, signal.SIGKILL)  # the job dies with no scheduler running: no exit status recorded
    wait_for(lambda: gone(row.pid or 0), 30, "the job's processes reaped")
    stranger = stranger_at(row.pid)
    seen: dict[str, object] = {"pid": row.pid, "stranger": stranger.pid, "before": states(stranger.pid)}
    seen["suspend"] = cli([*ini, "jobs", "suspend", str(row.id)])
    seen["resume"] = cli([*ini, "jobs", "resume", str(row.id)])
    seen["kill"] = cli([*ini, "jobs", "kill", str(row.id)])
    seen["after_commands"] = states(stranger.pid)
    Scheduler(cfg).run_pass()  # the next scheduler: the job is over, the pid is a stranger's
    [after] = rows(cfg)
    seen.update(state=after.state, reason=after.reason, stranger_alive=still_there(stranger),
                after_pass=states(stranger.pid))
    os.killpg(stranger.pid, signal.SIGKILL)
    return seen


if __name__ == "__main__":
    print(json.dumps(run(Path(sys.argv[1]), Path(sys.argv[2]))), flush=True)
