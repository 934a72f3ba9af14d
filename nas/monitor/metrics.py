"""The NAS's Prometheus metrics, from the same data as ``drive-manager status --json``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from common.metrics import Family, gauge
from common.status import DriveView, Summary, summarize
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
    return drive_families(s) + total_families(s) + [
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
