"""What changed on the NAS, as small typed events: :func:`diff` is pure.

``diff(previous, current, alerts)`` compares two :class:`~nas.model.NasState`
and returns events. Each has a ``kind`` (routes notifications), a ``key`` (the
condition it is about), a ``severity`` and a one-line ``title``. A *standing*
event is a level, reported by every check while its condition lasts (so a
notifier can send it once, and "resolved" when it disappears from a check that
:func:`evaluated` it); the others are edges, reported once, at the change.

Kinds:
  drive_changed  DriveChanged   receive drive changed (old, new, new drive's SMART)   edge
  drive_full     DriveFull      a drive became full                                  edge
  all_full       AllFull        no drive can take another plot                       standing
  capacity_low   CapacityLow    plots until full <= [alerts] low_water_plots         standing
  temperature    Temperature    a drive is hotter than [alerts] temperature_limit     standing
  smart_failing  SmartFailing   SMART overall health FAIL                            standing
  smart_failing  BadSectors     a bad-sector counter increased                       edge
  drive_missing  DriveMissing   a known drive's mount point is gone                  standing
  drive_missing  PlotsDropped   a drive holds fewer plots than before, unexplained    edge
  drive_back     DriveBack      a missing drive is back                              edge
  no_plots       NoPlots        no plot received for [alerts] no_plot_hours           standing
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from nas.model import ACTIVE, FULL, MISSING, SMART_OK, DriveStatus, NasState, SmartInfo, totals
from nas.settings import AlertSettings

HOUR = 3600.0


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str] = ""
    standing: ClassVar[bool] = False
    severity: ClassVar[str] = "info"  # info | warning | critical

    @property
    def key(self) -> str:
        return self.kind

    @property
    def title(self) -> str:
        return self.kind


@dataclass(frozen=True)
class DriveChanged(Event):
    kind: ClassVar[str] = "drive_changed"
    old: DriveStatus | None
    new: DriveStatus

    @property
    def smart(self) -> SmartInfo:
        return self.new.smart

    @property
    def key(self) -> str:
        return f"drive_changed:{self.old.mountpoint if self.old else ''}->{self.new.mountpoint}"

    @property
    def title(self) -> str:
        return f"Receive drive changed from {self.old.name if self.old else 'none'} to {self.new.name}"


@dataclass(frozen=True)
class DriveFull(Event):
    kind: ClassVar[str] = "drive_full"
    drive: DriveStatus

    @property
    def key(self) -> str:
        return f"drive_full:{self.drive.mountpoint}"

    @property
    def title(self) -> str:
        return f"Drive {self.drive.name} is full ({self.drive.plots} plots)"


@dataclass(frozen=True)
class AllFull(Event):
    kind: ClassVar[str] = "all_full"
    standing: ClassVar[bool] = True
    severity: ClassVar[str] = "critical"
    drives: int

    @property
    def title(self) -> str:
        return f"All {self.drives} drives are full: no plot can be received"


@dataclass(frozen=True)
class CapacityLow(Event):
    kind: ClassVar[str] = "capacity_low"
    standing: ClassVar[bool] = True
    severity: ClassVar[str] = "warning"
    plots_left: int
    limit: int
    days_to_full: float | None

    @property
    def title(self) -> str:
        return f"Room for only {self.plots_left} more plots (alert at {self.limit})"


@dataclass(frozen=True)
class Temperature(Event):
    kind: ClassVar[str] = "temperature"
    standing: ClassVar[bool] = True
    severity: ClassVar[str] = "warning"
    drive: DriveStatus
    temperature: int
    limit: int

    @property
    def key(self) -> str:
        return f"temperature:{self.drive.mountpoint}"

    @property
    def title(self) -> str:
        return f"Drive {self.drive.name} is at {self.temperature} °C (limit {self.limit} °C)"


@dataclass(frozen=True)
class SmartFailing(Event):
    kind: ClassVar[str] = "smart_failing"
    standing: ClassVar[bool] = True
    severity: ClassVar[str] = "critical"
    drive: DriveStatus

    @property
    def key(self) -> str:
        return f"smart_failing:{self.drive.mountpoint}"

    @property
    def title(self) -> str:
        return f"Drive {self.drive.name} ({self.drive.smart.serial}) fails its SMART health check"


@dataclass(frozen=True)
class BadSectors(Event):
    kind: ClassVar[str] = "smart_failing"
    severity: ClassVar[str] = "critical"
    drive: DriveStatus
    counter: str
    before: int
    after: int

    @property
    def key(self) -> str:
        return f"smart_failing:{self.drive.mountpoint}:{self.counter}:{self.after}"

    @property
    def title(self) -> str:
        return f"Drive {self.drive.name}: {self.counter} went from {self.before} to {self.after}"


@dataclass(frozen=True)
class DriveMissing(Event):
    kind: ClassVar[str] = "drive_missing"
    standing: ClassVar[bool] = True
    severity: ClassVar[str] = "critical"
    drive: DriveStatus  # as last seen

    @property
    def key(self) -> str:
        return f"drive_missing:{self.drive.mountpoint}"

    @property
    def title(self) -> str:
        return f"Drive {self.drive.name} is missing ({self.drive.mountpoint} is not mounted)"


@dataclass(frozen=True)
class PlotsDropped(Event):
    kind: ClassVar[str] = "drive_missing"
    severity: ClassVar[str] = "critical"
    drive: DriveStatus
    before: int
    after: int

    @property
    def key(self) -> str:
        return f"plots_dropped:{self.drive.mountpoint}:{self.after}"

    @property
    def title(self) -> str:
        return f"Drive {self.drive.name}: plots dropped from {self.before} to {self.after}"


@dataclass(frozen=True)
class DriveBack(Event):
    kind: ClassVar[str] = "drive_back"
    drive: DriveStatus

    @property
    def key(self) -> str:
        return f"drive_back:{self.drive.mountpoint}"

    @property
    def title(self) -> str:
        return f"Drive {self.drive.name} is back ({self.drive.plots} plots)"


@dataclass(frozen=True)
class NoPlots(Event):
    kind: ClassVar[str] = "no_plots"
    standing: ClassVar[bool] = True
    severity: ClassVar[str] = "warning"
    hours: float
    last_receipt: float | None

    @property
    def title(self) -> str:
        return f"No plot received for {self.hours:.0f} hours"


def diff(previous: NasState | None, current: NasState, alerts: AlertSettings) -> list[Event]:
    """Events from ``previous`` (None on the first check: no edges) to ``current``."""
    edges = _edges(previous, current) if previous is not None else []
    return edges + _levels(current, alerts)


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
    if now.state == MISSING:
        return []
    if before.state == MISSING:
        return [DriveBack(now)]
    events: list[Event] = []
    if before.state == ACTIVE and now.state == FULL:
        events.append(DriveFull(now))
    if before.plots - now.replaced > now.plots:
        events.append(PlotsDropped(now, before.plots, now.plots))
    return events + _counter_edges(before, now)


def _counter_edges(before: DriveStatus, now: DriveStatus) -> list[Event]:
    old, new = before.smart, now.smart
    if not (old.has_values and new.has_values) or old.serial is None or old.serial != new.serial:
        return []  # no two readings of the same disk to compare
    was = old.counters()
    return [BadSectors(now, name, was[name], value) for name, value in new.counters().items()
            if name in was and value > was[name]]


def _levels(cur: NasState, alerts: AlertSettings) -> list[Event]:
    events: list[Event] = []
    sums = totals(cur)
    all_full = not any(d.state == ACTIVE for d in cur.drives)
    if all_full:
        events.append(AllFull(drives=sums.drives))
    elif alerts.low_water_plots and sums.plots_until_full is not None \
            and sums.plots_until_full <= alerts.low_water_plots:
        events.append(CapacityLow(sums.plots_until_full, alerts.low_water_plots, sums.days_to_full))
    for drive in cur.drives:
        events += _drive_levels(drive, alerts)
    waited = cur.time - (cur.last_receipt if cur.last_receipt is not None else cur.since)
    if alerts.no_plot_hours and waited >= alerts.no_plot_hours * HOUR:
        events.append(NoPlots(hours=waited / HOUR, last_receipt=cur.last_receipt))
    return events


def _drive_levels(drive: DriveStatus, alerts: AlertSettings) -> list[Event]:
    if drive.state == MISSING:
        return [DriveMissing(drive)]
    smart, events = drive.smart, list[Event]()
    if smart.status != SMART_OK:
        return []  # asleep or unreadable: nothing current to judge
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
    if kind in ("all_full", "capacity_low", "no_plots"):
        return True
    drive = state.drive(mountpoint)
    if kind == "drive_missing":
        return drive is not None
    if drive is None or drive.state == MISSING or drive.smart.status != SMART_OK:
        return False
    return kind in ("temperature", "smart_failing")
