"""nas.monitor.events.diff: pure, previous state + current state + settings -> events."""

from __future__ import annotations

from dataclasses import replace

from nas.model import DriveState, DriveStatus, NasState, SmartInfo, SmartStatus
from nas.monitor.events import (
    AllFull,
    BadSectors,
    CapacityLow,
    DriveBack,
    DriveChanged,
    DriveFull,
    DriveMissing,
    Event,
    NoPlots,
    PlotsDropped,
    SmartFailing,
    Temperature,
    diff,
    evaluated,
)
from nas.settings import AlertSettings

T0 = 1_800_000_000.0
ALERTS = AlertSettings(low_water_plots=5, temperature_limit=50, no_plot_hours=6)


def smart(**values: object) -> SmartInfo:
    base = SmartInfo(device="/dev/sdb", status=SmartStatus.OK, read_at=T0, model="M", serial="S1", temperature=35,
                     health="PASS", reallocated=0, pending=0, offline_uncorrectable=0)
    return replace(base, **values)  # type: ignore[arg-type]


def drive(name: str, state: DriveState = DriveState.ACTIVE, plots: int = 10, plots_free: int | None = 20,
          **kw: object) -> DriveStatus:
    base = DriveStatus(mountpoint=f"/mnt/{name}", name=name, device="/dev/sdb", total_bytes=100, free_bytes=50,
                       plots=plots, plot_bytes=plots * 10, state=state, plots_free=plots_free, smart=smart())
    return replace(base, **kw)  # type: ignore[arg-type]


def state(*drives: DriveStatus, target: str | None = "/mnt/d1", time: float = T0, last: float | None = T0,
          received: int = 0) -> NasState:
    return NasState(time=time, drives=drives, target=target, plot_size=10, received_24h=received,
                    last_receipt=last, since=T0 - 86400)


def kinds(events: list[Event]) -> list[type[Event]]:
    return [type(e) for e in events]


def test_quiet_state_gives_no_events() -> None:
    now = state(drive("d1"), drive("d2"))
    assert diff(now, now, ALERTS) == []
    assert diff(None, now, ALERTS) == []


def test_first_check_reports_levels_but_no_edges() -> None:
    now = state(drive("d1", state=DriveState.FULL, plots_free=0), drive("d2", state=DriveState.MISSING), target=None)
    assert kinds(diff(None, now, ALERTS)) == [AllFull, DriveMissing]


def test_receive_drive_changed_carries_old_new_and_smart() -> None:
    before = state(drive("d1"), drive("d2"), target="/mnt/d1")
    hot = smart(temperature=41, serial="S2")
    after = state(drive("d1", state=DriveState.FULL, plots_free=0), drive("d2", smart=hot), target="/mnt/d2")
    events = diff(before, after, ALERTS)
    changed = next(e for e in events if isinstance(e, DriveChanged))
    assert changed.old is not None and changed.old.name == "d1" and changed.new.name == "d2"
    assert changed.smart.serial == "S2" and changed.key == "drive_changed:/mnt/d1->/mnt/d2"
    assert not changed.standing and changed.kind == "drive_changed"
    assert DriveFull in kinds(events)


def test_drive_full_is_an_edge() -> None:
    full = state(drive("d1", state=DriveState.FULL, plots_free=0), drive("d2"))
    events = diff(state(drive("d1"), drive("d2")), full, ALERTS)
    assert kinds(events) == [DriveFull] and events[0].key == "drive_full:/mnt/d1"
    assert diff(full, full, ALERTS) == []


def test_all_full_is_standing_and_replaces_capacity_low() -> None:
    full = state(drive("d1", state=DriveState.FULL, plots_free=0), drive("d2", state=DriveState.OFFLINE))
    events = diff(full, full, ALERTS)
    assert kinds(events) == [AllFull] and events[0].standing and events[0].key == "all_full"


