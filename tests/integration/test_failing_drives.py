"""Failing drives on real filesystems (root only): a dead ntfs-3g (FUSE) mount, a receive drive
remounted read-only, and an ext4 drive on a loop device whose backing file sits on a tiny tmpfs
(the filesystem shows plenty of room, the device under it has none). In each case the NAS keeps
working, the drive is ``failing`` with its reason, and plots go to another drive."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from common.transfer.stream import hash_file
from tests.helpers import NasSetup, make_nas, make_plotter, run_cli, wait_for
from tests.notify_servers import SmtpServer, smtp_plain  # noqa: F401 (fixture)

CopyPlots = Callable[..., list[Path]]
MIB = 2**20
RO = "create: Read-only file system"
DEAD = "Transport endpoint is not connected"


def needs_root(*tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if os.geteuid() != 0 or missing:
        pytest.skip(f"needs root and {', '.join(tools)}")


def sh(*args: str) -> None:
    subprocess.run(list(args), check=True, timeout=60, capture_output=True)


@pytest.fixture
def mounts() -> Iterator[list[Path]]:
    """Mount points to unmount afterwards (last mounted first), with bounded retries."""
    mounted: list[Path] = []
    yield mounted
    for path in reversed(mounted):
        release(path)


def release(path: Path) -> None:
    """Unmount ``path`` (a dead FUSE mount too: os.path.ismount says False for it)."""
    for _ in range(50):
        if not (os.path.ismount(path) or _dead(path)):
            return
        if subprocess.run(["umount", str(path)], capture_output=True, timeout=30).returncode == 0:
            return
        time.sleep(0.1)  # cleanup only: a just-closed file may keep it busy for a moment
    subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True, timeout=30)


@pytest.fixture
def loops() -> Iterator[list[str]]:
    """Loop devices to detach afterwards, with bounded retries."""
    devices: list[str] = []
    yield devices
    for device in devices:
        for _ in range(50):
            if subprocess.run(["losetup", "-d", device], capture_output=True, timeout=30).returncode == 0:
                break
            time.sleep(0.1)  # cleanup only: a just-unmounted filesystem may hold the device a moment


def _dead(path: Path) -> bool:
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ENOTCONN
    return False


def nas_with(tmp_path: Path, drives: list[Path], smtp: SmtpServer | None = None) -> NasSetup:
    sections = "[alerts]\nlow_water_plots = 0\nno_plot_hours = 0\n"
    sections += f"[metrics]\ntextfile = {tmp_path}/metrics/nas.prom\n"
    if smtp is not None:  # only what these tests are about, so each mail can be counted
        sections += (f"[email]\nhost = 127.0.0.1\nport = {smtp.port}\nsecurity = none\nfrom = nas@example.com\n"
                     f"to = me@example.com\n[notify]\ndefault = none\ndrive_failing = email\ndrive_back = email\n")
    return make_nas(tmp_path / "nas", drive_dirs=drives, drive_sections=sections)


def dm(nas: NasSetup, *args: str) -> str:
    done = run_cli("nas", "--config", str(nas.ini), *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def status_json(nas: NasSetup) -> dict[str, dict[str, object]]:
    return {d["name"]: d for d in json.loads(dm(nas, "status", "--json"))["drives"]}


def metric_states(nas: NasSetup) -> dict[tuple[str, str], float]:
    text = (nas.root.parent / "metrics" / "nas.prom").read_text()
    return {(s.labels["drive"], s.labels["state"]): s.value for f in text_string_to_metric_families(text)
            if f.name == "chia_nas_drive_state" for s in f.samples}


def send_one(tmp_path: Path, nas: NasSetup, copy_plots: CopyPlots, start: int = 0) -> tuple[Path, str, str]:
    """Send one real k18 plot with ``send --once``: (the plot's name, its hash, the plotter's log)."""
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    (plot,) = copy_plots(plotter.dst, 1, start)
    digest = hash_file(str(plot))
    done = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")
    assert done.returncode == 0, done.stderr
    assert plotter.plots() == []
    assert [p for d in nas.drives if not _dead(d) for p in d.glob(".*.part")] == []
    return Path(plot.name), digest, done.stderr


def mount_tmpfs(path: Path, size: int, mounts: list[Path]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    sh("mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path))
    mounts.append(path)
    return path


# -- a dead FUSE mount ------------------------------------------------------------------------------

def short_device_drives(tmp_path: Path, room: int, mounts: list[Path], loops: list[str]) -> tuple[Path, Path]:
    """drive1: ext4 that shows 128 MiB on a loop device with only ``room`` bytes of real room (a
    sparse image on a small tmpfs: writes past it fail below the filesystem); drive2: a plain dir."""
    backing = mount_tmpfs(tmp_path / "backing", room, mounts)
    image = backing / "disk.img"
    with open(image, "wb") as handle:
        handle.truncate(128 * MIB)
    sh("mkfs.ext4", "-q", "-F", str(image))
    device = subprocess.run(["losetup", "-f", "--show", str(image)], check=True, timeout=60, capture_output=True,
                            text=True).stdout.strip()
    loops.append(device)
    drive1, drive2 = tmp_path / "d" / "drive1", tmp_path / "d" / "drive2"
    drive1.mkdir(parents=True)
    drive2.mkdir()
    sh("mount", device, str(drive1))
    mounts.append(drive1)
    return drive1, drive2


def ntfs_pid(image: Path) -> int:
    """The ntfs-3g process serving ``image`` (found by its command line, never by name alone)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and os.path.basename(argv[0]) in (b"ntfs-3g", b"mount.ntfs-3g") and str(image).encode() in argv:
            return int(entry.name)
    raise AssertionError(f"no ntfs-3g process for {image}")


