"""Several [nas …] sections: most free space wins, an unreachable NAS is skipped once per run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.helpers import make_nas, make_plotter, run_cli
from tests.sshd import LocalSshd, free_port

CopyPlots = Callable[..., list[Path]]


def test_most_free_nas_wins_and_dead_nas_is_skipped(tmp_path: Path, sshd: LocalSshd, copy_plots: CopyPlots) -> None:
    small_drive = tmp_path / "small" / "drives" / "drive1"
    small = make_nas(tmp_path / "small", drive_dirs=[small_drive],
                     drive_sections=f"[drive {small_drive}]\nquota = 20MiB\n")
    big_drive = tmp_path / "big" / "drives" / "drive1"
    big = make_nas(tmp_path / "big", drive_dirs=[big_drive], drive_sections=f"[drive {big_drive}]\nquota = 40MiB\n")
    dead = (
        f"[nas dead]\nhost = 127.0.0.1\nport = {free_port()}\nuser = {sshd.user}\n"
        f"identity_file = {sshd.client_key}\nknown_hosts = {sshd.known_hosts}\nconnect_timeout = 3\n"
    )
    big_section = f"[nas big]\ntransport = local\ncommand = {big.command}\n"
    plotter = make_plotter(tmp_path / "plotter", small, sshd, nas_name="small", more_nas=dead + big_section)
    sources = copy_plots(plotter.dst, 2)

    result = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")

    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in big.plots()) == sorted(p.name for p in sources)
    assert small.plots() == []
    skip_lines = [line for line in result.stderr.splitlines() if "NAS dead is unreachable" in line]
    assert len(skip_lines) == 1 and "cannot reach 127.0.0.1" in skip_lines[0]
