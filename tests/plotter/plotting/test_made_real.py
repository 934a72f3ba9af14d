"""A job that made its plot is done, whoever moved the plot and whenever the scheduler looks
(issue 16, item 1): the madMAx stand-in under ``plot``, ``send --watch`` to a local NAS with
``min_plot_age = 0`` taking each plot as soon as it is there; the scheduler stopped while the plot
is sent; a job started by an older scheduler (its parent records no plot: the sender's history
does); and a plotter that exits 0 without a plot, still failed."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from plotter import config as plotter_config
from plotter.plotting import made
from plotter.plotting.backends import command
from plotter.plotting.jobdb import JobRow, JobState, opened
from plotter.plotting.loop import Scheduler
from plotter.plotting.process import procs
from plotter.send.history import History, Transfer, TransferResult
from plotter.send.history import db_path as history_path
from tests.helpers import ROOT, make_nas, run_cli, wait_for
from tests.plotter.plotting.conftest import FARMER, POOL
from tests.plotter.plotting.scheduling import make_config, run_until

PLOTS = 4
TIMEOUT = 60


def plotter_ini(root: Path, nas_command: str, executable: Path, plotting_poll: str = "2",
                plots: int = PLOTS) -> Path:
    for name in ("dst", "t0"):
        (root / name).mkdir(parents=True, exist_ok=True)
    ini = root / "plotter.ini"
    ini.write_text(f"""[plotter]
plot_dirs = {root / 'dst'}
state_dir = {root / 'state'}
min_plot_age = 0
poll_interval = 0.1

[nas nas01]
transport = local
command = {nas_command}

[plotting]
poll_interval = {plotting_poll}

