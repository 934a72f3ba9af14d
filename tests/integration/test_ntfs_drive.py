"""A NAS drive formatted NTFS and mounted with ntfs-3g (FUSE), as drives that came from Windows
often are. ntfs-3g has no fallocate(2); glibc's posix_fallocate would emulate it a byte per
block (minutes per GiB), so the receiver must write without preallocating there."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from chiapos import DiskProver

from common.plotformat.plotfile import parse_name
from common.transfer.stream import hash_file
from nas.receive.commit import fallocate
from tests.helpers import make_nas, make_plotter, run_cli

CopyPlots = Callable[..., list[Path]]


@pytest.fixture
def ntfs_drive(tmp_path: Path) -> Iterator[Path]:
    missing = [tool for tool in ("mkntfs", "ntfs-3g") if shutil.which(tool) is None]
    if os.geteuid() != 0 or not os.path.exists("/dev/fuse") or missing:
        if os.environ.get("CI") and missing:
            pytest.fail("ntfs-3g is not installed: .ci/run must install it")
        pytest.skip("needs root, /dev/fuse and ntfs-3g")
    image, drive = tmp_path / "ntfs.img", tmp_path / "ntfs-drive"
    drive.mkdir()
    with open(image, "wb") as handle:
        handle.truncate(64 * 2**20)
    subprocess.run(["mkntfs", "-F", "-Q", "-q", str(image)], check=True, timeout=60, capture_output=True)
    subprocess.run(["ntfs-3g", str(image), str(drive)], check=True, timeout=60)
    try:
        yield drive
    finally:
        subprocess.run(["umount", str(drive)], check=False, timeout=60)


def test_fallocate_reports_a_filesystem_without_it(tmp_path: Path, ntfs_drive: Path) -> None:
    for directory, expected in ((ntfs_drive, False), (tmp_path, True)):
        fd = os.open(directory / "probe", os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            assert fallocate(fd, 8 * 2**20) is expected
            assert os.fstat(fd).st_size == (8 * 2**20 if expected else 0)  # nothing written a byte at a time
        finally:
            os.close(fd)


def test_a_plot_is_received_onto_an_ntfs_drive(tmp_path: Path, ntfs_drive: Path, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drive_dirs=[ntfs_drive])
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    sources = copy_plots(plotter.dst, 2)
    hashes = {p.name: hash_file(str(p)) for p in sources}

    result = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")

    assert result.returncode == 0, result.stderr
    assert plotter.plots() == [] and nas.parts() == []
    for name, digest in hashes.items():
        copy = ntfs_drive / name
        assert hash_file(str(copy)) == digest
        assert DiskProver(str(copy)).get_id().hex() == parse_name(name).plot_id
