"""The events of :mod:`nas.monitor.events`: small frozen records with a kind, key, severity and title."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from common.notify.base import Severity
from nas.model import DriveStatus, SmartInfo


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str] = ""
    standing: ClassVar[bool] = False
    severity: ClassVar[Severity] = Severity.INFO  # info | warning | critical

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
    severity: ClassVar[Severity] = Severity.CRITICAL
    full: int
    offline: int = 0
    missing: int = 0
    replacing: bool = False  # [replace] is on, and no plot on the NAS matches it any more
    failing: int = 0

    @property
    def title(self) -> str:
        gone = [f"{n} {what}" for n, what in ((self.offline, "offline"), (self.missing, "missing"),
                                              (self.failing, "failing")) if n]
        if self.full and not gone:
            why = f"All {self.full} drives are full"
        elif self.full or gone:
            why = f"No drive can receive plots ({', '.join([f'{self.full} full', *gone])})"
        else:
            why = "No drive can receive plots (none found)"
        return why + ("; no plot left to replace" if self.replacing else ": no plot can be received")


@dataclass(frozen=True)
class CapacityLow(Event):
    kind: ClassVar[str] = "capacity_low"
    standing: ClassVar[bool] = True
    severity: ClassVar[Severity] = Severity.WARNING
    plots_left: int
    limit: int
    days_to_full: float | None
    replaceable: int = 0  # of plots_left, plots [replace] would delete to make room

    @property
    def title(self) -> str:
        some = f", {self.replaceable} of them by replacing plots" if self.replaceable else ""
        return f"Room for only {self.plots_left} more plots{some} (alert at {self.limit})"


@dataclass(frozen=True)
class Temperature(Event):
    kind: ClassVar[str] = "temperature"
    standing: ClassVar[bool] = True
    severity: ClassVar[Severity] = Severity.WARNING
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
    severity: ClassVar[Severity] = Severity.CRITICAL
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
    severity: ClassVar[Severity] = Severity.CRITICAL
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
    severity: ClassVar[Severity] = Severity.CRITICAL
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
    severity: ClassVar[Severity] = Severity.CRITICAL
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
    severity: ClassVar[Severity] = Severity.WARNING
    hours: float
    last_receipt: float | None

    @property
    def title(self) -> str:
        return f"No plot received for {self.hours:.0f} hours"


@dataclass(frozen=True)
class DriveFailing(Event):
    kind: ClassVar[str] = "drive_failing"
    standing: ClassVar[bool] = True
    severity: ClassVar[Severity] = Severity.CRITICAL
    drive: DriveStatus

    @property
    def key(self) -> str:
        return f"drive_failing:{self.drive.mountpoint}"

    @property
    def title(self) -> str:
        return f"Drive {self.drive.name} is failing ({self.drive.reason}): no plot goes to it"


@dataclass(frozen=True)
class DriveHealthy(Event):
    """A failing drive writes again (its probe passed, ``drive online``, or it answers again)."""

    kind: ClassVar[str] = "drive_back"
    drive: DriveStatus

    @property
    def key(self) -> str:
        return f"drive_healthy:{self.drive.mountpoint}"

    @property
    def title(self) -> str:
        return f"Drive {self.drive.name} writes again ({self.drive.state})"


@dataclass(frozen=True)
class PlotsNotFarmed(Event):
    """Plots on the drives the harvester has not farmed for ``[chia] not_farmed_grace`` (nas.farm)."""

    kind: ClassVar[str] = "plots_not_farmed"
    standing: ClassVar[bool] = True
    severity: ClassVar[Severity] = Severity.WARNING
    count: int
    hours: float
    by_state: tuple[tuple[str, int], ...]  # (nas.farm.compare.FarmState value, plots)

    @property
    def title(self) -> str:
        why = ", ".join(f"{n} {state}" for state, n in self.by_state if n)
        return f"{self.count} plots on the drives not farmed for {self.hours:.1f} hours ({why})"


@dataclass(frozen=True)
class HarvesterUnreachable(Event):
    kind: ClassVar[str] = "harvester_unreachable"
    standing: ClassVar[bool] = True
    severity: ClassVar[Severity] = Severity.CRITICAL
    harvester: str
    error: str

    @property
    def title(self) -> str:
        return f"The chia harvester {self.harvester} does not answer: {self.error}"
