"""SMART that fits in the cron minute: few smartctl calls per disk, a bounded share of the disks per run,
read in parallel (bounded), and a ``check`` that meets a running one leaves quietly.

The disks are the recorded SAS disk (tests/data/smart/sas_hdd) under 60 device paths."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest

from common.locking import FileLock
from nas.drives.smart import cache_key, read_smart
from nas.drives.smart_refresh import CHECK_PERIOD, Cache, due_now, per_run, smart_for
from nas.model import SmartInfo, SmartStatus
from nas.monitor.check import LOCK_NAME
from nas.settings import SmartSettings
from nas.state import Store
from tests.nas.conftest import FakeSmartctl, most_at_once

ROOT = Path(__file__).resolve().parents[3]
NOW = 1_800_000_000.0
SAS = 60
INTERVAL = 600.0


def sas_disks(fake: FakeSmartctl, count: int = SAS) -> list[tuple[str, str | None]]:
    devices = [f"/dev/sd{chr(ord('a') + i // 26)}{chr(ord('a') + i % 26)}" for i in range(count)]
    fake.alias({d: "/dev/sdc" for d in devices})
    return [(d, "scsi") for d in devices]


def calls_per_device(fake: FakeSmartctl) -> Counter[str]:
    return Counter(call[-1] for call in fake.calls())


@pytest.mark.parametrize(("device", "kind", "calls"), [
    ("/dev/sdc", "scsi", 2),  # --all, and -l background for the power-on hours --all lacks (pySMART: 8)
    ("/dev/sdau", "ata", 1),  # --all (pySMART: 2, with -l sataphy)
    ("/dev/sg2", None, 2),  # -d test, --all
    ("/dev/nvme0", None, 2),
])
def test_smartctl_calls_per_disk(fake_smartctl: FakeSmartctl, device: str, kind: str | None, calls: int) -> None:
    info = read_smart(str(fake_smartctl.path), device, kind, NOW)
    assert info.status == SmartStatus.OK and info.power_on_hours
    assert calls_per_device(fake_smartctl) == {device: calls}, fake_smartctl.calls()


def test_per_run_share() -> None:
    settings = SmartSettings(interval=INTERVAL, parallel=8)
    assert per_run(60, settings) == 8  # ten runs per interval would need 6: one parallel round is free
    assert per_run(600, settings) == 60  # a run per minute still covers every disk within the interval
    assert per_run(60, SmartSettings(interval=60, parallel=8)) == 60


def test_refresh_is_spread_and_every_disk_read_within_the_interval() -> None:
    """Cron runs a minute apart for two hours, cold cache, 60 disks: what ``due_now`` picks each run."""
    settings = SmartSettings(interval=INTERVAL, parallel=8)
    disks = [(f"/dev/d{i}", "scsi") for i in range(SAS)]
    cache: Cache = {}
    reads: dict[str, list[float]] = {cache_key(*d): [] for d in disks}
    for minute in range(120):
        now = NOW + minute * CHECK_PERIOD
        chosen = due_now(cache, disks, settings, now)
        assert len(chosen) <= 8
        for disk in chosen:
            cache[cache_key(*disk)] = (now, SmartInfo(device=disk[0], status=SmartStatus.OK))
            reads[cache_key(*disk)].append(now)
    assert max(times[0] for times in reads.values()) - NOW < INTERVAL  # the cold cache is filled in 8 runs
    gaps = {later - earlier for times in reads.values() for earlier, later in pairwise(times)}
    assert gaps == {INTERVAL}  # each disk again exactly one interval later: the spread stays


@pytest.mark.slow
def test_a_run_reads_its_share_in_parallel(fake_smartctl: FakeSmartctl, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_SMARTCTL_DELAY", "0.3")
    settings = SmartSettings(smartctl=fake_smartctl.path, interval=INTERVAL, parallel=4)
    disks = sas_disks(fake_smartctl, 12)
    with Store(tmp_path / "state") as store:
        first = smart_for(store, settings, disks, NOW)
        read_first = set(calls_per_device(fake_smartctl))
        assert len(read_first) == 4 and set(calls_per_device(fake_smartctl).values()) == {2}
        assert 2 <= most_at_once(fake_smartctl.spans()) <= 4
        assert sorted(i.status for i in first.values()) == [SmartStatus.OK] * 4 + [SmartStatus.UNKNOWN] * 8
        fake_smartctl.forget_calls()
        smart_for(store, settings, disks, NOW + CHECK_PERIOD)
        assert len(set(calls_per_device(fake_smartctl)) | read_first) == 8  # the next four, not the same


@pytest.mark.slow
def test_no_read_starts_after_the_budget_and_calls_end_by_the_deadline(
        fake_smartctl: FakeSmartctl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_SMARTCTL_DELAY", "0.4")
    monkeypatch.setattr("nas.drives.smart_refresh.START_BUDGET", 0.5)
    settings = SmartSettings(smartctl=fake_smartctl.path, interval=60, parallel=2)  # all 6 disks are due
    disks = sas_disks(fake_smartctl, 6)
    with Store(tmp_path / "state") as store:
        first = smart_for(store, settings, disks, NOW)
        assert [i.status for i in first.values()].count(SmartStatus.OK) == 2  # one round; the rest not started
        assert sorted(first[cache_key(*d)].reason or "" for d in disks)[2:] == ["not read yet"] * 4
        monkeypatch.setenv("FAKE_SMARTCTL_DELAY", "3")
        monkeypatch.setattr("nas.drives.smart_refresh.HARD_BUDGET", 1.0)
        start = time.monotonic()
        second = smart_for(store, settings, disks, NOW + 60)
        assert time.monotonic() - start < 2.9  # the 3 s calls were cut at the deadline
    late = [i.reason for i in second.values() if i.status == SmartStatus.UNKNOWN and i.reason != "not read yet"]
    assert late == ["smartctl did not answer within 1 s"] * 2


def cold_nas(tmp_path: Path, fake: FakeSmartctl) -> Path:
    sections = []
    for i, (device, kind) in enumerate(sas_disks(fake)):
        drive = tmp_path / "jbod" / f"drive{i}"
        drive.mkdir(parents=True)
        sections.append(f"[drive {drive}]\ndevice = {device}\nsmart_type = {kind}\n")
    ini = tmp_path / "nas.ini"
    ini.write_text(f"[nas]\ndrive_globs = {tmp_path}/jbod/drive*\nrequire_mount = false\n"
                   f"state_dir = {tmp_path}/state\nreserve = 0\n[smart]\nsmartctl = {fake.path}\ninterval = 10m\n"
                   "[alerts]\nlow_water_plots = 0\nno_plot_hours = 0\n" + "".join(sections))
    return ini


def drive_manager(ini: Path, *args: str, delay: float = 0.0) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "FAKE_SMARTCTL_DELAY": str(delay)}
    return subprocess.run([sys.executable, "-m", "nas", "--config", str(ini), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_cold_check_of_60_sas_disks_at_2_s_a_call(tmp_path: Path, fake_smartctl: FakeSmartctl) -> None:
    """The issue's setting: cold cache, 60 SAS disks, smartctl 2 s a call. One cron run reads one
    parallel round of 8 disks, 2 calls each (about 4 s); the wall-clock bound is the cron minute's 45 s."""
    ini = cold_nas(tmp_path, fake_smartctl)
    start = time.monotonic()
    done = drive_manager(ini, "-q", "check", delay=2.0)
    elapsed = time.monotonic() - start
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    per_disk = calls_per_device(fake_smartctl)
    assert len(per_disk) == 8 and set(per_disk.values()) == {2}
    assert 4 <= most_at_once(fake_smartctl.spans()) <= 8  # in parallel, never more than [smart] parallel
    assert elapsed < 45


def test_check_meeting_a_running_check_exits_0_quietly(tmp_path: Path, fake_smartctl: FakeSmartctl) -> None:
    ini = cold_nas(tmp_path, fake_smartctl)
    lock = FileLock(tmp_path / "state" / LOCK_NAME)
    assert lock.try_acquire()
    try:
        quiet = drive_manager(ini, "check")
        verbose = drive_manager(ini, "-v", "check")
    finally:
        lock.release()
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    assert verbose.returncode == 0 and "check skipped" in verbose.stderr and "locked by another check" in verbose.stderr
    assert fake_smartctl.calls() == []