@pytest.mark.slow
def test_a_dead_fuse_mount_is_failing_and_the_rest_of_the_nas_works(
        tmp_path: Path, copy_plots: CopyPlots, mounts: list[Path], smtp_plain: SmtpServer) -> None:  # noqa: F811
    needs_root("mkntfs", "ntfs-3g")
    if not os.path.exists("/dev/fuse"):
        pytest.skip("needs /dev/fuse")
    image, drive1, drive2 = tmp_path / "ntfs.img", tmp_path / "d" / "drive1", tmp_path / "d" / "drive2"
    drive1.mkdir(parents=True)
    drive2.mkdir()
    with open(image, "wb") as handle:
        handle.truncate(64 * MIB)
    sh("mkntfs", "-F", "-Q", "-q", str(image))
    sh("ntfs-3g", str(image), str(drive1))
    mounts.append(drive1)
    nas = nas_with(tmp_path, [drive1, drive2], smtp_plain)
    copy_plots(drive1, 1, 1)  # a plot on the drive that dies
    dm(nas, "check")
    assert status_json(nas)["drive1"]["target"] is True

    os.kill(ntfs_pid(image), signal.SIGKILL)
    wait_for(lambda: _dead(drive1), 10, "the FUSE mount to answer ENOTCONN")

    dm(nas, "check")
    (mail,) = smtp_plain.box.wait(1)
    assert "Drive drive1 is failing" in mail["Subject"] and DEAD in mail["Subject"]
    table = dm(nas, "status")
    assert f"drive1: stat: {DEAD}" in table and "drive2" in table
    drives = status_json(nas)
    assert (drives["drive1"]["state"], drives["drive1"]["reason"]) == ("failing", f"stat: {DEAD}")
    assert drives["drive1"]["plots"] == 1  # not seen now, not gone: the last count stands
    assert drives["drive2"]["state"] == "active" and drives["drive2"]["target"] is True
    temps = dm(nas, "temps")
    assert "drive1" in temps and "drive2" in temps
    report = dm(nas, "report", "daily", "--print")
    assert "failing" in report and "drive2" in report
    assert metric_states(nas)[("drive1", "failing")] == 1.0

    name, digest, _ = send_one(tmp_path, nas, copy_plots)
    assert hash_file(str(drive2 / name)) == digest
    dm(nas, "check")
    assert len(smtp_plain.box.messages) == 1  # a standing condition: told once


