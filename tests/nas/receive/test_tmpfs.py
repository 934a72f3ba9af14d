"""Real mounts: small tmpfs drives with require_mount = true (root only; always unmounted)."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from common.errors import NoSpaceError
from nas import config as nas_config
from nas.drives.select import reserve_drive
from nas.model import DriveState
from nas.monitor.check import run_check
from nas.monitor.events import DriveBack, DriveChanged, DriveFull, DriveMissing
from tests.helpers import make_nas, make_plotter, popen_cli
from tests.nas.conftest import replace_for, unmount, v1_header, write_plot
from tests.sshd import free_port

Mount = Callable[[str, int], Path]
CopyPlots = Callable[..., list[Path]]
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


@pytest.mark.slow
def test_a_ram_drive_is_not_preallocated_a_disk_is(tmp_path: Path, tmpfs: Mount, copy_plots: CopyPlots) -> None:
    """preallocate = true (the default): on a tmpfs drive the .part grows with the bytes received
    (fallocate there would allocate every page before the first byte); on the disk beside it the
    same plot's .part has its full size from the start."""
    for drives in ([tmpfs("ram", 64 * 2**20)], [tmp_path / "disk"]):
        nas = make_nas(tmp_path / f"nas-{drives[0].name}", drive_dirs=drives, extra_nas="buffer_size = 64KiB")
        plotter = make_plotter(tmp_path / f"plotter-{drives[0].name}", nas, None, extra_plotter="bwlimit = 1MB\n")
        (plot,) = copy_plots(plotter.dst, 1)
        size = plot.stat().st_size
        sender = popen_cli("plotter", "--config", str(plotter.ini), "send", "--once")
        try:
            seen = _part_under_way(drives[0], size)
        finally:
            _, err = sender.communicate(timeout=120)
        assert sender.returncode == 0, err
        if drives[0].name == "ram":
            assert 0 < seen < size  # allocated as the bytes came
        else:
            assert seen >= size  # preallocated


def _part_under_way(drive: Path, size: int) -> int:
    """The bytes a .part occupies once it has some but not all of the plot's bytes (1 MB/s)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for part in drive.glob("*.part"):
            with contextlib.suppress(FileNotFoundError):
                st = part.stat()
                if 0 < st.st_size < size or st.st_blocks * 512 >= size:
                    return int(st.st_blocks * 512)
        time.sleep(0.05)
    raise AssertionError(f"no .part under way on {drive}")
