"""Job lifecycle on the chia stand-in: suspend/resume (/proc state), kill (temp files gone), a
scheduler restart mid-job, pid reuse, and a dst too small for another plot (tmpfs, as root)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from plotter.cli.main import main
from plotter.plotting.jobdb import JobRow, JobState, opened
from plotter.plotting.loop import Scheduler
from plotter.plotting.process import procs
from tests.plotter.plotting.scheduling import make_config, rows, run_until, wait_for

TIMEOUT = 60


def _child(row: JobRow) -> int:
    """The plotter's pid (the runjob parent's child)."""
    assert row.pid is not None
    children = Path(f"/proc/{row.pid}/task/{row.pid}/children")
    wait_for(lambda: children.read_text().strip() != "", what="the plotter process")
    return int(children.read_text().split()[0])


def _temp_files(root: Path) -> list[Path]:
    return sorted(p for d in ("t0", "t1") for p in (root / d).glob("*.tmp"))


def _state(pid: int) -> str:
    found = procs.stat(pid)
    return found.state if found else "gone"


def test_suspend_resume_kill(tmp_path: Path, standins: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    cfg = make_config(tmp_path, standins["chia"], k=20)
    Scheduler(cfg).run_pass()
    [row] = rows(cfg)
    plotter = _child(row)
    wait_for(lambda: len(_temp_files(tmp_path)) > 0, what="temp files")
    ini = ["--config", str(cfg.path)]
    assert main([*ini, "jobs", "suspend", str(row.id)]) == 0
    assert _state(row.pid or 0) == "T" and _state(plotter) == "T"
    sizes = [p.stat().st_size for p in _temp_files(tmp_path)]
    assert main([*ini, "jobs", "resume", str(row.id)]) == 0
    assert _state(plotter) in ("R", "S", "D")
    assert main([*ini, "jobs", "suspend", str(row.id)]) == 0
    assert sizes  # the job had written temp files before it was killed
    assert main([*ini, "jobs", "kill", str(row.id)]) == 0
    assert _temp_files(tmp_path) == [] and not list((tmp_path / "dst").iterdir())
    assert _state(plotter) in ("gone", "Z") and procs.group(row.pid or 0) == []
    [after] = rows(cfg)
    assert after.state == "failed" and after.reason == "killed by plot-manager jobs kill"
    capsys.readouterr()
    assert main([*ini, "jobs"]) == 0
    listing = capsys.readouterr().out
    assert "failed" in listing and "killed by plot-manager jobs kill" in listing
    assert main([*ini, "jobs", "resume", str(row.id)]) == 18  # not running any more
    assert main([*ini, "jobs", "kill", "999"]) == 18


@pytest.mark.slow
def test_a_scheduler_restart_finds_the_job_again(tmp_path: Path, standins: dict[str, Path]) -> None:
    cfg = make_config(tmp_path, standins["chia"], k=19)
    scheduler = subprocess.Popen([sys.executable, "-m", "plotter", "--config", str(cfg.path), "plot"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: bool(rows(cfg)) and rows(cfg)[0].pid is not None, what="a job started")
        [row] = rows(cfg)
        scheduler.send_signal(signal.SIGTERM)
        assert scheduler.wait(TIMEOUT) == 0
    finally:
        if scheduler.poll() is None:
            scheduler.kill()
            scheduler.wait(TIMEOUT)
    assert row.pid is not None and row.proc_start is not None
    assert procs.alive(row.pid, row.proc_start), "the job outlives the scheduler"
    # a new scheduler (one pass at a time, like cron) picks it up and records how it ended
    found = run_until(Scheduler(cfg), lambda rs: not rs[0].live)
    assert found[0].state == "done" and found[0].returncode == 0 and found[0].plot_path
    assert Path(found[0].plot_path).is_file() and found[0].plot_bytes == Path(found[0].plot_path).stat().st_size


def test_a_reused_pid_is_not_our_job(tmp_path: Path, standins: dict[str, Path]) -> None:
    cfg = make_config(tmp_path, standins["chia"])
    me = procs.stat(os.getpid())
    assert me is not None
    with opened(cfg.plotter.state_dir) as db:
        job_id = db.insert(job="a", backend="chia", k=18, compression=0, tmp_dir=str(tmp_path / "t0"),
                           dst_dir=str(tmp_path / "dst"), log=str(tmp_path / "none.log"),
                           status_file=str(tmp_path / "none.status"), started_at=1.0, state=JobState.RUNNING,
                           pid=os.getpid(), proc_start=me.start - 1)  # our pid, another process's start time
    assert main(["--config", str(cfg.path), "jobs", "suspend", str(job_id)]) == 18
    assert _state(os.getpid()) != "T"
    Scheduler(cfg).run_pass(dry_run=False)
    [row, *_] = rows(cfg)
    assert row.state == "failed" and "without an exit status" in (row.reason or "")


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("mount"), reason="needs root to mount a tmpfs")
def test_a_dst_that_cannot_hold_another_plot_gets_no_job(tmp_path: Path, standins: dict[str, Path]) -> None:
    dst = tmp_path / "small"
    dst.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(dst)], check=True, timeout=TIMEOUT)
    try:
        cfg = make_config(tmp_path, standins["chia"], dst=str(dst), plotting="max_jobs = 2",
                          job="max_jobs = 2\nretry_delay = 1h")
        scheduler = Scheduler(cfg)
        decision, started = scheduler.run_pass()
        assert len(started) == 1  # a second k18 plot (3.6 MiB each) does not fit next to the running one
        waits = decision.waits["a"]
        assert waits.startswith(f"dst space: {dst} has ") and "held for running jobs" in waits
        found = run_until(scheduler, lambda rs: not rs[0].live)
        assert [r.state for r in found] == ["done"]
        decision, started = scheduler.run_pass()
        assert started == [] and decision.waits["a"].startswith(f"dst space: {dst} has ")
        assert len(list(dst.glob("*.plot"))) == 1 and not list(dst.glob("*.tmp"))
    finally:
        for row in rows(cfg):
            if row.live and row.pid:
                os.killpg(row.pid, signal.SIGKILL)
        subprocess.run(["umount", "-l", str(dst)], check=False, timeout=TIMEOUT)


def test_a_plotter_orphaned_by_its_parent_is_ended_with_the_job(tmp_path: Path, standins: dict[str, Path]) -> None:
    """The runjob parent killed (as by the OOM killer): its group, leaderless, still holds our plotter,
    which the status file names by pid and start time; the next pass fails the job and ends it."""
    cfg = make_config(tmp_path, standins["chia"], k=20, job="max_plots = 1\nretry_delay = 1h")
    scheduler = Scheduler(cfg)
    scheduler.run_pass()
    [row] = rows(cfg)
    plotter = _child(row)
    wait_for(lambda: len(_temp_files(tmp_path)) > 0, what="temp files")
    assert row.pid is not None
    os.kill(row.pid, signal.SIGKILL)  # the parent alone
    scheduler.handles[row.id].wait(TIMEOUT)
    assert _state(plotter) in ("R", "S", "D") and [p.pid for p in procs.group(row.pid)] == [plotter]
    scheduler.run_pass()
    wait_for(lambda: _state(plotter) in ("gone", "Z"), TIMEOUT, "the orphaned plotter ended")
    [after] = rows(cfg)
    assert after.state == "failed" and "without an exit status" in (after.reason or "")
    assert _temp_files(tmp_path) == []
