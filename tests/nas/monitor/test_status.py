"""`drive-manager check`, `status [--json]` and `temps` end to end, SMART replayed."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from nas.state import Store, record_receipt
from tests.helpers import NasSetup, make_nas, run_cli
from tests.nas.conftest import FakeSmartctl, write_plot

S = 64 * 1024


@pytest.fixture
def nas(tmp_path: Path, fake_smartctl: FakeSmartctl) -> NasSetup:
    drives = [tmp_path / "nas" / "drives" / n for n in ("drive1", "drive2", "drive3")]
    devices = [("/dev/sdau", "ata"), ("/dev/nvme0", None), ("/dev/sdc", "scsi")]
    sections = "".join(f"[drive {d}]\ndevice = {dev}\nquota = {4 * S}\n" + (f"smart_type = {t}\n" if t else "")
                       for d, (dev, t) in zip(drives, devices, strict=True))
    sections += (f"[smart]\nsmartctl = {fake_smartctl.path}\ninterval = 10m\n"
                 "[alerts]\ntemperature_limit = 40\nlow_water_plots = 0\n")
    setup = make_nas(tmp_path / "nas", drive_dirs=drives, drive_sections=sections)
    for drive, count in zip(drives, (4, 1, 0), strict=True):
        for _ in range(count):
            write_plot(drive, S)
    record_receipt(setup.state, "plot-x", drives[0], S)  # as the receiver does, now
    with Store(setup.state) as store:
        for age in (7200, 80000, 90000):
            store.add_receipt("plot-y", drives[0], S, time.time() - age)
    return setup


def cli(nas: NasSetup, *args: str) -> str:
    result = run_cli("nas", "--config", str(nas.ini), *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_status_json_has_the_contract_fields(nas: NasSetup, fake_smartctl: FakeSmartctl) -> None:
    cli(nas, "check")
    data = json.loads(cli(nas, "status", "--json"))
    drives = {d["name"]: d for d in data["drives"]}
    one = drives["drive1"]
    assert one["mountpoint"] == str(nas.drives[0]) and one["device"] == "/dev/sdau"
    assert (one["total_bytes"], one["free_bytes"], one["plots"], one["state"]) == (4 * S, 0, 4, "full")
    assert {k: one["smart"][k] for k in ("model", "serial", "temperature", "health")} == {
        "model": "OOS12000G", "serial": "00008AXB", "temperature": 38, "health": "PASS"}
    assert drives["drive2"]["smart"]["model"] == "KBG30ZMV256G TOSHIBA" and drives["drive2"]["target"]
    assert drives["drive3"]["smart"]["serial"] == "8DG3J2ZD" and drives["drive3"]["plots"] == 0
    totals = data["totals"]
    assert (totals["drives"], totals["plots"], totals["plots_until_full"], totals["received_24h"]) == (3, 5, 7, 3)
    assert totals["days_to_full"] == pytest.approx(7 / 3)
    assert data["target"] == str(nas.drives[1])


def test_receipts_of_groups_count_their_plots(tmp_path: Path) -> None:
    drive = tmp_path / "drive1"
    record_receipt(tmp_path, "plot-one.plot2", drive, S)
    record_receipt(tmp_path, "plot-group.gplot", drive, 128 * S, plots=128)
    with Store(tmp_path) as store:
        store.add_receipt("plot-old.gplot", drive, 4 * S, time.time() - 90000, plots=4)  # older than 24 h
        assert store.receipts_since(time.time() - 86400) == 1 + 128
        assert store.receipts_since(0) == 1 + 128 + 4
        assert store.last_receipt()[1] == S  # type: ignore[index]  # bytes per plot, not per group file
        store.prune(time.time() + 100 * 86400)
        assert store.receipts_since(0) == 0


def test_status_uses_the_smart_cache(nas: NasSetup, fake_smartctl: FakeSmartctl) -> None:
    cli(nas, "check")
    calls = len(fake_smartctl.calls())
    cli(nas, "status", "--json")
    cli(nas, "temps")
    assert len(fake_smartctl.calls()) == calls > 0


def test_status_table_and_temps(nas: NasSetup) -> None:
    cli(nas, "check")
    table = cli(nas, "status")
    header, *rows = table.splitlines()[:4]
    assert header.split() == ["NAME", "MOUNT", "DEVICE", "MODEL", "SERIAL", "SIZE", "FREE", "PLOTS", "TEMP",
                              "POWER-ON", "HEALTH", "STATE"]
    marked = [r for r in rows if r.startswith("*")]
    assert len(marked) == 1 and "drive2" in marked[0] and "/dev/nvme0" in marked[0]
    assert "KBG30ZMV256G TOSHIBA" in marked[0] and " h " in marked[0]  # model and power-on hours
    assert any("8DG3J2ZD" in r for r in rows)  # the serial: how a farmer finds the disk to pull
    assert all(len(r) >= header.index("STATE") for r in rows)
    assert "plots until full: 7   received in the last 24 h: 3   days to full: 2.3" in table
    temps = cli(nas, "temps").splitlines()
    assert temps[0].split() == ["NAME", "DEVICE", "SERIAL", "TEMP"] and any("8DG3J2ZD" in t for t in temps)
    hot = [line for line in temps if line.endswith("HOT")]
    assert len(hot) == 1 and hot[0].startswith("drive2") and "42C" in hot[0]
    assert "hottest: drive2 at 42C (limit 40C)" in temps[-1]


def test_check_compares_with_the_state_it_stored(nas: NasSetup) -> None:
    first = run_cli("nas", "--config", str(nas.ini), "check")
    assert first.returncode == 0 and "Drive drive2 is at 42 °C" in first.stderr
    next(nas.drives[0].glob("plot-*.plot")).unlink()
    second = run_cli("nas", "--config", str(nas.ini), "check")
    assert second.returncode == 0, second.stderr
    assert "Drive drive1: plots dropped from 4 to 3" in second.stderr
    third = run_cli("nas", "--config", str(nas.ini), "check")
    assert "plots dropped" not in third.stderr


def test_config_generate_is_a_loadable_config(tmp_path: Path) -> None:
    result = run_cli("nas", "config", "generate")
    assert result.returncode == 0 and "[replace]" in result.stdout and "low_water_plots" in result.stdout
    ini = tmp_path / "nas.ini"
    ini.write_text(result.stdout.replace("/var/lib/plotyard", str(tmp_path / "state")))
    assert run_cli("nas", "--config", str(ini), "status", "--json").returncode == 0
