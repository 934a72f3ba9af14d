"""What changed on the NAS, as small typed events: :func:`diff` is pure.

``diff(previous, current, alerts)`` compares two :class:`~nas.model.NasState`
and returns events. Each has a ``kind`` (routes notifications), a ``key`` (the
condition it is about), a ``severity`` and a one-line ``title``. A *standing*
event is a level, reported by every check while its condition lasts (so a
notifier can send it once, and "resolved" when it disappears from a check that
:func:`evaluated` it); the others are edges, reported once, at the change.

Kinds (the classes live in :mod:`nas.monitor.event_kinds`):
  drive_changed  DriveChanged   receive drive changed (old, new, new drive's SMART)   edge
  drive_full     DriveFull      a drive became full                                  edge
  all_full       AllFull        no drive can take another plot (nor replace one)     standing
  capacity_low   CapacityLow    plots until full (+ replaceable) <= low_water_plots  standing
  temperature    Temperature    a drive is hotter than [alerts] temperature_limit     standing
  smart_failing  SmartFailing   SMART overall health FAIL                            standing
  smart_failing  BadSectors     a bad-sector counter increased                       edge
  drive_missing  DriveMissing   a known drive's mount point is gone                  standing
  drive_missing  PlotsDropped   a drive holds fewer plots than before, unexplained    edge
  drive_back     DriveBack      a missing drive is back                              edge
  drive_failing  DriveFailing   a drive cannot be written (or read): state failing   standing
  drive_back     DriveHealthy   a failing drive writes again                         edge
  no_plots       NoPlots        no plot received for [alerts] no_plot_hours           standing
  plots_not_farmed PlotsNotFarmed  plots the harvester does not farm, [chia] not_farmed_grace  standing
  harvester_unreachable HarvesterUnreachable  the harvester's RPC does not answer         standing
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from nas.model import DriveState, DriveStatus, NasState, SmartStatus, totals
from nas.monitor.event_kinds import (
    AllFull,
    BadSectors,
    CapacityLow,
    DriveBack,
    DriveChanged,
    DriveFailing,
    DriveFull,
    DriveHealthy,
    DriveMissing,
    Event,
    HarvesterUnreachable,
    NoPlots,
    PlotsDropped,
    PlotsNotFarmed,
    SmartFailing,
    Temperature,
)
from nas.settings import AlertSettings, ChiaSettings

__all__ = ["AllFull", "BadSectors", "CapacityLow", "DriveBack", "DriveChanged", "DriveFailing", "DriveFull",
           "DriveHealthy", "DriveMissing", "Event", "HarvesterUnreachable", "NoPlots", "PlotsDropped",
           "PlotsNotFarmed", "SmartFailing", "Temperature", "diff", "evaluated", "farm_levels", "no_room"]

HOUR = 3600.0


def diff(previous: NasState | None, current: NasState, alerts: AlertSettings,
         chia: ChiaSettings | None = None) -> list[Event]:
    """Events from ``previous`` (None on the first check: no edges) to ``current``."""
    edges = _edges(previous, current) if previous is not None else []
    grace = chia.not_farmed_grace if chia is not None else ChiaSettings().not_farmed_grace
    return edges + _levels(current, alerts) + farm_levels(current.farm, current.time, grace)


def farm_levels(farm: dict[str, Any] | None, now: float, grace: float) -> list[Event]:
    """The harvester down, or plots unfarmed longer than ``grace`` seconds (pending ones never count)."""
    if not farm:
        return []
    if farm.get("reachable") is False:
        return [HarvesterUnreachable(str(farm.get("harvester") or farm.get("chia_root")), str(farm.get("error")))]
    since = farm.get("not_farmed_since")
    if not farm.get("not_farmed") or not isinstance(since, (int, float)) or now - since < grace:
        return []
    by_state = farm.get("by_state") or {}
    states = tuple((str(k), int(v)) for k, v in by_state.items() if k not in ("farmed", "pending") and v)
    return [PlotsNotFarmed(int(farm["not_farmed"]), (now - since) / HOUR, states)]


def _edges(prev: NasState, cur: NasState) -> list[Event]:
    events: list[Event] = []
    new = cur.drive(cur.target) if cur.target else None
    if new is not None and cur.target != prev.target:
        old = (cur.drive(prev.target) or prev.drive(prev.target)) if prev.target else None  # as it is now
        events.append(DriveChanged(old=old, new=new))
    for drive in cur.drives:
        before = prev.drive(drive.mountpoint)
        if before is not None:
            events += _drive_edges(before, drive)
    return events


def _drive_edges(before: DriveStatus, now: DriveStatus) -> list[Event]:
    if now.state == DriveState.MISSING:
        return []
    if before.state == DriveState.MISSING:
        return [DriveBack(now)]
    events: list[Event] = []
    if before.state == DriveState.FAILING and now.state != DriveState.FAILING:
        events.append(DriveHealthy(now))
    if before.state == DriveState.ACTIVE and now.state == DriveState.FULL:
        events.append(DriveFull(now))
    if _dropped(before, now):
        events.append(PlotsDropped(now, before.plots, now.plots))
    return events + _counter_edges(before, now)


def _dropped(before: DriveStatus, now: DriveStatus) -> bool:
    """Fewer plots than replacement explains. ``replaced`` counts deleted files, and one .gplot file
    holds a group of plots: files are compared where both states count them."""
    if before.plot_files is not None and now.plot_files is not None:
        return before.plot_files - now.replaced > now.plot_files
    return before.plots - now.replaced > now.plots


def _counter_edges(before: DriveStatus, now: DriveStatus) -> list[Event]:
    old, new = before.smart, now.smart
    if not (old.has_values and new.has_values) or old.serial is None or old.serial != new.serial:
        return []  # no two readings of the same disk to compare
    was = old.counters()
    return [BadSectors(now, name, was[name], value) for name, value in new.counters().items()
            if name in was and value > was[name]]


def no_room(state: NasState) -> bool:
    """No drive can take a plot, and replacement (if on) has nothing left to delete."""
    return not any(d.state == DriveState.ACTIVE for d in state.drives) and not state.replaceable


def _levels(cur: NasState, alerts: AlertSettings) -> list[Event]:
    events: list[Event] = []
    if no_room(cur):
        events.append(_all_full(cur))
    elif alerts.low_water_plots and (low := _capacity_low(cur, alerts.low_water_plots)) is not None:
        events.append(low)
    for drive in cur.drives:
        events += _drive_levels(drive, alerts)
    waited = cur.time - (cur.last_receipt if cur.last_receipt is not None else cur.since)
    if alerts.no_plot_hours and waited >= alerts.no_plot_hours * HOUR:
        events.append(NoPlots(hours=waited / HOUR, last_receipt=cur.last_receipt))
    return events


def _all_full(cur: NasState) -> AllFull:
    count = Counter(d.state for d in cur.drives)
    return AllFull(full=count[DriveState.FULL], offline=count[DriveState.OFFLINE], missing=count[DriveState.MISSING],
                   replacing=cur.replaceable is not None, failing=count[DriveState.FAILING])


def _capacity_low(cur: NasState, limit: int) -> CapacityLow | None:
    """Room counts the plots replacement may still delete: each makes room for about one plot."""
    sums = totals(cur)
    if sums.plots_until_full is None:
        return None
    replaceable = cur.replaceable or 0
    room = sums.plots_until_full + replaceable
    days = room / sums.received_24h if sums.received_24h else None
    return CapacityLow(room, limit, days, replaceable) if room <= limit else None


def _drive_levels(drive: DriveStatus, alerts: AlertSettings) -> list[Event]:
    if drive.state == DriveState.MISSING:
        return [DriveMissing(drive)]
    smart, events = drive.smart, list[Event]()
    if drive.state == DriveState.FAILING:
        events.append(DriveFailing(drive))
    if smart.status != SmartStatus.OK:
        return events  # asleep or unreadable: no SMART figures to judge
    if alerts.temperature_limit and smart.temperature is not None and smart.temperature > alerts.temperature_limit:
        events.append(Temperature(drive, smart.temperature, alerts.temperature_limit))
    if smart.health == "FAIL":
        events.append(SmartFailing(drive))
    return events


def evaluated(state: NasState, key: str) -> bool:
    """Whether a check producing ``state`` judged the standing condition ``key``
    (a condition it could not judge, e.g. the temperature of a sleeping disk, is
    neither current nor resolved)."""
    kind, _, mountpoint = key.partition(":")
    if kind == "capacity_low":
        return not no_room(state)  # "all full" supersedes it: capacity got worse, not better
    if kind in ("all_full", "no_plots"):
        return True
    if kind in ("plots_not_farmed", "harvester_unreachable"):
        # Judged only by a check that asked the harvester; "not farmed" only when it answered.
        return state.farm is not None and (kind == "harvester_unreachable" or state.farm.get("reachable") is True)
    drive = state.drive(mountpoint)
    if kind == "drive_missing":
        return drive is not None
    if kind == "drive_failing":
        return drive is not None and drive.state != DriveState.MISSING  # a failing drive that vanished: not judged
    if drive is None or drive.state == DriveState.MISSING or drive.smart.status != SmartStatus.OK:
        return False
    return kind in ("temperature", "smart_failing")
