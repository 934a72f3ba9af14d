"""Failing drives without root: classification (pure), marks in the state, selection, events,
notices, status and metrics, the probe, and the receiver's move to the next drive."""

from __future__ import annotations

import errno
import os
from dataclasses import replace
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from common.errors import DiskWriteError, DriveFailingError, NoSpaceError, TransferError
from common.locking import FileLock, is_locked
from common.metrics import render as render_metrics
from common.notify.base import SendMode
from common.notify.dedupe import plan
from common.notify.render import render
from common.status.summary import summarize
from nas import config as nas_config
from nas.drives.health import (
    clear,
    enospc_stage,
    failing_marks,
    failing_reason,
    mark,
    on_healthy_drive,
    probe,
    room_contradicts,
)
from nas.drives.listing import Drive, list_drives, stat_drive
from nas.drives.locks import lock_path
from nas.drives.select import Reservation, choose_target, reserve_drive
from nas.model import DriveState, NasState, state_to_dict, status_dict, totals
from nas.monitor import events as ev
from nas.monitor.alerts import to_notice
from nas.monitor.check import run_check
from nas.monitor.metrics import families
from nas.monitor.status import render_table
from nas.state import Store
from tests.helpers import make_nas
from tests.nas.monitor.test_events import ALERTS, drive, state

MIB = 2**20
T0 = 1_800_000_000.0
QUIET = "[alerts]\nno_plot_hours = 0\nlow_water_plots = 0\n"
RO = "create: Read-only file system"


# -- classification: pure ------------------------------------------------------------------------

@pytest.mark.parametrize(("exc", "reason"), [
    (DiskWriteError("x", errno.EROFS, "create"), RO),
    (DiskWriteError("x", errno.EIO, "write"), "write: Input/output error"),
    (DiskWriteError("x", errno.ENOTCONN, "fsync"), "fsync: Transport endpoint is not connected"),
    (DiskWriteError("x", errno.EACCES, "create"), None),  # a permission problem, not a dying drive
    (DiskWriteError("x", errno.ENOSPC, "fsync"), None),  # only the free space can tell
    (NoSpaceError("the drive filled up"), None),
    (TransferError("receiving: no data for 60 s (timed out)"), None),  # the network, not the drive
])
def test_which_errors_show_a_failing_drive(exc: Exception, reason: str | None) -> None:
    assert failing_reason(exc) == reason


def test_enospc_stage_and_whether_the_room_contradicts_it() -> None:
    assert enospc_stage(NoSpaceError("the drive filled up")) == "write"
    assert enospc_stage(DiskWriteError("x", errno.ENOSPC, "fsync")) == "fsync"
    assert enospc_stage(DiskWriteError("x", errno.EIO, "write")) is None
    size = 100 * MIB
    assert room_contradicts(10 * size, 0, size)
    assert not room_contradicts(size + MIB, 0, size)  # a filesystem's own overhead may explain it
    assert not room_contradicts(10 * size, 10 * size - size, size)  # the reserve counts


# -- marks, selection and the probe on plain directories -------------------------------------------

def nas(tmp_path: Path) -> nas_config.NasConfig:
    setup = make_nas(tmp_path / "nas", extra_nas=QUIET.replace("[alerts]", "\n[alerts]"))
    return nas_config.load(setup.ini)


def test_a_mark_keeps_its_first_reason_and_clear_returns_it(tmp_path: Path) -> None:
    cfg = nas(tmp_path)
    d1 = cfg.nas.state_dir.parent / "drives" / "drive1"
    with Store(cfg.nas.state_dir) as store:
        mark(store, d1, RO)
        mark(store, d1, "write: Input/output error")
        assert failing_marks(store) == {d1: RO}
    found, plain = stat_drive(cfg, d1), stat_drive(cfg, d1, frozenset(), {})
    assert found is not None and plain is not None and plain.failing is None
    # Free bytes of a file system other processes write to may move between the two reads.
    assert replace(found, free_bytes=plain.free_bytes) == replace(plain, failing=RO)
    with Store(cfg.nas.state_dir) as store:
        assert clear(store, d1) == RO and clear(store, d1) is None and failing_marks(store) == {}


