"""The NAS's Prometheus metrics, from the same data as ``drive-manager status --json``."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from common.metrics import Family, gauge
from common.status.summary import DriveView, Summary, summarize
from nas.model import DriveState

STATES = tuple(DriveState)
# SMART assessment -> 1 healthy, 0.5 warning, 0 failing; unknown is left out.
HEALTH = {"PASS": 1.0, "PASSED": 1.0, "OK": 1.0, "WARN": 0.5, "FAIL": 0.0, "FAILED": 0.0}


def _labels(d: DriveView) -> dict[str, str]:
    return {"drive": d.name, "mountpoint": d.mountpoint, "device": d.device or ""}


def families(status: Mapping[str, Any], last_check: float | None) -> list[Family]:
    """``last_check``: when the last ``check`` run ended (from the state dir), so that an alert on
    a stopped cron job can fire; a scrape's own time would always look fresh."""
    s = summarize(status)
    return drive_families(s) + total_families(s) + replot_families(s) + [
        gauge("chia_nas_last_check_timestamp_seconds", "When the last drive-manager check run ended.",
              [({}, last_check)]),
    ]


def drive_families(s: Summary) -> list[Family]:
    drives = s.drives
    return [
        gauge("chia_nas_drive_total_bytes", "Size of the drive's filesystem.",
              [(_labels(d), d.total_bytes) for d in drives]),
        gauge("chia_nas_drive_free_bytes", "Free bytes on the drive.", [(_labels(d), d.free_bytes) for d in drives]),
        gauge("chia_nas_drive_plots", "Plots on the drive (a .gplot group file counts its group size).",
              [(_labels(d), d.plots) for d in drives]),
        gauge("chia_nas_drive_plot_files", "Plot files on the drive (.plot, .plot2, .gplot).",
              [(_labels(d), d.plots if d.plot_files is None else d.plot_files) for d in drives]),
        gauge("chia_nas_drive_plots_free", "More plots the drive can take.",
              [(_labels(d), d.plots_free) for d in drives]),
        gauge("chia_nas_drive_temperature_celsius", "Drive temperature from SMART.",
              [(_labels(d), d.temperature) for d in drives]),
        gauge("chia_nas_drive_smart_health", "SMART assessment: 1 pass, 0.5 warn, 0 fail (absent: unknown).",
              [(_labels(d), HEALTH.get((d.health or "").upper())) for d in drives]),
        gauge("chia_nas_drive_state", "1 for the drive's current state.",
              [({**_labels(d), "state": st}, 1.0 if d.state == st else 0.0) for d in drives for st in STATES]),
        gauge("chia_nas_drive_receiving", "1 for the current receive drive.",
              [(_labels(d), 1.0 if d.current else 0.0) for d in drives]),
    ]


def total_families(s: Summary) -> list[Family]:
    return [
        gauge("chia_nas_drives", "Drives present (not missing).", [({}, s.drive_count)]),
        gauge("chia_nas_plots", "Plots on all present drives (a .gplot group counts its group size).",
              [({}, s.plots)]),
        gauge("chia_nas_plot_bytes", "Bytes of plots on all present drives.", [({}, s.plot_bytes)]),
        gauge("chia_nas_total_bytes", "Size of all present drives.", [({}, s.total_bytes)]),
        gauge("chia_nas_free_bytes", "Free bytes on the drives that may receive.", [({}, s.free_bytes)]),
        gauge("chia_nas_plots_until_full", "More plots the drives can take.", [({}, s.plots_until_full)]),
        gauge("chia_nas_plots_received_24h", "Plots received in the last 24 hours.", [({}, s.received_24h)]),
        gauge("chia_nas_days_to_full", "Days until full at the last 24 hours' rate.", [({}, s.days_to_full)]),
    ]


REPLOT_DRIVE = (("v1_plots", "v1 plots (.plot) on the drive."), ("v1_bytes", "Bytes of v1 plots on the drive."),
                ("v2_plots", "v2 plots (.plot2/.gplot; a group counts its plots) on the drive."),
                ("v2_bytes", "Bytes of v2 plots on the drive."))
REPLOT_NAS = (
    ("v1_plots", "v1 plots (.plot) on all present drives."), ("v1_bytes", "Bytes of v1 plots."),
    ("v2_plots", "v2 plots (.plot2/.gplot; a group counts its plots)."), ("v2_bytes", "Bytes of v2 plots."),
    ("v2_bytes_24h", "Bytes of v2 plots whose file mtime is in the last 24 hours."),
    ("v2_bytes_per_day", "v2 bytes per day (file mtime, the last 7 days / 7)."),
    ("days_to_all_v2", "Days until no v1 bytes are left at that rate (absent: no progress)."),
    ("v1_weight", "Share of a v1 plot's proofs the chain still accepts (the phase-out; absent: no deadline)."),
    ("effective_bytes", "v1 bytes x v1 weight + v2 bytes."),
    ("behind_days", "Days the replot would end after the phase-out at this rate (0: on track; absent: "
                    "no deadline or no progress)."),
)


def replot_families(s: Summary) -> list[Family]:
    """``drive-manager replot``'s figures: per drive (``chia_nas_drive_replot_*``) and for the NAS
    (``chia_nas_replot_*``)."""
    if s.replot is None:
        return []
    r = s.replot
    drives = [gauge(f"chia_nas_drive_replot_{attr}", text,
                    [({"drive": d.name, "mountpoint": d.mountpoint}, getattr(d, attr)) for d in s.replot_drives])
              for attr, text in REPLOT_DRIVE]
    nas = [gauge(f"chia_nas_replot_{attr}", text, [({}, getattr(r, attr))]) for attr, text in REPLOT_NAS]
    end = gauge("chia_nas_replot_phase_out_end_timestamp_seconds", "When v1 plots stop counting (UTC midnight).",
                [({}, _end_timestamp(r.phase_out_end))])
    return [*drives, *nas, end]


def _end_timestamp(day: str | None) -> float | None:
    if day is None:
        return None
    try:
        return datetime.datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=datetime.UTC).timestamp()
    except ValueError:
        return None
