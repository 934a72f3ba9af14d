"""``status`` and ``temps`` output (pure rendering of a :class:`~nas.model.NasState`)."""

from __future__ import annotations

import json

from common import units
from common.ui.tables import text_table
from common.units import short_size
from nas.model import DriveState, DriveStatus, NasState, SmartStatus, status_dict, totals

HOT_MARK = "HOT"


size = short_size  # decimal, as df -H (see common.units)


def temperature(drive: DriveStatus) -> str:
    value = drive.smart.temperature
    return "-" if value is None or drive.state == DriveState.MISSING else f"{value}C"


def health(drive: DriveStatus) -> str:
    smart = drive.smart
    if smart.status == SmartStatus.STANDBY:
        return f"{smart.health or '?'} (asleep)"
    if smart.status != SmartStatus.OK:
        return "unknown"
    return smart.health or "?"


HEADER = ["", "NAME", "MOUNT", "DEVICE", "MODEL", "SERIAL", "SIZE", "FREE", "PLOTS", "TEMP", "POWER-ON", "HEALTH",
          "STATE"]
NUMERIC = frozenset({6, 7, 8, 9, 10})


def _row(drive: DriveStatus, target: str | None) -> list[str]:
    """One drive; the serial is how a farmer finds the disk to pull."""
    mark = "*" if drive.mountpoint == target else ""
    hours = drive.smart.power_on_hours
    return [mark, drive.name, drive.mountpoint, drive.device or "-", drive.smart.model or "-",
            drive.smart.serial or "-", size(drive.total_bytes), size(drive.free_bytes), str(drive.plots),
            temperature(drive), "-" if hours is None else f"{hours} h", health(drive), drive.state]


def drive_rows(state: NasState) -> list[list[str]]:
    return [HEADER] + [_row(d, state.target) for d in state.drives]


def render_table(state: NasState) -> str:
    """``status`` as plain text (a pipe, cron)."""
    return "\n".join(text_table(drive_rows(state), NUMERIC)) + "\n" + render_notes(state)


def render_notes(state: NasState) -> str:
    """What ``status`` prints below the drive table: totals, failing drives, SMART notes."""
    lines = ["", *_totals_lines(state)]
    failing = [f"  {d.name}: {d.reason}" for d in state.drives if d.state == DriveState.FAILING]
    if failing:
        lines += ["", "Failing drives (no plot goes to them; `drive online NAME` once fixed):", *failing]
    notes = [f"  {d.name}: SMART {d.smart.status}: {d.smart.reason}" for d in state.drives
             if d.smart.status != SmartStatus.OK and d.smart.reason and d.state != DriveState.MISSING]
    if notes:
        lines += ["", "SMART notes:", *notes]
    return "\n".join(lines) + "\n"


def _target_text(state: NasState) -> str:
    if state.target:
        return state.target
    return "spread (each plot to the drive with most room)" if state.policy == "spread" else "none"


def _totals_lines(state: NasState) -> list[str]:
    t = totals(state)
    missing = sum(1 for d in state.drives if d.state == DriveState.MISSING)
    until = "?" if t.plots_until_full is None else str(t.plots_until_full)
    days = "?" if t.days_to_full is None else f"{t.days_to_full:.1f}"
    return [
        f"receive drive: {_target_text(state)}",
        f"drives: {t.drives}" + (f" (+{missing} missing)" if missing else "")
        + f"   plots: {t.plots} ({units.size(t.plot_bytes)})   free: {units.size(t.free_bytes)}",
        f"plots until full: {until}   received in the last 24 h: {t.received_24h}   days to full: {days}",
    ]


def to_json(state: NasState) -> str:
    return json.dumps(status_dict(state), indent=2, sort_keys=False) + "\n"


def render_temps(state: NasState, limit: int, color: bool = False) -> str:
    present = [d for d in state.drives if d.state != DriveState.MISSING]
    if not present:
        return "no drives\n"
    rows = [["NAME", "DEVICE", "SERIAL", "TEMP", ""]]
    for drive in present:
        value = drive.smart.temperature
        hot = bool(limit) and value is not None and value > limit and drive.smart.status == SmartStatus.OK
        note = HOT_MARK if hot else ("asleep" if drive.smart.status == SmartStatus.STANDBY else "")
        rows.append([drive.name, drive.device or "-", drive.smart.serial or "-", temperature(drive), note])
    lines = text_table(rows, right={3})
    if color:
        lines = [f"\033[1;31m{line}\033[0m" if line.endswith(HOT_MARK) else line for line in lines]
    known = [(d.smart.temperature, d.name) for d in present if d.smart.temperature is not None]
    if known:
        top, name = max(known)
        lines.append(f"\nhottest: {name} at {top}C" + (f" (limit {limit}C)" if limit else ""))
    return "\n".join(lines) + "\n"

