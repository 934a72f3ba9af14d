"""Concurrent senders: no plot is sent twice, no drive is shared, nothing is lost."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from common.transfer.stream import hash_file
from tests.helpers import make_nas, make_plotter, popen_cli
from tests.sshd import LocalSshd

CopyPlots = Callable[..., list[Path]]


def _ok_rows(state: Path) -> list[str]:
    with sqlite3.connect(state / "plotter.sqlite") as conn:
        return [row[0] for row in conn.execute("SELECT plot FROM transfers WHERE result = 'ok'")]


@pytest.mark.slow
def test_two_send_once_on_one_plotter(tmp_path: Path, sshd: LocalSshd, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=2)
    plotter = make_plotter(tmp_path / "plotter", nas, sshd)
    sources = copy_plots(plotter.dst, 4)
    hashes = {p.name: hash_file(str(p)) for p in sources}

    runs = [popen_cli("plotter", "--config", str(plotter.ini), "send", "--once") for _ in range(2)]
    outcomes = [(run.communicate(timeout=180), run.returncode) for run in runs]

    for (_, err), code in outcomes:
        assert code == 0, err
        assert "already exists" not in err
    assert plotter.plots() == []
    assert {p.name: hash_file(str(p)) for p in nas.plots()} == hashes
    assert sorted(_ok_rows(plotter.state)) == sorted(hashes)  # each sent exactly once


@pytest.mark.slow
def test_two_plotters_to_one_nas_with_two_drives(tmp_path: Path, sshd: LocalSshd, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=2)
    # Slowed so that the four sends overlap; each holds its drive for ~1 s.
    plotters = [make_plotter(tmp_path / f"plotter{i}", nas, sshd, extra_plotter="bwlimit = 4MiB")
                for i in (1, 2)]
    for plotter in plotters:
        plotter.ini.write_text(plotter.ini.read_text().replace("max_parallel = 1", "max_parallel = 2"))
    hashes = {}
    for index, plotter in enumerate(plotters):
        for source in copy_plots(plotter.dst, 2, start=2 * index):
            hashes[source.name] = hash_file(str(source))

    runs = [popen_cli("plotter", "--config", str(p.ini), "send", "--once") for p in plotters]
    outcomes = [(run.communicate(timeout=300), run.returncode) for run in runs]

    for (_, err), code in outcomes:
        assert code == 0, err
    assert all(p.plots() == [] for p in plotters)
    assert {p.name: hash_file(str(p)) for p in nas.plots()} == hashes
    assert nas.parts() == []
    assert all(any(d.glob("plot-*.plot")) for d in nas.drives)  # four parallel sends used both drives