# -- a read-only receive drive ------------------------------------------------------------------------

@pytest.mark.slow
def test_a_read_only_receive_drive_hands_the_plot_to_the_next_and_heals_by_itself(
        tmp_path: Path, copy_plots: CopyPlots, mounts: list[Path], smtp_plain: SmtpServer) -> None:  # noqa: F811
    needs_root("mount")
    drive1 = mount_tmpfs(tmp_path / "d" / "drive1", 64 * MIB, mounts)
    drive2 = mount_tmpfs(tmp_path / "d" / "drive2", 64 * MIB, mounts)
    nas = nas_with(tmp_path, [drive1, drive2], smtp_plain)
    dm(nas, "check")
    assert status_json(nas)["drive1"]["target"] is True
    sh("mount", "-o", "remount,ro", str(drive1))

    name, digest, log = send_one(tmp_path, nas, copy_plots)
    assert hash_file(str(drive2 / name)) == digest and list(drive1.iterdir()) == []
    assert "not sent" not in log  # the same offer went on to drive2: the plotter saw no failure
    drives = status_json(nas)
    assert (drives["drive1"]["state"], drives["drive1"]["reason"]) == ("failing", RO)
    assert f"drive1: {RO}" in dm(nas, "status")

    dm(nas, "check")
    dm(nas, "check")
    (mail,) = smtp_plain.box.wait(1)
    assert mail["Subject"].endswith(f"Drive drive1 is failing ({RO}): no plot goes to it")
    assert metric_states(nas)[("drive1", "failing")] == 1.0
    assert status_json(nas)["drive2"]["target"] is True

    sh("mount", "-o", "remount,rw", str(drive1))
    dm(nas, "check")  # the probe writes again: the mark goes by itself
    back = smtp_plain.box.wait(2)[1]
    assert "Drive drive1 writes again" in back["Subject"]
    assert len(smtp_plain.box.messages) == 2  # "writes again" closes the alert: no separate "resolved"
    drives = status_json(nas)
    assert drives["drive1"]["state"] == "active" and drives["drive1"]["reason"] is None
    assert metric_states(nas)[("drive1", "failing")] == 0.0
    assert list(drive1.iterdir()) == []  # no probe file left behind


# -- writes that fail below the filesystem -------------------------------------------------------------

@pytest.mark.slow
def test_a_drive_whose_device_fails_mid_stream_is_marked_and_the_plotter_retries_at_once(
        tmp_path: Path, copy_plots: CopyPlots, mounts: list[Path], loops: list[str]) -> None:
    needs_root("mkfs.ext4", "losetup")
    drive1, drive2 = short_device_drives(tmp_path, 3 * MIB, mounts, loops)  # a k18 plot (~4 MB) cannot fit
    nas = nas_with(tmp_path, [drive1, drive2])
    dm(nas, "check")
    assert status_json(nas)["drive1"]["target"] is True

    name, digest, log = send_one(tmp_path, nas, copy_plots)
    assert hash_file(str(drive2 / name)) == digest
    assert "sending it again at once" in log
    assert not any(p.name.endswith(".part") for p in drive1.iterdir())
    reason = str(status_json(nas)["drive1"]["reason"])
    # The loop driver passes the backing file's ENOSPC up (kernel 6.x); older ones say EIO.
    assert "No space left on device while statvfs shows" in reason or "Input/output error" in reason, reason
    dm(nas, "check")  # the probe cannot write either: still failing
    assert status_json(nas)["drive1"]["state"] == "failing"

    assert "no longer marked failing" in dm(nas, "drive", "online", "drive1")
    drives = status_json(nas)
    assert drives["drive1"]["state"] == "active" and drives["drive1"]["reason"] is None
