"""SMART through pySMART against replayed real smartctl outputs (tests/data/smart)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nas.drives.smart import cache_key, find_smartctl, problem, read_smart
from nas.drives.smart_refresh import smart_for
from nas.model import SmartStatus
from nas.settings import SmartSettings
from nas.state import Store
from tests.nas.conftest import SMART_DATA, FakeSmartctl

NOW = 1_800_000_000.0


def test_ata_hdd(fake_smartctl: FakeSmartctl) -> None:
    info = read_smart(str(fake_smartctl.path), "/dev/sdau", "ata", NOW)
    assert (info.status, info.model, info.serial) == (SmartStatus.OK, "OOS12000G", "00008AXB")
    assert (info.temperature, info.health, info.power_on_hours) == (38, "PASS", 252)
    assert (info.reallocated, info.pending, info.offline_uncorrectable) == (0, 0, 0)
    assert info.capacity == 12_000_138_625_024 and info.read_at == NOW


def test_sat_hdd_autodetected(fake_smartctl: FakeSmartctl) -> None:
    info = read_smart(str(fake_smartctl.path), "/dev/sg2", None, NOW)
    assert (info.model, info.serial, info.temperature, info.interface) == ("ST2000NM000A-2J2100", "WS10SM2A",
                                                                          31, "sat")
    assert ["-n", "standby", "-d", "test", "/dev/sg2"] in fake_smartctl.calls()


def test_sas_hdd_grown_defects(fake_smartctl: FakeSmartctl) -> None:
    info = read_smart(str(fake_smartctl.path), "/dev/sdc", "scsi", NOW)
    assert (info.model, info.serial, info.temperature, info.health) == ("HUH721212AL4204", "8DG3J2ZD", 32, "PASS")
    assert (info.grown_defects, info.power_on_hours, info.reallocated) == (0, 3687, None)


def test_nvme_media_errors_and_wear(fake_smartctl: FakeSmartctl) -> None:
    info = read_smart(str(fake_smartctl.path), "/dev/nvme0", None, NOW)
    assert (info.model, info.temperature, info.health) == ("KBG30ZMV256G TOSHIBA", 42, "PASS")
    assert (info.media_errors, info.percentage_used, info.power_on_hours) == (0, 28, 5809)


def test_device_without_smart_is_unknown_with_reason(fake_smartctl: FakeSmartctl) -> None:
    info = read_smart(str(fake_smartctl.path), "/dev/sda", None, NOW)
    assert info.status == SmartStatus.UNKNOWN and "not available" in (info.reason or "")
    assert info.model == "MR9361-16i" and info.temperature is None  # it reports 0 C: no sensor


def test_absent_device_is_unknown_with_smartctls_reason(fake_smartctl: FakeSmartctl) -> None:
    info = read_smart(str(fake_smartctl.path), "/dev/sdq", None, NOW)
    assert info.status == SmartStatus.UNKNOWN and info.reason == "Smartctl open device: /dev/sdq failed: No such device"


def test_every_call_passes_standby_guard(fake_smartctl: FakeSmartctl) -> None:
    for device, kind in (("/dev/sdau", "ata"), ("/dev/sdc", "scsi"), ("/dev/nvme0", None)):
        read_smart(str(fake_smartctl.path), device, kind, NOW)
    calls = fake_smartctl.calls()
    assert calls and all(call[:2] == ["-n", "standby"] for call in calls)


def test_sleeping_disk_is_not_woken(fake_smartctl: FakeSmartctl) -> None:
    fake_smartctl.sleep("/dev/sdc")
    info = read_smart(str(fake_smartctl.path), "/dev/sdc", "scsi", NOW)
    assert info.status == SmartStatus.STANDBY and info.reason == "in STANDBY mode"
    assert fake_smartctl.woken() == []
    assert len(fake_smartctl.calls()) == 1  # nothing more was asked once it said it sleeps


def test_missing_smartctl_is_unknown(tmp_path: Path) -> None:
    assert find_smartctl(SmartSettings(smartctl=tmp_path / "nope")) is None
    info = read_smart(None, "/dev/sda", None, NOW)
    assert info.status == SmartStatus.UNKNOWN and "smartctl not found" in (info.reason or "")


def test_cache_rereads_only_after_interval(fake_smartctl: FakeSmartctl, tmp_path: Path) -> None:
    settings = SmartSettings(smartctl=fake_smartctl.path, interval=600)
    disks = [("/dev/sdau", "ata")]
    with Store(tmp_path / "state") as store:
        first = smart_for(store, settings, disks, NOW)
        runs = len(fake_smartctl.calls())
        again = smart_for(store, settings, disks, NOW + 599)
        assert len(fake_smartctl.calls()) == runs and again == first
        smart_for(store, settings, disks, NOW + 600)
        assert len(fake_smartctl.calls()) > runs
    key = cache_key("/dev/sdau", "ata")
    assert first[key].temperature == 38


def test_standby_keeps_last_reading_marked(fake_smartctl: FakeSmartctl, tmp_path: Path) -> None:
    settings = SmartSettings(smartctl=fake_smartctl.path, interval=60)
    disks = [("/dev/sdau", "ata")]
    key = cache_key(*disks[0])
    with Store(tmp_path / "state") as store:
        awake = smart_for(store, settings, disks, NOW)[key]
        fake_smartctl.sleep("/dev/sdau")
        asleep = smart_for(store, settings, disks, NOW + 120)[key]
        stored = store.smart_all()[key]
    assert asleep.status == SmartStatus.STANDBY and asleep.read_at == awake.read_at == NOW
    assert (asleep.serial, asleep.temperature) == ("00008AXB", 38)
    assert stored == (NOW + 120, asleep)
    assert fake_smartctl.woken() == []


def test_never_read_disk_is_unknown_without_refresh(tmp_path: Path) -> None:
    with Store(tmp_path / "state") as store:
        result = smart_for(store, SmartSettings(), [("/dev/sdx", None)], NOW, refresh=False)
    assert result["/dev/sdx"].status == SmartStatus.UNKNOWN and result["/dev/sdx"].reason == "not read yet"


SAS_ALL = (SMART_DATA / "sas_hdd" / "_-d_scsi_--all__dev_sdc").read_text().splitlines()


def test_reason_is_never_the_banner_nor_a_healthy_error_counter_line() -> None:
    banner = SAS_ALL[:3]
    assert problem(banner, 2) == "smartctl exited with status 2: the device could not be opened"
    assert problem(banner, 0) == "smartctl gave no answer"
    anonymous = [line for line in SAS_ALL if not line.startswith(("Vendor", "Product", "Serial"))]
    assert any("Error" in line for line in anonymous)  # "Error counter log:", "Non-medium error count: 0"
    assert problem(anonymous, 0) == "smartctl reported no model or serial number"
    assert problem(anonymous, 4) == "smartctl exited with status 4: a SMART or other command to the disk failed"
    lacks = [*banner, "SMART support is: Unavailable - device lacks SMART capability."]
    assert problem(lacks, 0) == lacks[-1]


@pytest.mark.skipif(shutil.which("smartctl", path="/usr/sbin:/usr/bin") is None, reason="smartmontools")
def test_reasons_from_the_real_smartctl() -> None:
    smartctl = shutil.which("smartctl", path="/usr/sbin:/usr/bin")
    absent = read_smart(smartctl, "/dev/plotyard-absent", "scsi", NOW)
    assert absent.reason == "Smartctl open device: /dev/plotyard-absent failed: No such device"
    untyped = read_smart(smartctl, "/dev/null", None, NOW)
    assert (untyped.status, untyped.reason) == (SmartStatus.UNKNOWN, "/dev/null: Unable to detect device type")