def test_all_full_title_counts_offline_and_missing_drives() -> None:
    full = [drive(f"d{i}", state=DriveState.FULL, plots_free=0) for i in range(10)]
    titles = [diff(None, state(*drives), ALERTS)[0].title for drives in (
        full, [*full, drive("o1", state=DriveState.OFFLINE), drive("o2", state=DriveState.OFFLINE)],
        [*full[:9], drive("o1", state=DriveState.OFFLINE), drive("gone", state=DriveState.MISSING)],
        [drive("gone", state=DriveState.MISSING)], [])]
    assert titles == ["All 10 drives are full: no plot can be received",
                      "No drive can receive plots (10 full, 2 offline): no plot can be received",
                      "No drive can receive plots (9 full, 1 offline, 1 missing): no plot can be received",
                      "No drive can receive plots (0 full, 1 missing): no plot can be received",
                      "No drive can receive plots (none found): no plot can be received"]


def test_capacity_low_is_not_resolved_by_all_full() -> None:
    """Capacity getting worse is not "resolved": while all is full, capacity_low is not judged."""
    low = state(drive("d1", plots_free=3), drive("d2", state=DriveState.FULL, plots_free=0))
    full = state(drive("d1", state=DriveState.FULL, plots_free=0), drive("d2", state=DriveState.FULL, plots_free=0))
    assert evaluated(low, "capacity_low") and not evaluated(full, "capacity_low")
    assert evaluated(full, "all_full")


def test_replacement_with_plots_left_is_not_all_full() -> None:
    full = [drive("d1", state=DriveState.FULL, plots_free=0), drive("d2", state=DriveState.FULL, plots_free=0)]
    replotting = replace(state(*full), replaceable=40)
    assert diff(replotting, replotting, ALERTS) == []  # receiving goes on, by replacing plots
    assert evaluated(replotting, "capacity_low")
    (low,) = diff(None, replace(replotting, replaceable=4), ALERTS)
    assert isinstance(low, CapacityLow) and (low.plots_left, low.replaceable) == (4, 4)
    assert low.title == "Room for only 4 more plots, 4 of them by replacing plots (alert at 5)"
    (done,) = diff(None, replace(replotting, replaceable=0), ALERTS)
    assert isinstance(done, AllFull) and done.title == "All 2 drives are full; no plot left to replace"


def test_capacity_low_at_the_low_water_mark() -> None:
    assert diff(None, state(drive("d1", plots_free=6)), ALERTS) == []
    (event,) = diff(None, state(drive("d1", plots_free=3), drive("d2", plots_free=2)), ALERTS)
    assert isinstance(event, CapacityLow) and event.plots_left == 5 and event.standing


def test_capacity_low_ignores_offline_and_can_be_off() -> None:
    now = state(drive("d1", plots_free=50, state=DriveState.OFFLINE), drive("d2", plots_free=1))
    assert kinds(diff(None, now, ALERTS)) == [CapacityLow]
    assert diff(None, now, replace(ALERTS, low_water_plots=0)) == []


def test_temperature_above_limit_only_for_current_readings() -> None:
    hot = drive("d1", smart=smart(temperature=51))
    (event,) = diff(None, state(hot), ALERTS)
    assert isinstance(event, Temperature) and event.key == "temperature:/mnt/d1" and event.temperature == 51
    assert diff(None, state(drive("d1", smart=smart(temperature=50))), ALERTS) == []
    asleep = drive("d1", smart=smart(temperature=51, status=SmartStatus.STANDBY))
    assert diff(None, state(asleep), ALERTS) == []


def test_smart_health_failed_is_standing() -> None:
    (event,) = diff(None, state(drive("d1", smart=smart(health="FAIL"))), ALERTS)
    assert isinstance(event, SmartFailing) and event.standing and event.key == "smart_failing:/mnt/d1"


def test_bad_sector_counter_increase_is_an_edge() -> None:
    before = state(drive("d1", smart=smart(reallocated=3, pending=1)))
    after = state(drive("d1", smart=smart(reallocated=8, pending=1)))
    (event,) = diff(before, after, ALERTS)
    assert isinstance(event, BadSectors) and (event.counter, event.before, event.after) == ("reallocated", 3, 8)
    assert event.kind == "smart_failing" and not event.standing
    assert diff(after, after, ALERTS) == []


