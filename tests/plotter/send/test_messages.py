"""Messages that say what is wrong and what to do (each of these once gave a misleading line)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import ROOT, make_nas, make_plotter, run_cli
from tests.notify_servers import dead_port

CopyPlots = Callable[..., list[Path]]


def ssh_plotter(tmp_path: Path, extra: str = "") -> Path:
    (tmp_path / "dst").mkdir()
    ini = tmp_path / "plotter.ini"
    ini.write_text(f"[plotter]\nplot_dirs = {tmp_path}/dst\nstate_dir = {tmp_path}/state\nmin_plot_age = 0\n"
                   f"[nas nas01]\nhost = 127.0.0.1\nport = {dead_port()}\nuser = chia\n"
                   f"identity_file = {tmp_path}/key\nknown_hosts = {tmp_path}/known_hosts\n{extra}")
    (tmp_path / "known_hosts").write_text("")
    (tmp_path / "key").write_text("")  # read only once the port answers: this one never does
    return ini


def test_a_missing_identity_file_is_named(tmp_path: Path, copy_plots: CopyPlots) -> None:
    ini = ssh_plotter(tmp_path)
    ini.write_text(ini.read_text().replace(f"{tmp_path}/key", f"{tmp_path}/no-such-key"))
    copy_plots(tmp_path / "dst", 1)
    result = run_cli("plotter", "--config", str(ini), "send", "--once")
    assert result.returncode == 3  # a config error, not an outage: waiting will not bring the file
    assert (f"{ini}: [nas nas01] identity_file: cannot read {tmp_path}/no-such-key: No such file or directory"
            in result.stderr)


def test_connect_timeout_0_is_refused_at_load(tmp_path: Path) -> None:
    result = run_cli("plotter", "--config", str(ssh_plotter(tmp_path, "connect_timeout = 0\n")), "status")
    assert result.returncode == 3
    assert "[nas nas01] connect_timeout: 0 is out of range: allowed 1s..10m" in result.stderr


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root to switch to nobody")
def test_a_privileged_data_port_says_permission(tmp_path: Path) -> None:
    code = ("from nas.receive.dataport import listen\n"
            "try:\n    listen('127.0.0.1', (80, 81))\nexcept Exception as exc:\n    print(exc)\n")
    result = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", code],
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert "data_ports 80-81: permission denied on 2 of them (ports below 1024 need root" in result.stdout, result


def test_a_failed_row_without_a_nas_says_so() -> None:
    from plotter.monitor.status import render

    row = {"finished_at": 0.0, "plot": "plot-k32-x.plot", "nas": None, "path": None, "drive": None,
           "seconds": 1.0, "result": "failed", "error": "no reachable NAS can take 108 GB", "mb_per_s": 0.0}
    text = render({"waiting": [], "running": [], "recent": [row], "rejected": []})
    assert "-> no NAS" in text and "None" not in text


def test_waiting_group_files_count_their_plots_in_the_status_text() -> None:
    from plotter.monitor.status import render

    def waiting(name: str, plots: int) -> dict[str, object]:
        return {"name": name, "bytes": plots * 10**9, "age_seconds": 1.0, "state": "ready", "plots": plots}

    text = render({"waiting": [waiting("a.gplot", 128), waiting("b.plot2", 1)], "running": [], "recent": [],
                   "rejected": []})
    assert text.startswith("Plots waiting: 129 in 2 files\n")
    one = render({"waiting": [waiting("b.plot2", 1)], "running": [], "recent": [], "rejected": []})
    assert one.startswith("Plots waiting: 1\n")


def test_an_unreachable_nas_is_no_failed_transfer_and_bad_plots_are_left_alone(tmp_path: Path,
                                                                               copy_plots: CopyPlots) -> None:
    ini = ssh_plotter(tmp_path, f"[metrics]\ntextfile = {tmp_path}/p.prom\n")
    (plot,) = copy_plots(tmp_path / "dst", 1)
    broken = tmp_path / "dst" / plot.name.replace(plot.name[-20:-5], "0" * 15)
    broken.write_bytes(b"\0" * 4096)  # a plot name with no plot header behind it
    assert run_cli("plotter", "--config", str(ini), "send", "--once").returncode == 10
    prom = (tmp_path / "p.prom").read_text()
    assert "chia_plotter_plots_waiting 1\n" in prom  # the broken one is not waiting
    assert 'chia_plotter_transfer_bytes_total{result="failed"} 0' in prom  # never attempted: no failure
    status = run_cli("plotter", "--config", str(ini), "status")
    assert f"Left alone: {broken}" in status.stdout and "Recent transfers: 0" in status.stdout
    data = json.loads(run_cli("plotter", "--config", str(ini), "status", "--json").stdout)
    assert [w["name"] for w in data["waiting"]] == [plot.name] and data["recent"] == []


def test_a_young_plot_says_when_it_will_go(tmp_path: Path, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    plotter.ini.write_text(plotter.ini.read_text().replace("min_plot_age = 0", "min_plot_age = 1h"))
    copy_plots(plotter.dst, 1)[0].touch()
    result = run_cli("plotter", "--config", str(plotter.ini), "send", "--once", "-v")
    assert result.returncode == 0
    assert "1 plot(s) not old enough yet (min_plot_age 3600 s), next in 3600 s" in result.stderr

