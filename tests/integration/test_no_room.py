"""``send --once`` when no drive has room: exit 14 (the README's table), the plot kept. Real tiny
tmpfs drives too small for a real k18 plot, and real receivers."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers import make_nas, make_plotter, run_cli

CopyPlots = Callable[..., list[Path]]


@pytest.fixture
def tiny_drives(tmp_path: Path) -> Iterator[list[Path]]:
    """Two 256 kB tmpfs drives (a k18 plot is some MB); always unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("tmpfs drives need root")
    drives = [tmp_path / "mnt" / f"drive{i}" for i in (1, 2)]
    mounted: list[Path] = []
    try:
        for drive in drives:
            drive.mkdir(parents=True)
            done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(drive)],
                                  capture_output=True, text=True, timeout=30, check=False)
            if done.returncode != 0:
                pytest.skip(f"cannot mount tmpfs: {done.stderr.strip()}")
            mounted.append(drive)
        yield drives
    finally:
        for drive in reversed(mounted):
            subprocess.run(["umount", str(drive)], capture_output=True, timeout=30, check=True)


def test_no_drive_with_room_exits_14_and_keeps_the_plot(tmp_path: Path, tiny_drives: list[Path],
                                                         copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drive_dirs=tiny_drives)
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    (plot,) = copy_plots(plotter.dst, 1)
    done = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")
    assert done.returncode == 14, done.stderr
    assert "no drive or NAS has room" in done.stderr.splitlines()[-1], done.stderr
    assert "Traceback" not in done.stderr
    assert plot.exists() and nas.plots() == [] and nas.parts() == []


def test_two_nas_without_room_exit_14(tmp_path: Path, tiny_drives: list[Path], copy_plots: CopyPlots) -> None:
    first = make_nas(tmp_path / "nas1", drive_dirs=tiny_drives[:1])
    second = make_nas(tmp_path / "nas2", drive_dirs=tiny_drives[1:])
    more = f"[nas nas02]\ntransport = local\ncommand = {second.command}\n"
    plotter = make_plotter(tmp_path / "plotter", first, None, more_nas=more)
    (plot,) = copy_plots(plotter.dst, 1)
    done = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")
    assert done.returncode == 14, done.stderr
    assert plot.exists() and first.plots() == [] and second.plots() == []
