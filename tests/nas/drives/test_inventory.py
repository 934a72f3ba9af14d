"""Drive inventory: mount table, device names, plot counting (names, stat and .gplot group headers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nas import config as nas_config
from nas.drives.headers import scan_plots
from nas.drives.inventory import (
    average_file_size,
    average_plot_size,
    describe,
    device_for,
    parse_mountinfo,
    plot_stats,
    strip_partition,
)
from nas.drives.listing import Drive
from nas.state import Store
from tests.helpers import make_nas
from tests.nas.conftest import write_plot

MOUNTINFO = """\
22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw
97 22 8:17 / /mnt/enclosure0/front/column0/drive0 rw,noatime shared:40 - xfs /dev/sdb1 rw
98 22 259:1 / /mnt/nvme\\040cache rw,noatime shared:41 - ext4 /dev/nvme0n1p1 rw
99 22 0:50 / /mnt/ram rw - tmpfs tmpfs rw,size=1024k
100 22 8:33 / /mnt/enclosure0/front/column0/drive0 rw shared:42 - xfs /dev/sdc rw
"""


@pytest.mark.parametrize("device, disk", [
    ("/dev/sdb1", "/dev/sdb"), ("/dev/sdab12", "/dev/sdab"), ("/dev/nvme0n1p1", "/dev/nvme0n1"),
    ("/dev/mmcblk0p2", "/dev/mmcblk0"), ("/dev/sdc", "/dev/sdc"), ("/dev/nvme0n1", "/dev/nvme0n1"),
    ("/dev/mapper/crypt-drive7", "/dev/mapper/crypt-drive7"), ("/dev/md0", "/dev/md0"),
])
def test_strip_partition(device: str, disk: str) -> None:
    assert strip_partition(device) == disk


def test_parse_mountinfo_unescapes_and_later_mounts_win() -> None:
    sources = parse_mountinfo(MOUNTINFO + "garbage line\n")
    assert sources["/mnt/nvme cache"] == "/dev/nvme0n1p1"
    assert sources["/mnt/enclosure0/front/column0/drive0"] == "/dev/sdc"
    assert sources["/mnt/ram"] == "tmpfs"


def test_device_from_mount_table_or_config(tmp_path: Path) -> None:
    drives = [tmp_path / "d" / "drive0", tmp_path / "d" / "drive1"]
    nas = make_nas(tmp_path, drive_dirs=drives, drive_sections=f"[drive {drives[1]}]\ndevice = /dev/sdz\n")
    cfg = nas_config.load(nas.ini)
    sources = {str(drives[0]): "/dev/sdd3", str(drives[1]): "/dev/sde1", "/mnt/ram": "tmpfs"}
    assert device_for(cfg, drives[0], sources) == "/dev/sdd"
    assert device_for(cfg, drives[1], sources) == "/dev/sdz"  # [drive] device wins
    assert device_for(cfg, Path("/mnt/ram"), sources) is None


def test_plots_counted_by_name_rules_without_reading_them(tmp_path: Path) -> None:
    big = 110 * 2**30  # sparse: counting must not need the data
    real = [write_plot(tmp_path, big, sparse=True), write_plot(tmp_path, big, level=7, sparse=True)]
    (tmp_path / "plot-k32-notahexid.plot").write_bytes(b"x")
    (tmp_path / f".{real[0].name}.part").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / ("plot-k32-" + "cd" * 32 + ".plot")).mkdir()  # a directory is not a plot
    assert plot_stats(scan_plots(tmp_path, None)) == (2, 2 * big, 2)


def test_describe_and_average_plot_size(tmp_path: Path) -> None:
    drives = [tmp_path / "d" / "drive0", tmp_path / "d" / "drive1"]
    nas = make_nas(tmp_path, drive_dirs=drives,
                   drive_sections=f"[drive {drives[0]}]\ndevice = /dev/sdb\nsmart_type = sat\n")
    cfg = nas_config.load(nas.ini)
    for size in (100, 300):
        write_plot(drives[0], size)
    infos = [describe(cfg, Drive(p, 10, 5, False), {}) for p in drives]
    assert (infos[0].plots, infos[0].plot_bytes, infos[0].device, infos[0].smart_type) == (2, 400, "/dev/sdb", "sat")
    assert (infos[1].plots, infos[1].device) == (0, None)
    assert average_plot_size(infos) == 200
    assert average_plot_size(infos[1:]) is None


def test_a_gplot_counts_its_header_group_size(tmp_path: Path, pos2_pool: list[Path],
                                              plot2_v1_pool: list[Path]) -> None:
    """Real chia_rs files: a .plot2 is one plot, a .gplot its header's group size (here a real group's
    header with the size field set to 5: counting reads only those 51 bytes); an unreadable one is 1."""
    plot2 = plot2_v1_pool[0].read_bytes()
    (tmp_path / plot2_v1_pool[0].name).write_bytes(plot2)
    group = bytearray(pos2_pool[0].read_bytes())
    group[39:41] = (5).to_bytes(2, "little")
    (tmp_path / pos2_pool[0].name).write_bytes(bytes(group))
    (tmp_path / f"plot-k18-{'e' * 64}.gplot").write_bytes(b"PoS2")  # header cut: counted as one
    assert plot_stats(scan_plots(tmp_path, None)) == (1 + 5 + 1, len(plot2) + len(group) + 4, 3)
    info = describe(nas_config.load(make_nas(tmp_path / "nas", drive_dirs=[tmp_path]).ini),
                    Drive(tmp_path, 10, 5, False), {})
    assert (info.plots, info.plot_files) == (7, 3)
    assert average_plot_size([info]) == info.plot_bytes // 7  # per plot: what plots_free divides by
    assert average_file_size([info]) == info.plot_bytes // 3  # per file: what replace --dry-run plans for


def test_each_group_header_is_read_once_with_the_state(tmp_path: Path, pos2_pool: list[Path]) -> None:
    """With the state, a group's size is read once (a rewrite in place, same inode, is not seen);
    without it, every call reads the headers."""
    drive = tmp_path / "drive"
    drive.mkdir()
    group = drive / pos2_pool[0].name
    data = bytearray(pos2_pool[0].read_bytes())
    group.write_bytes(bytes(data))
    with Store(tmp_path / "state") as store:
        assert plot_stats(scan_plots(drive, store))[0] == 1
        data[39:41] = (4).to_bytes(2, "little")
        with group.open("r+b") as same:
            same.write(bytes(data))
        assert plot_stats(scan_plots(drive, store))[0] == 1
        assert plot_stats(scan_plots(drive, None))[0] == 4
        assert set(store.pos2_headers(drive)) == {group.name}
