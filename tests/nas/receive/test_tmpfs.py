"""Real mounts: small tmpfs drives with require_mount = true (root only; always unmounted)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from common.errors import NoSpaceError
from nas import config as nas_config
from nas.drives.select import reserve_drive
from nas.model import DriveState
from nas.monitor.check import run_check
from nas.monitor.events import DriveBack, DriveChanged, DriveFull, DriveMissing
from tests.nas.conftest import replace_for, unmount, v1_header, write_plot
from tests.sshd import free_port

Mount = Callable[[str, int], Path]
PAGE = 4096
S = 64 * PAGE  # a test plot, a whole number of pages
T0 = 1_800_000_000.0


def tmpfs_nas(tmp_path: Path, tmpfs: Mount, replace: str = "") -> nas_config.NasConfig:
    for name in ("drive1", "drive2"):
        tmpfs(name, 2 * S + S // 2)  # two plots fit, a third does not
    (tmp_path / "mnt" / "drive3").mkdir()  # matches the glob, but nothing is mounted there
    ini = tmp_path / "nas.ini"
    low = free_port()
    ini.write_text(f"[nas]\ndrive_globs = {tmp_path}/mnt/drive*\nrequire_mount = true\nreserve = 0\n"
                   f"state_dir = {tmp_path / 'state'}\ndata_bind = 127.0.0.1\ndata_ports = {low}-{low + 5}\n"
                   f"[alerts]\nlow_water_plots = 0\nno_plot_hours = 0\n{replace}")
    return nas_config.load(ini)


def test_unmounted_directory_is_not_a_drive_and_tmpfs_has_no_disk(tmp_path: Path, tmpfs: Mount) -> None:
    cfg = tmpfs_nas(tmp_path, tmpfs)
    state, _ = run_check(cfg, T0)
    assert [d.name for d in state.drives] == ["drive1", "drive2"]
    assert (state.drives[0].total_bytes, state.drives[0].free_bytes) == (2 * S + S // 2, 2 * S + S // 2)
    assert state.drives[0].device is None and "no block device" in (state.drives[0].smart.reason or "")


def test_fill_rotate_unmount_and_come_back(tmp_path: Path, tmpfs: Mount) -> None:
    cfg = tmpfs_nas(tmp_path, tmpfs)
    drive1, drive2 = (tmp_path / "mnt" / n for n in ("drive1", "drive2"))
    write_plot(drive1, S)
    state, _ = run_check(cfg, T0)
    assert state.target == str(drive1) and state.drives[0].plots_free == 1
    write_plot(drive1, S)
    state, events = run_check(cfg, T0 + 60)
    assert [d.state for d in state.drives] == [DriveState.FULL, DriveState.ACTIVE] and state.target == str(drive2)
    assert {type(e) for e in events} == {DriveChanged, DriveFull}
    res = reserve_drive(cfg, 2 * S, wait=0)
    assert res.drive.mountpoint == drive2
    write_plot(drive2, 2 * S)
    res.release()
    with pytest.raises(NoSpaceError):  # statvfs re-read: drive2 has half a plot's room left
        reserve_drive(cfg, 2 * S, wait=0)

    unmount(drive1)
    state, events = run_check(cfg, T0 + 120)
    assert state.drives[0].state == DriveState.MISSING and any(isinstance(e, DriveMissing) for e in events)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={2 * S + S // 2}", "tmpfs", str(drive1)], check=True,
                   timeout=30)
    try:
        state, events = run_check(cfg, T0 + 180)
        assert state.drives[0].state == DriveState.ACTIVE and any(isinstance(e, DriveBack) for e in events)
    finally:
        unmount(drive1)


def test_replacement_frees_real_blocks(tmp_path: Path, tmpfs: Mount) -> None:
    cfg = tmpfs_nas(tmp_path, tmpfs, replace="[replace]\nenabled = true\nmatch = v1\n")
    for name in ("drive1", "drive2"):
        write_plot(tmp_path / "mnt" / name, S, header=v1_header())
        write_plot(tmp_path / "mnt" / name, S, header=v1_header())
    res = reserve_drive(cfg, S + S // 4, incoming="plot-incoming", wait=0)
    replace_for(cfg, res)
    res.release()
    counts = [len(list((tmp_path / "mnt" / n).glob("plot-*"))) for n in ("drive1", "drive2")]
    assert res.drive.mountpoint == tmp_path / "mnt" / "drive1" and counts == [1, 2]