def test_a_failing_drive_is_never_chosen_nor_kept_while_busy() -> None:
    ok, bad = Drive(Path("/mnt/d1"), 10 * MIB, 9 * MIB, False), Drive(Path("/mnt/d2"), 10 * MIB, 9 * MIB, False, RO)
    assert choose_target([bad, ok], bad.mountpoint, MIB, 0, "fill", current_busy=True) == ok.mountpoint
    assert choose_target([bad], None, MIB, 0, "spread") is None


def test_reservation_skips_a_marked_drive(tmp_path: Path) -> None:
    cfg = nas(tmp_path)
    drives = [d.mountpoint for d in list_drives(cfg)]
    with Store(cfg.nas.state_dir) as store:
        mark(store, drives[0], RO)
    res = reserve_drive(cfg, MIB, wait=0)
    try:
        assert res.drive.mountpoint == drives[1]
    finally:
        res.release()


def test_probe_writes_and_removes_its_file(tmp_path: Path) -> None:
    assert probe(tmp_path) is None and list(tmp_path.iterdir()) == []
    assert probe(tmp_path / "gone") == "probe create: No such file or directory"


def test_check_probes_marked_drives_and_clears_those_that_write(tmp_path: Path) -> None:
    cfg = nas(tmp_path)
    d1, d2 = (d.mountpoint for d in list_drives(cfg))
    with Store(cfg.nas.state_dir) as store:
        mark(store, d1, RO)
    busy = FileLock(lock_path(cfg.nas.state_dir, d1))
    assert busy.try_acquire()  # a receiver holds it: not probed now
    try:
        state1, events1 = run_check(cfg, T0)
    finally:
        busy.release()
    assert [(d.state, d.reason) for d in state1.drives] == [(DriveState.FAILING, RO), (DriveState.ACTIVE, None)]
    assert state1.target == str(d2) and any(isinstance(e, ev.DriveFailing) for e in events1)
    state2, events2 = run_check(cfg, T0 + 60)
    assert [d.state for d in state2.drives] == [DriveState.ACTIVE, DriveState.ACTIVE]
    assert [type(e) for e in events2 if isinstance(e, (ev.DriveFailing, ev.DriveHealthy))] == [ev.DriveHealthy]
    assert list(d1.iterdir()) == []  # the probe file is gone


# -- the receiver's loop over drives ---------------------------------------------------------------

def test_a_drive_failing_before_the_stream_hands_the_offer_to_the_next(tmp_path: Path) -> None:
    cfg = nas(tmp_path)
    d1, d2 = (d.mountpoint for d in list_drives(cfg))
    seen: list[Path] = []

    def receive(res: Reservation) -> str:
        seen.append(res.drive.mountpoint)
        if res.drive.mountpoint == d1:
            raise DiskWriteError("cannot create", errno.EROFS, "create")
        return "stored"

    result, res = on_healthy_drive(cfg, MIB, lambda: reserve_drive(cfg, MIB, wait=0), receive)
    assert (result, res.drive.mountpoint, seen) == ("stored", d2, [d1, d2])
    with Store(cfg.nas.state_dir) as store:
        assert failing_marks(store) == {d1: RO}
    assert not is_locked(lock_path(cfg.nas.state_dir, d1)) and not is_locked(lock_path(cfg.nas.state_dir, d2))


def test_a_drive_failing_mid_stream_ends_the_offer_with_drive_failing(tmp_path: Path) -> None:
    cfg = nas(tmp_path)
    d1 = list_drives(cfg)[0].mountpoint

    def receive(res: Reservation) -> str:
        raise DiskWriteError("writing to the drive: Input/output error", errno.EIO, "write")

    with pytest.raises(DriveFailingError, match="is failing \\(write: Input/output error\\)"):
        on_healthy_drive(cfg, MIB, lambda: reserve_drive(cfg, MIB, wait=0), receive)
    with Store(cfg.nas.state_dir) as store:
        assert failing_marks(store) == {d1: "write: Input/output error"}


