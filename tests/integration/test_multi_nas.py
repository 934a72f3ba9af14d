"""Several [nas …] sections: the referee when it has room, else the other NAS with most free space;
an unreachable NAS is skipped once per run."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from nas.state import DB_NAME
from plotter.send.rendezvous import referee
from tests.helpers import make_nas, make_plotter, nas_section, run_cli
from tests.sshd import LocalSshd, free_port

CopyPlots = Callable[..., list[Path]]


@pytest.mark.slow
def test_full_referee_sends_to_the_most_free_nas_and_dead_nas_is_skipped(tmp_path: Path, sshd: LocalSshd,
                                                                        copy_plots: CopyPlots) -> None:
    sources = copy_plots(tmp_path / "plotter" / "dst", 2)
    # A name for the full NAS that makes it the referee of both plots (the others, never).
    others = ["small", "big", "dead"]
    full_name = next(f"full{i}" for i in range(200_000)
                     if all(referee([f"full{i}", *others], s.name) == f"full{i}" for s in sources))
    drives = {name: tmp_path / name / "drives" / "drive1" for name in ("full", "small", "big")}
    quotas = {"full": "1MiB", "small": "20MiB", "big": "40MiB"}
    setups = {name: make_nas(tmp_path / name, drive_dirs=[drives[name]],
                             drive_sections=f"[drive {drives[name]}]\nquota = {quotas[name]}\n")
              for name in drives}
    dead = (
        f"[nas dead]\nhost = 127.0.0.1\nport = {free_port()}\nuser = {sshd.user}\n"
        f"identity_file = {sshd.client_key}\nknown_hosts = {sshd.known_hosts}\nconnect_timeout = 3\n"
    )
    more = nas_section(full_name, setups["full"], None) + dead + nas_section("big", setups["big"], None)
    plotter = make_plotter(tmp_path / "plotter", setups["small"], sshd, nas_name="small", more_nas=more)

    result = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")

    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in setups["big"].plots()) == sorted(p.name for p in sources)
    assert setups["small"].plots() == [] and setups["full"].plots() == []
    skip_lines = [line for line in result.stderr.splitlines() if "NAS dead is unreachable" in line]
    assert len(skip_lines) == 1 and "cannot reach 127.0.0.1" in skip_lines[0]
    with sqlite3.connect(setups["full"].state / DB_NAME) as conn:  # the referee's ledger
        assert sorted(conn.execute("SELECT name, nas FROM placed")) == sorted((s.name, "big") for s in sources)