[job a]
backend = madmax
executable = {executable}
k = 18
tmp_dirs = {root / 't0'}
farmer_key = {FARMER}
pool_key = {POOL}
max_plots = {plots}
retry_delay = 1h
""")
    return ini


PACED = dict(os.environ, PLOTYARD_STANDIN_PACE="0.02")  # phases of about half a second


def popen(ini: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "plotter", "--config", str(ini), *args], cwd=ROOT, env=PACED,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def stop(proc: subprocess.Popen[str]) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate(timeout=TIMEOUT)
    return err


def job_list(ini: Path) -> list[dict[str, object]]:
    done = run_cli("plotter", "--config", str(ini), "jobs", "--json")
    assert done.returncode == 0, done.stderr
    jobs: list[dict[str, object]] = json.loads(done.stdout)["jobs"]
    return jobs


def db_rows(ini: Path) -> list[JobRow]:
    with opened(ini.parent / "state") as db:
        return db.all()


def sizes(paths: list[Path]) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in paths}


def _settled(jobs: list[dict[str, object]], stored: int) -> bool:
    """A job failed (with retry_delay = 1h no other starts), or all were made and stored."""
    return any(j["state"] == "failed" for j in jobs) or (
        stored == PLOTS and len(jobs) == PLOTS and all(j["state"] == "done" for j in jobs))


@pytest.mark.slow
def test_plots_sent_at_once_are_made_not_failed(tmp_path: Path, standins: dict[str, Path]) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    ini = plotter_ini(tmp_path / "plotter", nas.command, standins["chia_plot"])
    scheduler, sender = popen(ini, "plot"), popen(ini, "send", "--watch")
    try:
        wait_for(lambda: _settled(job_list(ini), len(nas.plots())), 240, f"{PLOTS} plots made and stored")
    finally:
        sched_err, send_err = stop(scheduler), stop(sender)
    assert (scheduler.returncode, sender.returncode) == (0, 0), (sched_err, send_err)
    jobs = job_list(ini)
    assert [j["state"] for j in jobs] == ["done"] * PLOTS, (jobs, sched_err)
    assert {r.plot_path.rsplit("/", 1)[-1]: r.plot_bytes for r in db_rows(ini) if r.plot_path} == sizes(nas.plots())
    assert "made no plot" not in sched_err and "failed" not in sched_err
    assert list((tmp_path / "plotter" / "dst").iterdir()) == []


@pytest.mark.slow
def test_the_scheduler_stopped_while_the_plot_is_sent(tmp_path: Path, standins: dict[str, Path]) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    ini = plotter_ini(tmp_path / "plotter", nas.command, standins["chia_plot"], plotting_poll="0.2", plots=1)
    scheduler = popen(ini, "plot")
    try:
        wait_for(lambda: any(r.pid for r in db_rows(ini)), TIMEOUT, "a job started")
    finally:
        stop(scheduler)
    assert scheduler.returncode == 0
    [row] = db_rows(ini)
    sender = popen(ini, "send", "--watch")
    try:
        wait_for(lambda: len(nas.plots()) == 1, TIMEOUT * 2, "the plot made and sent while no scheduler runs")
        assert row.pid is not None and row.proc_start is not None
        wait_for(lambda: not procs.alive(row.pid or 0, row.proc_start or 0), TIMEOUT, "the job's end")
    finally:
        stop(sender)
    assert list((tmp_path / "plotter" / "dst").iterdir()) == []
    done = run_cli("plotter", "--config", str(ini), "plot", "--once")
    assert done.returncode == 0, done.stderr
    [after] = db_rows(ini)
    assert after.state == "done" and after.returncode == 0 and after.reason is None, after
    assert after.plot_path is not None and {Path(after.plot_path).name: after.plot_bytes} == sizes(nas.plots())
    assert [j["state"] for j in job_list(ini)] == ["done"]  # max_plots = 1 reached: nothing more started


def start_as_before(ini: Path) -> tuple[int, subprocess.Popen[bytes]]:
    """A job as an older scheduler started it: its runjob parent records the exit status only."""
    cfg = plotter_config.load(ini)
    job = cfg.plotting.jobs[0]
    argv = command(job.spec(job.tmp_dirs[0], job.dst_dirs[0]))
    log, status = ini.parent / "old-job.log", ini.parent / "old-job.status"
    with opened(cfg.plotter.state_dir) as db:
        job_id = db.insert(job=job.name, backend=job.backend, k=job.k, compression=0, tmp_dir=str(job.tmp_dirs[0]),
                           dst_dir=str(job.dst_dirs[0]), log=str(log), status_file=str(status),
                           started_at=time.time(), state=JobState.STARTING)
        with open(log, "wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "plotter.plotting.process.runjob", "--status", str(status),
                                     "--", *argv], stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True, cwd=ROOT, env=PACED)
        found = procs.stat(proc.pid)
        assert found is not None
        db.update(job_id, pid=proc.pid, proc_start=found.start, state=JobState.RUNNING)
    return job_id, proc


@pytest.mark.slow
def test_a_plot_gone_before_its_parent_looked_is_found_in_the_senders_history(
        tmp_path: Path, standins: dict[str, Path]) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    ini = plotter_ini(tmp_path / "plotter", nas.command, standins["chia_plot"], plots=1)
    job_id, parent = start_as_before(ini)
    sender = popen(ini, "send", "--watch")
    try:
        assert parent.wait(TIMEOUT * 2) == 0
        wait_for(lambda: len(nas.plots()) == 1, TIMEOUT, "the plot sent")
    finally:
        stop(sender)
    status = json.loads((ini.parent / "old-job.status").read_text())
    assert status["returncode"] == 0 and "plot" not in status  # the parent did not record it
    done = run_cli("plotter", "--config", str(ini), "plot", "--once")
    assert done.returncode == 0, done.stderr
    [after] = db_rows(ini)
    assert after.id == job_id and after.state == "done", after
    assert after.plot_path is not None and {Path(after.plot_path).name: after.plot_bytes} == sizes(nas.plots())
    assert "sent to nas01" in done.stderr


def test_a_plotter_that_exits_0_without_a_plot_still_failed(tmp_path: Path) -> None:
    fake = tmp_path / "no-plot"
    fake.write_text(f"#!{sys.executable}\nprint('ID: {secrets.token_hex(32)}')\n")  # says a plot id, makes none
    fake.chmod(0o755)
    cfg = make_config(tmp_path, fake, job="max_plots = 1\nretry_delay = 1h")
    found = run_until(Scheduler(cfg), lambda rs: len(rs) == 1 and not rs[0].live)
    assert found[0].state == "failed" and found[0].returncode == 0 and found[0].plot_path is None
    assert found[0].reason == "exited 0 but made no plot: none in the dst dir, none recorded or sent"
    decision, _ = Scheduler(cfg).run_pass(dry_run=True)
    assert decision.waits["a"].startswith("retry_delay after a failed job: ")


def test_the_history_counts_only_a_stored_plot_of_that_id_since_the_job_started(tmp_path: Path) -> None:
    plot_id = secrets.token_hex(32)
    name = f"plot-k18-2026-12-06-22-31-{plot_id}.plot"
    assert made.sent(tmp_path, "madmax", plot_id, 100.0) is None
    assert not history_path(tmp_path).exists()  # looking creates no history
    history = History(tmp_path)
    for result, at in ((TransferResult.OK, 50.0), (TransferResult.FAILED, 150.0)):  # before the job; a failed transfer
        history.record(Transfer(name, 3_000_000, "nas01", "/d", None, 1.0, 3.0, None, result, None, at))
    history.record(Transfer(f"plot-k18-2026-12-06-22-31-{secrets.token_hex(32)}.plot", 5, "nas01", "/d", None, 1.0,
                            3.0, None, TransferResult.OK, None, 150.0))  # another plot
    assert made.sent(tmp_path, "madmax", plot_id, 100.0) is None
    history.record(Transfer(name, 3_000_000, "nas02", "/d", None, 1.0, 3.0, None, TransferResult.VERIFIED, None, 160.0))
    history.close()
    assert made.sent(tmp_path, "madmax", plot_id, 100.0) == made.Made(name, 3_000_000, "nas02")
