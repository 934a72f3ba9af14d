"""A job that made its plot is done, whoever moved the plot and whenever the scheduler looks
(issue 16, item 1): the madMAx stand-in under ``plot``, ``send --watch`` to a local NAS with
``min_plot_age = 0`` taking each plot as soon as it is there."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT, make_nas, run_cli, wait_for
from tests.plotter.plotting.conftest import FARMER, POOL

PLOTS = 4
TIMEOUT = 60


def plotter_ini(root: Path, nas_command: str, executable: Path, plotting_poll: str = "2",
                job: str = "") -> Path:
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
max_plots = {PLOTS}
retry_delay = 1h
{job}
""")
    return ini


def popen(ini: Path, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PLOTYARD_STANDIN_PACE="0.02")  # phases of about half a second
    return subprocess.Popen([sys.executable, "-m", "plotter", "--config", str(ini), *args], cwd=ROOT, env=env,
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


def _settled(jobs: list[dict[str, object]], stored: int) -> bool:
    """A job failed (with retry_delay = 1h no other starts), or all were made and stored."""
    return any(j["state"] == "failed" for j in jobs) or (
        stored == PLOTS and len(jobs) == PLOTS and all(j["state"] == "done" for j in jobs))


def test_plots_sent_at_once_are_made_not_failed(tmp_path: Path, standins: dict[str, Path]) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    ini = plotter_ini(tmp_path / "plotter", nas.command, standins["chia_plot"])
    scheduler, sender = popen(ini, "plot"), popen(ini, "send", "--watch")
    try:
        wait_for(lambda: _settled(job_list(ini), len(nas.plots())), 240, f"{PLOTS} plots made and stored")
    finally:
        sched_err, send_err = stop(scheduler), stop(sender)
    jobs = job_list(ini)
    assert [j["state"] for j in jobs] == ["done"] * PLOTS, (jobs, sched_err)
    assert sorted(str(j["plot"]) for j in jobs) == sorted(p.name for p in nas.plots())
    assert "plot is not in the dst dir" not in sched_err
    assert list((tmp_path / "plotter" / "dst").iterdir()) == []
