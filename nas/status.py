"""``status`` and ``temps`` output (pure rendering of a :class:`~nas.model.NasState`)."""

from __future__ import annotations

import json
import socket
from typing import Any

from nas.model import FAILING, MISSING, SMART_OK, SMART_STANDBY, DriveStatus, NasState, state_to_dict, totals

RECEIVED_SOURCE = "receipts recorded by the receiver"
HOT_MARK = "HOT"


def size(value: float | None) -> str:
    """Bytes in binary units, as df -h shows them."""
    if value is None:
        return "?"
    for unit, factor in (("T", 2**40), ("G", 2**30), ("M", 2**20), ("K", 2**10)):
        if abs(value) >= factor:
            return f"{value / factor:.1f}{unit}"
    return f"{int(value)}B"


def temperature(drive: DriveStatus) -> str:
    value = drive.smart.temperature
    return "-" if value is None or drive.state == MISSING else f"{value}C"


def health(drive: DriveStatus) -> str:
    smart = drive.smart
    if smart.status == SMART_STANDBY:
        return f"{smart.health or '?'} (asleep)"
    if smart.status != SMART_OK:
        return "unknown"
    return smart.health or "?"


def _row(drive: DriveStatus, target: str | None) -> list[str]:
    mark = "*" if drive.mountpoint == target else ""
    return [mark, drive.name, drive.mountpoint, drive.device or "-", size(drive.total_bytes),
            size(drive.free_bytes), str(drive.plots), temperature(drive), health(drive), drive.state]


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    numeric = {4, 5, 6, 7}
    return ["  ".join(c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths,
                                                                                            strict=True))).rstrip()
            for r in rows]


def render_table(state: NasState) -> str:
    header = ["", "NAME", "MOUNT", "DEVICE", "SIZE", "FREE", "PLOTS", "TEMP", "HEALTH", "STATE"]
    lines = _table([header] + [_row(d, state.target) for d in state.drives])
    lines += ["", *_totals_lines(state)]
    failing = [f"  {d.name}: {d.reason}" for d in state.drives if d.state == FAILING]
    if failing:
        lines += ["", "Failing drives (no plot goes to them; `drive online NAME` once fixed):", *failing]
    notes = [f"  {d.name}: SMART {d.smart.status}: {d.smart.reason}" for d in state.drives
             if d.smart.status != SMART_OK and d.smart.reason and d.state != MISSING]
    if notes:
        lines += ["", "SMART notes:", *notes]
    return "\n".join(lines) + "\n"


def _target_text(state: NasState) -> str:
    if state.target:
        return state.target
    return "spread (each plot to the drive with most room)" if state.policy == "spread" else "none"


def _totals_lines(state: NasState) -> list[str]:
    t = totals(state)
    missing = sum(1 for d in state.drives if d.state == MISSING)
    until = "?" if t.plots_until_full is None else str(t.plots_until_full)
    days = "?" if t.days_to_full is None else f"{t.days_to_full:.1f}"
    return [
        f"receive drive: {_target_text(state)}",
        f"drives: {t.drives}" + (f" (+{missing} missing)" if missing else "")
        + f"   plots: {t.plots} ({t.plot_bytes / 2**40:.2f} TiB)   free: {t.free_bytes / 2**40:.2f} TiB",
        f"plots until full: {until}   received in the last 24 h: {t.received_24h}   days to full: {days}",
    ]


def to_json(state: NasState) -> str:
    data: dict[str, Any] = {"host": socket.gethostname(), **state_to_dict(state),
                            "received_24h_source": RECEIVED_SOURCE}
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def render_temps(state: NasState, limit: int, color: bool = False) -> str:
    present = [d for d in state.drives if d.state != MISSING]
    if not present:
        return "no drives\n"
    rows = [["NAME", "DEVICE", "TEMP", ""]]
    for drive in present:
        value = drive.smart.temperature
        hot = bool(limit) and value is not None and value > limit and drive.smart.status == SMART_OK
        note = HOT_MARK if hot else ("asleep" if drive.smart.status == SMART_STANDBY else "")
        rows.append([drive.name, drive.device or "-", temperature(drive), note])
    lines = _table_plain(rows)
    if color:
        lines = [f"\033[1;31m{line}\033[0m" if line.endswith(HOT_MARK) else line for line in lines]
    known = [(d.smart.temperature, d.name) for d in present if d.smart.temperature is not None]
    if known:
        top, name = max(known)
        lines.append(f"\nhottest: {name} at {top}C" + (f" (limit {limit}C)" if limit else ""))
    return "\n".join(lines) + "\n"


def _table_plain(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
