"""What ``check`` and ``status`` know about the NAS: plain frozen data, JSON round-trip.

A :class:`NasState` is stored by every ``check`` (the "previous state" the next
one compares against) and printed by ``status --json``.
"""

from __future__ import annotations

import socket
from dataclasses import asdict, dataclass, fields, replace
from enum import StrEnum
from typing import Any


class DriveState(StrEnum):
    """A drive's state; the values are what ``status --json``, the stored state and the metrics carry."""

    ACTIVE = "active"
    FULL = "full"
    OFFLINE = "offline"
    MISSING = "missing"
    FAILING = "failing"


class SmartStatus(StrEnum):
    """How fresh a SMART reading is (see :class:`SmartInfo`); the values are those in the JSON."""

    OK = "ok"
    STANDBY = "standby"
    UNKNOWN = "unknown"


BAD_COUNTERS = ("reallocated", "pending", "offline_uncorrectable", "grown_defects", "media_errors")


@dataclass(frozen=True)
class SmartInfo:
    """One SMART reading. ``status``: ok (read now or within the interval),
    standby (disk asleep: the values are the last reading, taken at ``read_at``),
    unknown (``reason`` says why; any values are from an earlier reading)."""

    device: str | None
    status: SmartStatus
    reason: str | None = None
    read_at: float | None = None
    model: str | None = None
    serial: str | None = None
    capacity: int | None = None
    interface: str | None = None
    temperature: int | None = None
    health: str | None = None  # PASS | WARN | FAIL
    power_on_hours: int | None = None
    reallocated: int | None = None  # ATA
    pending: int | None = None  # ATA
    offline_uncorrectable: int | None = None  # ATA
    grown_defects: int | None = None  # SCSI/SAS
    media_errors: int | None = None  # NVMe
    percentage_used: int | None = None  # NVMe

    @property
    def has_values(self) -> bool:
        return self.read_at is not None

    def counters(self) -> dict[str, int]:
        return {name: value for name in BAD_COUNTERS if (value := getattr(self, name)) is not None}


def unknown_smart(device: str | None, reason: str) -> SmartInfo:
    return SmartInfo(device=device, status=SmartStatus.UNKNOWN, reason=reason)


@dataclass(frozen=True)
class DriveStatus:
    mountpoint: str
    name: str
    device: str | None
    total_bytes: int
    free_bytes: int  # as statvfs (and quota) says; the reserve is not subtracted
    plots: int  # plots: a .gplot file counts its header's group size
    plot_bytes: int
    state: DriveState
    plots_free: int | None  # how many more plots fit; None while no plot size is known
    smart: SmartInfo
    replaced: int = 0  # plots deleted by replacement since the previous check
    reason: str | None = None  # why the drive is failing (state failing)
    plot_files: int | None = None  # plot files (.plot, .plot2, .gplot); None: a state stored before groups
    meta_groups: tuple[int, ...] = ()  # of the PoS2 files on it (headers), sorted
    meta_groups_reserved: tuple[int, ...] = ()  # placed for groups not yet here (nas.drives.placement)


@dataclass(frozen=True)
class NasState:
    time: float
    drives: tuple[DriveStatus, ...]
    target: str | None  # the current receive drive (mount point)
    plot_size: int | None  # average plot on the NAS (or the last one received)
    received_24h: int
    last_receipt: float | None
    since: float  # first check: "no plot for N hours" counts from here until one arrives
    policy: str = "fill"  # "spread" has no single receive drive (target None)
    # Plots [replace] match allows deleting on drives that may receive; None: replacement off.
    replaceable: int | None = None
    # v1/v2 figures and the phase-out deadline (nas.replot.gather; `drive-manager replot --json`).
    replot: dict[str, Any] | None = None
    # What the harvester farms against the drives' plots (nas.farm.gather; `drive-manager farm check --json`);
    # None: [chia] farm_check is off.
    farm: dict[str, Any] | None = None

    def drive(self, mountpoint: str) -> DriveStatus | None:
        return next((d for d in self.drives if d.mountpoint == mountpoint), None)


@dataclass(frozen=True)
class Totals:
    drives: int  # present (not missing)
    plots: int  # plots: a .gplot group counts its group size
    plot_bytes: int
    total_bytes: int
    free_bytes: int  # on drives that may receive
    plots_until_full: int | None
    received_24h: int
    days_to_full: float | None
    plot_files: int = 0  # plot files on present drives (one .gplot file: one file, group size plots)


def totals(state: NasState) -> Totals:
    present = [d for d in state.drives if d.state != DriveState.MISSING]
    receiving = [d for d in present if d.state not in (DriveState.OFFLINE, DriveState.FAILING)]
    known = [d.plots_free for d in receiving if d.plots_free is not None]
    until_full = sum(known) if state.plot_size is not None else None
    days = until_full / state.received_24h if until_full is not None and state.received_24h else None
    return Totals(
        drives=len(present), plots=sum(d.plots for d in present), plot_bytes=sum(d.plot_bytes for d in present),
        total_bytes=sum(d.total_bytes for d in present), free_bytes=sum(d.free_bytes for d in receiving),
        plots_until_full=until_full, received_24h=state.received_24h, days_to_full=days,
        plot_files=sum(d.plots if d.plot_files is None else d.plot_files for d in present),
    )


def state_to_dict(state: NasState) -> dict[str, Any]:
    data = asdict(state)
    data["totals"] = asdict(totals(state))
    for drive in data["drives"]:
        drive["target"] = drive["mountpoint"] == state.target
    return data


def state_from_dict(data: dict[str, Any]) -> NasState:
    drives = tuple(_drive_from_dict(d) for d in data["drives"])
    known = {f.name for f in fields(NasState)} - {"drives"}
    return NasState(drives=drives, **{k: v for k, v in data.items() if k in known})


def _drive_from_dict(data: dict[str, Any]) -> DriveStatus:
    known = {f.name for f in fields(DriveStatus)} - {"smart", "state"}
    values: dict[str, Any] = {k: tuple(v) if k.startswith("meta_groups") else v for k, v in data.items() if k in known}
    return DriveStatus(smart=smart_from_dict(data["smart"]), state=DriveState(data["state"]), **values)


def smart_from_dict(data: dict[str, Any]) -> SmartInfo:
    known = {f.name for f in fields(SmartInfo)} - {"status"}
    values = {k: v for k, v in data.items() if k in known}
    if data["status"] not in SmartStatus.__members__.values():  # a cache written by another version
        values["reason"] = f"cached SMART status {str(data['status'])[:40]!r} not understood"
        return SmartInfo(status=SmartStatus.UNKNOWN, **values)
    return SmartInfo(status=SmartStatus(data["status"]), **values)


def smart_to_dict(info: SmartInfo) -> dict[str, Any]:
    return asdict(info)


def with_status(info: SmartInfo, status: SmartStatus, reason: str | None) -> SmartInfo:
    return replace(info, status=status, reason=reason)


RECEIVED_SOURCE = "receipts recorded by the receiver"


def status_dict(state: NasState) -> dict[str, Any]:
    """What ``drive-manager status --json`` prints, as a dict: the one builder of the NAS status that
    crosses to the plotter (``report farm``) and feeds the metrics, alerts and reports. It is read by
    :mod:`common.status.summary`."""
    return {"host": socket.gethostname(), **state_to_dict(state), "received_24h_source": RECEIVED_SOURCE}
