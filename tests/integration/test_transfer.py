"""End-to-end transfers over a real sshd and the local transport, with real plots."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from chiapos import DiskProver

from common.plotformat.plotfile import parse_name
from common.transfer.stream import hash_file
from tests.helpers import make_nas, make_plotter, run_cli
from tests.sshd import LocalSshd, keygen

CopyPlots = Callable[..., list[Path]]


@pytest.mark.slow
def test_send_once_over_ssh_moves_verified_plots(tmp_path: Path, sshd: LocalSshd, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=2)
    plotter = make_plotter(tmp_path / "plotter", nas, sshd)
    sources = copy_plots(plotter.dst, 2)
    hashes = {p.name: hash_file(str(p)) for p in sources}

    result = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")

    assert result.returncode == 0, result.stderr
    assert plotter.plots() == []
    stored = nas.plots()
    assert sorted(p.name for p in stored) == sorted(hashes)
    for copy in stored:
        assert hash_file(str(copy)) == hashes[copy.name]
        prover = DiskProver(str(copy))
        assert prover.get_id().hex() == parse_name(copy.name).plot_id
        assert prover.get_size() == 18
    assert nas.parts() == []


@pytest.mark.slow
def test_status_json_lists_recent_transfers(tmp_path: Path, sshd: LocalSshd, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, sshd)
    (sent,) = copy_plots(plotter.dst, 1)
    assert run_cli("plotter", "--config", str(plotter.ini), "send", "--once").returncode == 0
    copy_plots(plotter.dst, 1, start=1)

    result = run_cli("plotter", "--config", str(plotter.ini), "status", "--json")

    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [w["name"] for w in data["waiting"]] == [plotter.plots()[0].name]
    assert data["running"] == []
    (recent,) = data["recent"]
    assert recent["plot"] == sent.name and recent["result"] == "ok"
    assert recent["bytes"] == (nas.drives[0] / sent.name).stat().st_size
    assert recent["mb_per_s"] > 0 and recent["nas"] == "nas01"
    assert recent["hash"] == hash_file(str(nas.drives[0] / sent.name))


@pytest.mark.slow
def test_local_transport_fills_drives_in_natural_order(tmp_path: Path, copy_plots: CopyPlots) -> None:
    quota = 2 * 4_300_000  # two k18 plots, not three
    drives = [tmp_path / "nas" / "drives" / name for name in ("drive10", "drive2", "drive1")]
    sections = "".join(f"[drive {d}]\nquota = {quota}\n" for d in drives)
    nas = make_nas(tmp_path / "nas", drive_dirs=drives, drive_sections=sections)
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    copy_plots(plotter.dst, 5)

    result = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")

    assert result.returncode == 0, result.stderr
    counts = {d.name: len(list(d.glob("plot-*.plot"))) for d in drives}
    assert counts == {"drive1": 2, "drive2": 2, "drive10": 1}


@pytest.mark.slow
@pytest.mark.parametrize("known", ["empty", "changed"])
def test_unknown_or_changed_host_key_is_refused_and_plot_kept(tmp_path: Path, sshd: LocalSshd,
                                                              copy_plots: CopyPlots, known: str) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, sshd)
    known_hosts = tmp_path / "known_hosts"
    if known == "empty":
        known_hosts.write_text("")
    else:
        impostor = keygen(tmp_path / "impostor").with_suffix(".pub").read_text().split()
        known_hosts.write_text(f"[127.0.0.1]:{sshd.port} {impostor[0]} {impostor[1]}\n")
    plotter.ini.write_text(plotter.ini.read_text().replace(str(sshd.known_hosts), str(known_hosts)))
    (source,) = copy_plots(plotter.dst, 1)
    before = hash_file(str(source))

    result = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")

    assert result.returncode == 11, result.stderr  # the README: host key unknown or changed
    expected = "is not in" if known == "empty" else "does not match"
    assert expected in result.stderr and str(known_hosts) in result.stderr
    assert hash_file(str(source)) == before
    assert nas.plots() == [] and nas.parts() == []


def test_wrong_command_is_a_clear_error(tmp_path: Path, sshd: LocalSshd, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, sshd)
    plotter.ini.write_text(plotter.ini.read_text().replace(nas.command, "echo hello from the motd; echo"))
    (source,) = copy_plots(plotter.dst, 1)

    result = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")

    assert result.returncode == 10  # no plot was offered: the NAS counts as unreachable
    assert "`command` ended before its hello (exit status 0)" in result.stderr and source.exists()


def test_command_failing_on_the_nas_shows_its_reason(tmp_path: Path, sshd: LocalSshd,
                                                     copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, sshd)
    plotter.ini.write_text(plotter.ini.read_text().replace(nas.command, f"{sys.executable} -m no_such_module"))
    sources = copy_plots(plotter.dst, 2)

    result = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")

    assert result.returncode == 10
    assert "(exit status 1: " in result.stderr and "No module named no_such_module" in result.stderr
    reasons = [line for line in result.stderr.splitlines() if "No module named no_such_module" in line]
    assert len(reasons) == 1 and "NAS nas01 is unreachable, plots wait for it" in reasons[0]  # tried once
    assert "2 plot(s) kept on the plotter; see the log above: no NAS is reachable" in result.stderr
    assert all(s.exists() for s in sources) and nas.plots() == []


def test_shell_noise_before_hello_is_skipped(tmp_path: Path, sshd: LocalSshd, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, sshd)
    plotter.ini.write_text(plotter.ini.read_text().replace(nas.command, f"echo Welcome to the NAS; {nas.command}"))
    (source,) = copy_plots(plotter.dst, 1)

    result = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")

    assert result.returncode == 0, result.stderr
    assert [p.name for p in nas.plots()] == [source.name]