def test_a_real_enospc_or_a_network_error_marks_nothing(tmp_path: Path) -> None:
    cfg = nas(tmp_path)
    free = list_drives(cfg)[0].free_bytes
    for exc in (NoSpaceError("the drive filled up"), TransferError("receiving: Connection reset by peer")):
        def receive(res: Reservation, exc: Exception = exc) -> str:
            raise exc

        # ENOSPC for a plot as big as the free space: the drive really is full.
        with pytest.raises(type(exc)):
            on_healthy_drive(cfg, free, lambda: reserve_drive(cfg, MIB, wait=0), receive)
    with Store(cfg.nas.state_dir) as store:
        assert failing_marks(store) == {}


def test_enospc_with_plenty_of_room_marks_the_drive(tmp_path: Path) -> None:
    cfg = nas(tmp_path)

    def receive(res: Reservation) -> str:
        raise NoSpaceError(f"{res.drive.mountpoint}: the drive filled up: No space left on device")

    with pytest.raises(DriveFailingError, match="No space left on device while statvfs shows"):
        on_healthy_drive(cfg, MIB, lambda: reserve_drive(cfg, MIB, wait=0), receive)


# -- events, notices, status and metrics: pure ------------------------------------------------------

def failing_state() -> NasState:
    return state(drive("d1", state=DriveState.FAILING, plots_free=0, reason=RO),
                 drive("d2", state=DriveState.FULL, plots_free=0), target=None)


def test_a_failing_drive_is_a_standing_alert_and_its_recovery_an_edge() -> None:
    before = state(drive("d1"), drive("d2"))
    now = failing_state()
    events = ev.diff(before, now, ALERTS)
    failing = [e for e in events if isinstance(e, ev.DriveFailing)]
    assert [e.key for e in failing] == ["drive_failing:/mnt/d1"] and failing[0].standing
    assert RO in failing[0].title
    (full,) = [e for e in events if isinstance(e, ev.AllFull)]
    assert "1 failing" in full.title
    assert not any(isinstance(e, ev.PlotsDropped) for e in events)
    assert ev.evaluated(now, "drive_failing:/mnt/d1")
    back = ev.diff(now, before, ALERTS)
    assert [e.key for e in back if isinstance(e, ev.DriveHealthy)] == ["drive_healthy:/mnt/d1"]
    assert totals(now).free_bytes == now.drives[1].free_bytes  # a failing drive's room is no room


def test_recovery_closes_the_failing_alert_with_one_message() -> None:
    now = failing_state()
    summary = summarize(status_dict(now))
    (failing,) = [e for e in ev.diff(None, now, ALERTS) if isinstance(e, ev.DriveFailing)]
    notice = to_notice(failing, summary)
    message = render(notice, SendMode.NEW, "nas01")
    assert RO in message.text and RO in message.short and message.html is not None and RO in message.html
    record = plan([notice], lambda key: True, {}, T0, 0)[0].record
    healthy = to_notice(ev.DriveHealthy(replace(now.drives[0], state=DriveState.ACTIVE)), summary)
    sends = plan([healthy], lambda key: True, {record.key: record}, T0 + 60, 0)
    assert [(s.notice.kind, s.silent) for s in sends] == [("drive_back", False), ("drive_failing", True)]


def test_status_json_and_metrics_show_failing_with_the_reason() -> None:
    now = failing_state()
    table = render_table(now)
    assert "failing" in table and f"d1: {RO}" in table
    assert state_to_dict(now)["drives"][0]["reason"] == RO
    metrics = render_metrics(families(status_dict(now), None))
    samples = {(s.labels["drive"], s.labels["state"]): s.value for f in text_string_to_metric_families(metrics)
               if f.name == "chia_nas_drive_state" for s in f.samples}
    assert samples[("d1", "failing")] == 1.0 and samples[("d1", "active")] == 0.0
    assert samples[("d2", "failing")] == 0.0


def test_probe_leaves_nothing_behind_when_the_write_fails(tmp_path: Path) -> None:
    # A directory where the probe file already exists as a directory: create fails, nothing is removed.
    (tmp_path / f".plotyard-probe-{os.getpid()}").mkdir()
    assert (probe(tmp_path) or "").startswith("probe create: ")
    assert (tmp_path / f".plotyard-probe-{os.getpid()}").is_dir()
