"""Receive-drive rotation, offline drives, missing drives and concurrent reservations (plain directories)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from common.errors import NoSpaceError
from common.locking import FileLock
from nas import config as nas_config
from nas.drives.listing import OFFLINE_MARKER, Drive
from nas.drives.locks import lock_path
from nas.drives.select import Reservation, choose_target, reserve_drive, total_free
from nas.model import DriveState
from nas.monitor.check import run_check
from nas.monitor.events import DriveBack, DriveChanged, DriveFull, DriveMissing
from nas.state import Store
from tests.helpers import make_nas, run_cli
from tests.nas.conftest import write_plot

S = 64 * 1024
T0 = 1_800_000_000.0
QUIET = "[alerts]\nno_plot_hours = 0\nlow_water_plots = 0\n"


def d(name: str, free: int, offline: bool = False) -> Drive:
    return Drive(Path(f"/mnt/{name}"), 10 * S, free, offline)


# -- choose_target: pure -----------------------------------------------------------------------------


def test_fill_keeps_the_current_drive_while_it_can_take_a_plot() -> None:
    drives = [d("drive1", 5 * S), d("drive2", 9 * S), d("drive10", 9 * S)]
    assert choose_target(drives, Path("/mnt/drive2"), S, 0, "fill") == Path("/mnt/drive2")
    assert choose_target(drives, None, S, 0, "fill") == Path("/mnt/drive1")
    full = [d("drive1", 5 * S), d("drive2", S - 1), d("drive10", 9 * S)]
    assert choose_target(full, Path("/mnt/drive2"), S, 0, "fill") == Path("/mnt/drive1")


def test_spread_takes_the_most_free() -> None:
    drives = [d("drive1", 5 * S), d("drive2", 9 * S)]
    assert choose_target(drives, Path("/mnt/drive1"), S, 0, "spread") == Path("/mnt/drive2")


def test_never_switches_while_a_transfer_runs_unless_offline() -> None:
    drives = [d("drive1", 0), d("drive2", 9 * S)]
    assert choose_target(drives, Path("/mnt/drive1"), S, 0, "fill", current_busy=True) == Path("/mnt/drive1")
    offline = [d("drive1", 9 * S, offline=True), d("drive2", 9 * S)]
    assert choose_target(offline, Path("/mnt/drive1"), S, 0, "fill", current_busy=True) == Path("/mnt/drive2")
    assert choose_target(drives[1:], Path("/mnt/drive1"), S, 0, "fill", current_busy=True) == Path("/mnt/drive2")


def test_reserve_and_unknown_plot_size() -> None:
    drives = [d("drive1", 2 * S), d("drive2", 9 * S)]
    assert choose_target(drives, None, S, 2 * S, "fill") == Path("/mnt/drive2")  # reserve leaves no room
    assert choose_target(drives, None, None, 0, "fill") == Path("/mnt/drive1")
    assert choose_target([d("drive1", 0)], None, S, 0, "fill") is None


# -- on plain directories with require_mount = false ------------------------------------------------


def three_drives(tmp_path: Path, plots_per_drive: int = 2) -> nas_config.NasConfig:
    """drive1, drive2, drive10 with room for ``plots_per_drive`` plots of S bytes each."""
    drives = [tmp_path / "drives" / n for n in ("drive1", "drive2", "drive10")]
    sections = "".join(f"[drive {p}]\nquota = {plots_per_drive * S}\n" for p in drives)
    nas = make_nas(tmp_path, drive_dirs=drives, drive_sections=sections + QUIET)
    cfg = nas_config.load(nas.ini)
    write_plot(drives[0], S)  # so the NAS knows its plot size
    return cfg


def mount(cfg: nas_config.NasConfig, i: int) -> Path:
    return cfg.drives[i].mountpoint


def test_check_rotates_when_the_drive_fills(tmp_path: Path) -> None:
    cfg = three_drives(tmp_path)
    state, events = run_check(cfg, T0)
    assert state.target == str(mount(cfg, 0)) and events == []
    write_plot(mount(cfg, 0), S)
    state, events = run_check(cfg, T0 + 60)
    assert state.target == str(mount(cfg, 1))
    changed = [e for e in events if isinstance(e, DriveChanged)]
    assert len(changed) == 1 and changed[0].old is not None and changed[0].old.plots == 2
    assert [e.drive.name for e in events if isinstance(e, DriveFull)] == ["drive1"]
    with Store(cfg.nas.state_dir) as store:
        assert store.target() == mount(cfg, 1)


def test_no_switch_while_a_transfer_to_the_target_runs(tmp_path: Path) -> None:
    cfg = three_drives(tmp_path)
    run_check(cfg, T0)
    write_plot(mount(cfg, 0), S)
    with FileLock(lock_path(cfg.nas.state_dir, mount(cfg, 0))):
        state, _ = run_check(cfg, T0 + 60)
        assert state.target == str(mount(cfg, 0))
    state, _ = run_check(cfg, T0 + 120)
    assert state.target == str(mount(cfg, 1))


def test_receiver_prefers_the_persisted_target(tmp_path: Path) -> None:
    cfg = three_drives(tmp_path)
    with Store(cfg.nas.state_dir) as store:
        store.set_target(mount(cfg, 2))
    res = reserve_drive(cfg, S, wait=0)
    res.release()
    assert res.drive.mountpoint == mount(cfg, 2)


def test_receiver_moves_the_target_on_when_it_is_full(tmp_path: Path) -> None:
    cfg = three_drives(tmp_path)
    run_check(cfg, T0)
    write_plot(mount(cfg, 0), S)
    res = reserve_drive(cfg, S, wait=0)
    res.release()
    assert res.drive.mountpoint == mount(cfg, 1)
    with Store(cfg.nas.state_dir) as store:
        assert store.target() == mount(cfg, 1)


def test_drive_offline_and_online_commands(tmp_path: Path) -> None:
    cfg = three_drives(tmp_path)
    run_check(cfg, T0)
    free_before = total_free(cfg)[0]
    result = run_cli("nas", "--config", str(cfg.path), "drive", "offline", "drive1")
    assert result.returncode == 0, result.stderr
    assert total_free(cfg)[0] == free_before - S  # drive1 had room for one plot; now none counts
    state, events = run_check(cfg, T0 + 60)
    assert state.target == str(mount(cfg, 1)) and state.drives[0].state == DriveState.OFFLINE
    assert any(isinstance(e, DriveChanged) for e in events)
    for _ in range(2):
        res = reserve_drive(cfg, S, wait=0)
        assert res.drive.mountpoint != mount(cfg, 0)
        res.release()
    result = run_cli("nas", "--config", str(cfg.path), "drive", "online", str(mount(cfg, 0)))
    assert result.returncode == 0, result.stderr
    assert total_free(cfg)[0] == free_before


def test_offline_marker_file(tmp_path: Path) -> None:
    cfg = three_drives(tmp_path)
    (mount(cfg, 0) / OFFLINE_MARKER).touch()
    state, _ = run_check(cfg, T0)
    assert state.drives[0].state == DriveState.OFFLINE and state.target == str(mount(cfg, 1))
    assert run_cli("nas", "--config", str(cfg.path), "drive", "online", "drive1").returncode == 0
    assert not (mount(cfg, 0) / OFFLINE_MARKER).exists()


def test_unknown_drive_name_is_a_usage_error(tmp_path: Path) -> None:
    cfg = three_drives(tmp_path)
    result = run_cli("nas", "--config", str(cfg.path), "drive", "offline", "drive99")
    assert result.returncode == 2 and "no drive named 'drive99'" in result.stderr


def test_vanished_drive_is_missing_then_back(tmp_path: Path) -> None:
    cfg = three_drives(tmp_path)
    run_check(cfg, T0)
    away = mount(cfg, 0).with_name("away")
    mount(cfg, 0).rename(away)
    state, events = run_check(cfg, T0 + 60)
    assert state.drives[0].state == DriveState.MISSING and state.target == str(mount(cfg, 1))
    assert [e.drive.name for e in events if isinstance(e, DriveMissing)] == ["drive1"]
    assert state.drives[0].plots == 1  # as last seen, not counted in the totals
    away.rename(mount(cfg, 0))
    state, events = run_check(cfg, T0 + 120)
    assert [type(e) for e in events if isinstance(e, (DriveBack, DriveMissing))] == [DriveBack]
    assert state.target == str(mount(cfg, 1))  # the current target can still take plots


def test_forget_a_removed_drive(tmp_path: Path) -> None:
    drives = [tmp_path / "drives" / n for n in ("drive1", "drive2")]
    nas = make_nas(tmp_path, drive_dirs=drives)
    cfg = nas_config.load(nas.ini)
    run_check(cfg, T0)
    drives[1].rmdir()
    assert any(d.state == DriveState.MISSING for d in run_check(cfg, T0 + 60)[0].drives)
    result = run_cli("nas", "--config", str(cfg.path), "drive", "forget", "drive2")
    assert result.returncode == 0, result.stderr
    state, events = run_check(cfg, T0 + 120)
    assert [d.name for d in state.drives] == ["drive1"]
    assert not any(isinstance(e, DriveMissing) for e in events)


def test_concurrent_receivers_never_share_a_drive(tmp_path: Path) -> None:
    cfg = three_drives(tmp_path, plots_per_drive=3)
    held: list[Reservation] = []
    errors: list[Exception] = []
    barrier = threading.Barrier(3, timeout=30)

    def receive() -> None:
        try:
            held.append(reserve_drive(cfg, S, wait=5))
            barrier.wait()
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=receive) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    try:
        assert errors == [] and len({r.drive.mountpoint for r in held}) == 3
        with pytest.raises(NoSpaceError, match="3 with room but busy"):
            reserve_drive(cfg, S, wait=0.2)
    finally:
        for r in held:
            r.release()


def test_check_removes_stale_parts_only_on_drives_no_receiver_holds(tmp_path: Path) -> None:
    cfg = three_drives(tmp_path)
    stale = mount(cfg, 1) / f".plot-k32-{'a' * 64}.plot.part"
    live = mount(cfg, 2) / f".plot-k32-{'b' * 64}.plot.part"
    stale.write_bytes(b"left by a killed receiver")
    live.write_bytes(b"being received right now")
    busy = FileLock(lock_path(cfg.nas.state_dir, mount(cfg, 2))).acquire()
    try:
        run_check(cfg)
    finally:
        busy.release()
    assert not stale.exists()
    assert live.exists()


def test_spread_has_no_single_target_and_no_change_alerts(tmp_path: Path) -> None:
    cfg = three_drives(tmp_path, plots_per_drive=4)
    cfg.path.write_text(cfg.path.read_text().replace("[nas]\n", "[nas]\npolicy = spread\n"))
    cfg = nas_config.load(cfg.path)
    run_check(cfg, T0)
    for minute in range(1, 4):  # plots land on the drive with most room each time
        res = reserve_drive(cfg, S, wait=0)
        write_plot(res.drive.mountpoint, S)
        res.release()
        state, events = run_check(cfg, T0 + 60 * minute)
        assert state.target is None
        assert not [e for e in events if isinstance(e, DriveChanged)]
    counts = [len(list(mount(cfg, i).glob("plot-*"))) for i in range(3)]
    assert counts == [2, 1, 1]  # drive1 started with one; the others got one each first


def test_spread_status_and_report_say_spread_not_none(tmp_path: Path) -> None:
    cfg = three_drives(tmp_path, plots_per_drive=4)
    cfg.path.write_text(cfg.path.read_text().replace("[nas]\n", "[nas]\npolicy = spread\n"))
    status = run_cli("nas", "--config", str(cfg.path), "status")
    report = run_cli("nas", "--config", str(cfg.path), "report", "daily", "--print")
    assert status.returncode == 0 and report.returncode == 0, status.stderr + report.stderr
    assert "receive drive: spread" in status.stdout
    assert "Plots are spread" in report.stdout and "No drive is receiving" not in report.stdout


def test_a_receiver_that_took_the_next_drive_does_not_move_the_target(tmp_path: Path) -> None:
    cfg = three_drives(tmp_path, plots_per_drive=4)
    busy = FileLock(lock_path(cfg.nas.state_dir, mount(cfg, 0))).acquire()  # a transfer to drive1 runs
    try:
        res = reserve_drive(cfg, S, wait=0)
        res.release()
    finally:
        busy.release()
    assert res.drive.mountpoint == mount(cfg, 1)
    with Store(cfg.nas.state_dir) as store:
        assert store.target() == mount(cfg, 0)  # drive1 still has room: it stays the target