def test_counters_of_a_swapped_disk_are_not_compared() -> None:
    before = state(drive("d1", smart=smart(reallocated=0, serial="OLD")))
    after = state(drive("d1", smart=smart(reallocated=9, serial="NEW")))
    assert diff(before, after, ALERTS) == []


def test_nvme_media_errors_and_sas_grown_defects_count_too() -> None:
    before = state(drive("d1", smart=smart(media_errors=0)), drive("d2", smart=smart(grown_defects=2)))
    after = state(drive("d1", smart=smart(media_errors=4)), drive("d2", smart=smart(grown_defects=3)))
    events = diff(before, after, ALERTS)
    assert {(e.counter, e.after) for e in events if isinstance(e, BadSectors)} == {("media_errors", 4),
                                                                                   ("grown_defects", 3)}


def test_missing_then_back() -> None:
    here = state(drive("d1"), drive("d2"))
    gone = state(drive("d1"), drive("d2", state=DriveState.MISSING, plots_free=None))
    events = diff(here, gone, ALERTS)
    assert kinds(events) == [DriveMissing] and events[0].key == "drive_missing:/mnt/d2" and events[0].standing
    assert kinds(diff(gone, gone, ALERTS)) == [DriveMissing]
    back = diff(gone, here, ALERTS)
    assert kinds(back) == [DriveBack] and back[0].key == "drive_back:/mnt/d2"


def test_plot_count_drop_is_reported_unless_replacement_explains_it() -> None:
    before = state(drive("d1", plots=100))
    (event,) = diff(before, state(drive("d1", plots=0)), ALERTS)
    assert isinstance(event, PlotsDropped) and (event.before, event.after) == (100, 0)
    assert event.kind == "drive_missing"
    assert diff(before, state(drive("d1", plots=99, replaced=2)), ALERTS) == []
    assert diff(before, state(drive("d1", plots=101)), ALERTS) == []


def test_a_replaced_group_file_explains_its_plots() -> None:
    """Replacement records deleted files; a .gplot file deleted whole takes its 128 plots with it."""
    before = state(drive("d1", plots=130, plot_files=3))
    assert diff(before, state(drive("d1", plots=2, plot_files=2, replaced=1)), ALERTS) == []
    (event,) = diff(before, state(drive("d1", plots=2, plot_files=2)), ALERTS)  # nothing replaced: a loss
    assert isinstance(event, PlotsDropped) and (event.before, event.after) == (130, 2)


def test_no_plots_for_hours() -> None:
    late = state(drive("d1"), time=T0 + 6 * 3600, last=T0)
    (event,) = diff(None, late, ALERTS)
    assert isinstance(event, NoPlots) and event.hours == 6 and event.key == "no_plots"
    assert diff(None, state(drive("d1"), time=T0 + 6 * 3600 - 1, last=T0), ALERTS) == []
    never = state(drive("d1"), time=T0, last=None)  # counted from the first check, a day before
    assert kinds(diff(None, never, ALERTS)) == [NoPlots]
    assert diff(None, late, replace(ALERTS, no_plot_hours=0)) == []


def test_every_event_has_a_kind_key_severity_and_title() -> None:
    sample: list[Event] = diff(None, state(drive("d1", smart=smart(health="FAIL", temperature=60)),
                                           drive("d2", state=DriveState.MISSING), time=T0 + 86400), ALERTS)
    assert len(sample) == 4
    for event in sample:
        assert event.kind and event.key.startswith(event.kind) and event.title
        assert event.severity in ("info", "warning", "critical")


def test_evaluated_says_which_conditions_a_check_judged() -> None:
    now = state(drive("d1"), drive("d2", smart=smart(status=SmartStatus.STANDBY)),
                drive("d3", state=DriveState.MISSING))
    assert evaluated(now, "all_full") and evaluated(now, "no_plots")
    assert evaluated(now, "temperature:/mnt/d1") and not evaluated(now, "temperature:/mnt/d2")
    assert evaluated(now, "drive_missing:/mnt/d3") and not evaluated(now, "drive_missing:/mnt/gone")
    assert not evaluated(now, "smart_failing:/mnt/d3")
