"""The whole plotter as one system: the scheduler makes real k18 plots (the chia stand-in runs
chiapos), `send --watch` moves each to a NAS over the private sshd as soon as its job exited 0
(without waiting min_plot_age), verified; both services stop cleanly on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest
from chiapos import DiskProver

from common.plotformat.plotfile import parse_name
from tests.helpers import make_nas, popen_cli, run_cli, wait_for
from tests.plotter.conftest import standins
from tests.plotter.plotting.conftest import FARMER, POOL
from tests.sshd import LocalSshd

__all__ = ["standins"]  # the fixture, used by name
PLOTS = 2


def plotter_ini(root: Path, sshd: LocalSshd, nas_command: str, plotter: Path, backend: str = "chia") -> Path:
    for name in ("dst", "t0", "t1"):
        (root / name).mkdir(parents=True)
    ini = root / "plotter.ini"
    ini.write_text(f"""[plotter]
plot_dirs = {root / 'dst'}
state_dir = {root / 'state'}
min_plot_age = 1h
poll_interval = 0.5

[nas nas01]
host = 127.0.0.1
port = {sshd.port}
user = {sshd.user}
identity_file = {sshd.client_key}
known_hosts = {sshd.known_hosts}
command = {nas_command}
connect_timeout = 10

[plotting]
max_jobs = 2
max_phase1 = 1
stagger = 1s
poll_interval = 0.2

[job a]
backend = {backend}
executable = {plotter}
k = 18
tmp_dirs = {root / 't0'}, {root / 't1'}
farmer_key = {FARMER}
pool_key = {POOL}
max_plots = {PLOTS}
tmp_max_jobs = 1

[metrics]
textfile = {root / 'plotter.prom'}
""")
    return ini


def stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    return proc.returncode, stderr


@pytest.mark.slow
@pytest.mark.parametrize(("backend", "executable"), [("chia", "chia"), ("madmax", "chia_plot")])
def test_plots_are_made_and_moved_to_the_nas(tmp_path: Path, sshd: LocalSshd, standins: dict[str, Path],
                                             backend: str, executable: str) -> None:
    nas = make_nas(tmp_path / "nas", drives=2)
    ini = plotter_ini(tmp_path / "plotter", sshd, nas.command, standins[executable], backend)
    started = time.monotonic()
    scheduler = popen_cli("plotter", "--config", str(ini), "plot")
    sender = popen_cli("plotter", "--config", str(ini), "send", "--watch")
    try:
        wait_for(lambda: len(nas.plots()) == PLOTS, 240, f"{PLOTS} plots made and stored on the NAS")
        elapsed = time.monotonic() - started
    finally:
        (sched_code, sched_err), (send_code, send_err) = stop(scheduler), stop(sender)
    assert sched_code == 0, sched_err
    assert send_code == 0, send_err
    for copy in nas.plots():
        prover = DiskProver(str(copy))
        assert prover.get_id().hex() == parse_name(copy.name).plot_id and prover.get_size() == 18
    assert list((tmp_path / "plotter" / "dst").iterdir()) == []  # sent despite min_plot_age = 1h
    jobs = json.loads(run_cli("plotter", "--config", str(ini), "jobs", "--json").stdout)["jobs"]
    assert sorted(j["plot"] for j in jobs) == sorted(p.name for p in nas.plots())
    assert all(j["state"] == "done" for j in jobs) and len(jobs) == PLOTS
    recent = json.loads(run_cli("plotter", "--config", str(ini), "status", "--json").stdout)["recent"]
    assert sorted(r["result"] for r in recent) == ["ok"] * PLOTS
    prom = (tmp_path / "plotter" / "plotter.prom").read_text()  # written by send --watch's last round
    assert f"chia_plotter_plots_made_total {PLOTS}" in prom and "chia_plotter_plots_failed_total 0" in prom
    seconds = float(next(line.split()[1] for line in prom.splitlines()
                         if line.startswith("chia_plotter_plot_seconds_total")))
    assert 0 < seconds <= sum(float(j["elapsed"]) for j in jobs) + 1
    report = run_cli("plotter", "--config", str(ini), "report", "farm", "--print")
    assert report.returncode == 0, report.stderr
    assert f"This plotter made {PLOTS} plots in the last 24 h (0 failed" in report.stdout
    print(f"{PLOTS} k18 plots made and stored in {elapsed:.1f} s; jobs: "
          + ", ".join(f"{j['id']}:{j['elapsed']} s" for j in jobs))
