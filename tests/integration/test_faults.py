"""Faults mid-transfer: whatever breaks, the source stays and no partial file is named .plot."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from common.transfer.stream import hash_file
from tests.helpers import NasSetup, PlotterSetup, make_nas, make_plotter, pids_holding, popen_cli, run_cli, wait_for
from tests.sshd import LocalSshd

CopyPlots = Callable[..., list[Path]]
SLOW = "bwlimit = 1MiB"  # a k18 plot then takes ~4 s: long enough to strike mid-stream


def _slow_setup(tmp_path: Path, sshd: LocalSshd | None, copy_plots: CopyPlots,
                drive_dirs: list[Path] | None = None) -> tuple[NasSetup, PlotterSetup, Path, str]:
    # Small buffers so the .part grows while the stream runs; no preallocation so a full disk bites.
    nas = make_nas(tmp_path / "nas", drives=1, extra_nas="preallocate = false\nbuffer_size = 64KiB",
                   drive_dirs=drive_dirs)
    plotter = make_plotter(tmp_path / "plotter", nas, sshd, extra_plotter=SLOW)
    (source,) = copy_plots(plotter.dst, 1)
    return nas, plotter, source, hash_file(str(source))


def _growing_part(nas: NasSetup, min_size: int = 1) -> Path:
    def part_with_data() -> Path | None:
        parts = [p for p in nas.parts() if p.exists() and p.stat().st_size >= min_size]
        return parts[0] if parts else None
    found = wait_for(part_with_data, 30, "the receiver to start writing a .part")
    assert isinstance(found, Path)
    return found


def _assert_kept_and_nothing_named_plot(nas: NasSetup, source: Path, digest: str) -> None:
    assert source.exists() and hash_file(str(source)) == digest
    assert nas.plots() == []


def _resend_succeeds(nas: NasSetup, plotter: PlotterSetup, source: Path, digest: str) -> None:
    plotter.ini.write_text(plotter.ini.read_text().replace(SLOW, ""))
    result = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")
    assert result.returncode == 0, result.stderr
    assert not source.exists()
    (stored,) = nas.plots()
    assert hash_file(str(stored)) == digest
    assert nas.parts() == []  # the stale .part of the failed run is gone too


@pytest.mark.slow
def test_receiver_killed_mid_stream(tmp_path: Path, sshd: LocalSshd, copy_plots: CopyPlots) -> None:
    nas, plotter, source, digest = _slow_setup(tmp_path, sshd, copy_plots)
    sender = popen_cli("plotter", "--config", str(plotter.ini), "send", "--once")
    part = _growing_part(nas)
    assert part.stat().st_size < source.stat().st_size
    for pid in pids_holding(part):
        os.kill(pid, signal.SIGKILL)

    _, err = sender.communicate(timeout=120)

    assert sender.returncode != 0
    assert "kept on the plotter" in err
    _assert_kept_and_nothing_named_plot(nas, source, digest)
    _resend_succeeds(nas, plotter, source, digest)


@pytest.mark.slow
def test_sender_killed_mid_stream(tmp_path: Path, sshd: LocalSshd, copy_plots: CopyPlots) -> None:
    nas, plotter, source, digest = _slow_setup(tmp_path, sshd, copy_plots)
    sender = popen_cli("plotter", "--config", str(plotter.ini), "send", "--once")
    _growing_part(nas)

    sender.send_signal(signal.SIGKILL)
    sender.communicate(timeout=30)

    wait_for(lambda: nas.parts() == [], 30, "the receiver to remove its .part")
    _assert_kept_and_nothing_named_plot(nas, source, digest)
    _resend_succeeds(nas, plotter, source, digest)


@pytest.mark.slow
def test_drive_full_mid_stream(tmp_path: Path, sshd: LocalSshd, copy_plots: CopyPlots) -> None:
    """Over SSH (where the NAS's stderr is not the plotter's), the NAS's reason must reach
    the plotter's log line and its history row, not a bare "Socket is closed"."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    drive = tmp_path / "tmpfs-drive"
    drive.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(drive)], check=True, timeout=30)
    try:
        nas, plotter, source, digest = _slow_setup(tmp_path, sshd, copy_plots, drive_dirs=[drive])
        sender = popen_cli("plotter", "--config", str(plotter.ini), "send", "--once")
        _growing_part(nas, min_size=0)  # reserved and created; the stream has just begun
        _fill(drive / "other-data")  # another writer takes the rest of the disk

        _, err = sender.communicate(timeout=120)
        status = run_cli("plotter", "--config", str(plotter.ini), "status", "--json")

        assert sender.returncode != 0
        (failed,) = [line for line in err.splitlines() if "not sent, kept on the plotter" in line]
        assert "No space left on device" in failed and str(drive) in failed, err
        (row,) = json.loads(status.stdout)["recent"]
        assert row["result"] == "failed" and "No space left on device" in row["error"], row
        _assert_kept_and_nothing_named_plot(nas, source, digest)
        assert nas.parts() == []
    finally:
        subprocess.run(["umount", "-l", str(drive)], check=False, timeout=30)


def _fill(path: Path) -> None:
    """Write zeros to ``path`` until its filesystem is full (bounded by its size)."""
    with open(path, "wb", buffering=0) as handle:
        try:
            while handle.write(b"\0" * 65536):
                pass
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
