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

from common import units
from common.status.farm import FarmView, farm_view

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
class ReplotView:
    """A NAS's (or a drive's, or the farm's) replot figures: ``status --json``'s ``replot``
    (built by ``nas.replot.gather``; the names are ``drive-manager replot --json``'s)."""

    v1_plots: int
    v1_bytes: int
    v2_plots: int
    v2_bytes: int
    v2_bytes_24h: int
    v2_bytes_per_day: float
    days_to_all_v2: float | None  # None: no v2 added in the last 7 days while v1 plots are left
    v1_weight: float | None = None  # None: no deadline configured, or the height unknown
    effective_bytes: int | None = None
    phase_out_end: str | None = None  # ISO date
    days_to_phase_out_end: float | None = None
    effective_bytes_at_end: int | None = None
    name: str = ""
    mountpoint: str = ""

    @property
    def on_track(self) -> bool | None:
        if self.days_to_phase_out_end is None:
            return None
        return self.days_to_all_v2 is not None and self.days_to_all_v2 <= self.days_to_phase_out_end

    @property
    def behind_days(self) -> int | None:
        if self.days_to_phase_out_end is None or self.days_to_all_v2 is None:
            return None
        return max(0, math.ceil(self.days_to_all_v2 - self.days_to_phase_out_end))

    @property
    def verdict(self) -> str:
        if self.on_track is None:
            return "no deadline known"
        if self.on_track:
            return "on track"
        behind = self.behind_days
        return "behind: no v2 plots added in the last 7 days" if behind is None else f"behind by {behind} days"


def replot_view(raw: Mapping[str, Any] | None) -> ReplotView | None:
    """The figures of a ``replot`` object (or one of its ``drives``); None when absent or unreadable."""
    if not isinstance(raw, Mapping):
        return None
    try:
        return ReplotView(
            v1_plots=int(raw["v1_plots"]), v1_bytes=int(raw["v1_bytes"]), v2_plots=int(raw["v2_plots"]),
            v2_bytes=int(raw["v2_bytes"]), v2_bytes_24h=int(raw["v2_bytes_24h"]),
            v2_bytes_per_day=float(raw["v2_bytes_per_day"]), days_to_all_v2=_opt_float(raw.get("days_to_all_v2")),
            v1_weight=_opt_float(raw.get("v1_weight")), effective_bytes=_opt_int(raw.get("effective_bytes")),
            phase_out_end=None if raw.get("phase_out_end") is None else str(raw["phase_out_end"]),
            days_to_phase_out_end=_opt_float(raw.get("days_to_phase_out_end")),
            effective_bytes_at_end=_opt_int(raw.get("effective_bytes_at_end")),
            name=str(raw.get("name") or ""), mountpoint=str(raw.get("mountpoint") or ""))
    except (KeyError, TypeError, ValueError):
        return None


def combine_replot(views: Sequence[ReplotView]) -> ReplotView | None:
    """The farm's figures: sums; the days from the sums; the deadline of the NAS that knows it."""
    if not views:
        return None
    v1, rate = sum(v.v1_bytes for v in views), sum(v.v2_bytes_per_day for v in views)
    known = [v for v in views if v.v1_weight is not None]
    first = known[0] if known else None
    return ReplotView(
        v1_plots=sum(v.v1_plots for v in views), v1_bytes=v1, v2_plots=sum(v.v2_plots for v in views),
        v2_bytes=sum(v.v2_bytes for v in views), v2_bytes_24h=sum(v.v2_bytes_24h for v in views),
        v2_bytes_per_day=rate, days_to_all_v2=0.0 if v1 == 0 else v1 / rate if rate > 0 else None,
        v1_weight=first.v1_weight if first else None,
        effective_bytes=_sum_known([v.effective_bytes for v in views]) if first else None,
        phase_out_end=first.phase_out_end if first else None,
        days_to_phase_out_end=first.days_to_phase_out_end if first else None,
        effective_bytes_at_end=_sum_known([v.effective_bytes_at_end for v in views]) if first else None,
    )


def replot_line(r: ReplotView) -> str:
    """One line for the daily report, the farm report and the view."""
    total = r.v1_bytes + r.v2_bytes
    share = f", {100 * r.v2_bytes / total:.0f}% of the bytes" if total else ""
    days = "never at this rate" if r.days_to_all_v2 is None else f"in {r.days_to_all_v2:.1f} days"
    text = (f"replot: {r.v2_plots} v2 plots ({units.size(r.v2_bytes)}{share}), {r.v1_plots} v1 "
            f"({units.size(r.v1_bytes)}); v2 +{units.size(r.v2_bytes_24h)} in 24 h, "
            f"{units.size(r.v2_bytes_per_day)}/day (7 days, by file mtime); all-v2 {days}")
    if r.v1_weight is not None:
        text += (f"; v1 weight {r.v1_weight:.3f}, effective {units.size(r.effective_bytes)} now, "
                 f"{units.size(r.effective_bytes_at_end)} when v1 ends {r.phase_out_end}: {r.verdict}")
    return text


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
    replot: ReplotView | None = None  # None: a NAS of a version without replot figures
    replot_drives: tuple[ReplotView, ...] = ()
    farm: FarmView | None = None  # what the harvester farms; None: farm check off, or an older NAS

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
        policy=str(status.get("policy") or "fill"), replot=replot_view(status.get("replot")),
        replot_drives=_replot_drives(status.get("replot")), farm=farm_view(status.get("farm")),
    )


def _replot_drives(raw: Any) -> tuple[ReplotView, ...]:
    drives = raw.get("drives") if isinstance(raw, Mapping) else None
    views = (replot_view(d) for d in drives) if isinstance(drives, list) else ()
    return tuple(v for v in views if v is not None)


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
