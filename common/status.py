"""The ``drive-manager status --json`` contract, read: what a NAS reports, as a :class:`Summary`.

The NAS builds that JSON in one place (:func:`nas.model.status_dict`); this side reads it. It lives in
``common`` because both roles read it: the NAS for its daily report, alert mails and metrics, the
plotter for its farm report (the JSON of every NAS, gathered over SSH). :func:`summarize` is pure
and accepts the JSON as a plain dict; figures it lacks are derived from the per-drive data where
possible, else shown as unknown.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

TB = 10**12  # decimal, as everywhere (common.units)
DAY = 86400.0
RECEIVING = ("active",)  # drive states (nas.model) that can still receive plots


@dataclass(frozen=True)
class DriveView:
    name: str
    mountpoint: str
    device: str | None
    total_bytes: int
    free_bytes: int
    plots: int  # plots: a .gplot group file counts its group size
    plot_bytes: int | None
    state: str
    current: bool
    plots_free: int | None  # more plots it can take
    model: str | None
    serial: str | None
    temperature: float | None
    health: str | None
    reason: str | None = None  # why it is failing
    plot_files: int | None = None  # plot files; None from a NAS that does not say (then as many as plots)


@dataclass(frozen=True)
class Summary:
    host: str
    generated_at: float
    drives: tuple[DriveView, ...]
    current: DriveView | None
    drive_count: int  # present drives (not missing)
    plots: int
    plot_bytes: int | None
    total_bytes: int
    free_bytes: int
    avg_plot_bytes: float | None
    plots_until_full: int | None
    received_24h: int | None
    policy: str = "fill"

    @property
    def max_plots(self) -> int | None:
        return None if self.plots_until_full is None else self.plots + self.plots_until_full

    @property
    def per_hour(self) -> float | None:
        return None if self.received_24h is None else self.received_24h / 24

    @property
    def tb_per_day(self) -> float | None:
        if self.received_24h is None or self.avg_plot_bytes is None:
            return None
        return self.received_24h * self.avg_plot_bytes / TB

    @property
    def days_to_full(self) -> float | None:
        if self.plots_until_full is None or not self.received_24h:
            return None
        return self.plots_until_full / self.received_24h

    @property
    def plot_tb(self) -> float | None:
        if self.plot_bytes is not None:
            return self.plot_bytes / TB
        return None if self.avg_plot_bytes is None else self.plots * self.avg_plot_bytes / TB


def summarize(status: Mapping[str, Any], host: str | None = None, now: float | None = None) -> Summary:
    """A :class:`Summary` of one NAS's ``status --json`` (``nas.model.state_to_dict``). Pure.

    The JSON's ``totals`` win; figures it lacks are derived from the drives.
    """
    drives = [drive_view(d, status.get("target")) for d in status.get("drives", ())]
    present = [d for d in drives if d.state != "missing"]
    totals: Mapping[str, Any] = status.get("totals") or {}
    plots = int(totals.get("plots", sum(d.plots for d in present)))
    plot_bytes = _opt_int(totals.get("plot_bytes")) if "plot_bytes" in totals else _sum_known(
        [d.plot_bytes for d in present])
    avg = _opt_float(status.get("plot_size")) or (plot_bytes / plots if plot_bytes and plots else None)
    drives = [_with_plots_free(d, avg) for d in drives]
    until_full = _opt_int(totals.get("plots_until_full"))
    if until_full is None and "plots_until_full" not in totals and avg is not None:
        until_full = sum(d.plots_free or 0 for d in drives if d.state in RECEIVING)
    return Summary(
        host=str(host or status.get("host") or "?"),
        generated_at=float(status.get("time") or (time.time() if now is None else now)),
        drives=tuple(drives), current=next((d for d in drives if d.current), None),
        drive_count=int(totals.get("drives", len(present))), plots=plots, plot_bytes=plot_bytes,
        total_bytes=int(totals.get("total_bytes", sum(d.total_bytes for d in present))),
        free_bytes=int(totals.get("free_bytes", sum(d.free_bytes for d in present))),
        avg_plot_bytes=avg, plots_until_full=until_full,
        received_24h=_opt_int(totals.get("received_24h", status.get("received_24h"))),
        policy=str(status.get("policy") or "fill"),
    )


def drive_view(raw: Mapping[str, Any], current: object = None) -> DriveView:
    """One drive of the status JSON (``current``: the target mount point)."""
    smart: Mapping[str, Any] = raw.get("smart") or {}
    mountpoint = str(raw["mountpoint"])
    return DriveView(
        name=str(raw.get("name") or mountpoint.rstrip("/").rsplit("/", 1)[-1]), mountpoint=mountpoint,
        device=raw.get("device"), total_bytes=int(raw.get("total_bytes") or 0),
        free_bytes=int(raw.get("free_bytes") or 0), plots=int(raw.get("plots") or 0),
        plot_bytes=_opt_int(raw.get("plot_bytes")), state=str(raw.get("state") or "unknown"),
        current=bool(raw.get("target")) or mountpoint == current, plots_free=_opt_int(raw.get("plots_free")),
        model=smart.get("model"), serial=smart.get("serial"), temperature=_opt_float(smart.get("temperature")),
        health=smart.get("health"), reason=raw.get("reason"), plot_files=_opt_int(raw.get("plot_files")),
    )


def _with_plots_free(drive: DriveView, avg: float | None) -> DriveView:
    if drive.plots_free is not None or avg is None or avg <= 0:
        return drive
    free = math.floor(drive.free_bytes / avg) if drive.state in RECEIVING else 0
    return replace(drive, plots_free=free)


def _sum_known(values: Sequence[int | None]) -> int | None:
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)
