"""``drive-manager view`` as text for a screen of a given size. Pure.

Marks: ``*`` the receive drive, ``R`` a receiver writing to it now. From
:data:`WIDE` columns on, the mount point, device, power-on hours and plots that still fit show too.
"""

from __future__ import annotations

import time

from common.ui.viewtext import Line, Section, bar, cells, clip, compose, duration, size
from nas.view.data import DriveLine, NasSnapshot, Part, Receipt

WIDE = 120
KEYS = "q quit  ↑↓/j/k select  ? help"
STATE_STYLES = {"full": "yellow", "offline": "dim", "missing": "red"}


def clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at))


def columns(width: int) -> tuple[list[str], list[int], frozenset[int]]:
    titles = ["", "NAME", "FILL", "", "FREE", "PLOTS", "TEMP", "HEALTH", "STATE"]
    widths = [2, 10, 12 if width >= WIDE else 8, 4, 7, 6, 5, 14, 8]
    if width >= WIDE:
        titles += ["FITS", "HOURS", "DEVICE", "MOUNT"]
        widths += [6, 7, 12, max(10, min(50, width - sum(widths) - 4 - len(widths) - 12))]
    else:
        widths[1] = max(6, min(24, width - sum(widths) - len(widths) + 1 + widths[1]))
    right = frozenset(i for i, t in enumerate(titles) if t in ("", "FREE", "PLOTS", "TEMP", "FITS", "HOURS")
                      and i != 0)
    return titles, widths, right


def drive_values(d: DriveLine, titles: list[str], widths: list[int]) -> list[str]:
    mark = ("*" if d.target else " ") + ("R" if d.receiving else " ")
    values = [mark, d.name, bar(d.fill, widths[2]), f"{100 * d.fill:.0f}%", size(d.free), str(d.plots),
              d.temperature, d.health, d.state]
    if len(titles) > len(values):
        values += ["-" if d.plots_free is None else str(d.plots_free),
                   "-" if d.power_on_hours is None else str(d.power_on_hours), d.device or "-", d.mountpoint]
    return values


def drives_section(snap: NasSnapshot, width: int, selected: str | None) -> Section:
    titles, widths, right = columns(width)
    rows: list[Line] = []
    keep = 0
    for index, d in enumerate(snap.drives):
        style = "bold cyan" if d.receiving else STATE_STYLES.get(d.state, "")
        if d.health.startswith(("FAIL", "WARN")):
            style = "red"
        if d.mountpoint == selected:
            style, keep = f"{style} reverse".strip(), index
        rows.append((cells(drive_values(d, titles, widths), widths, right), style))
    return Section(f"Drives ({len(snap.drives)})", rows, head=[(cells(titles, widths, right), "bold")],
                   tail=[summary_line(snap, width), *replot_line(snap)], priority=0, keep=keep,
                   empty="no drives (see drive_globs)")


def summary_line(snap: NasSnapshot, width: int) -> Line:
    t = snap.totals
    idle = "spread" if snap.policy == "spread" else "none (every drive full or offline)"
    named = next((d.name for d in snap.drives if d.target), None) if width < WIDE else None
    target = named or snap.target or idle
    until = "?" if t.plots_until_full is None else str(t.plots_until_full)
    days = "" if t.days_to_full is None else f" ({t.days_to_full:.1f} days)"
    return (f"receive: {target}  plots {t.plots}  room for {until}{days}  free {size(t.free_bytes)}  "
            f"24 h: {t.received_24h}", "")


def replot_line(snap: NasSnapshot) -> list[Line]:
    r = snap.replot
    if r is None or r.v1_plots + r.v2_plots == 0:
        return []
    total = r.v1_bytes + r.v2_bytes
    days = "never at this rate" if r.days_to_all_v2 is None else f"in {r.days_to_all_v2:.1f} days"
    text = (f"replot: v2 {100 * r.v2_bytes / total:.0f}% ({r.v2_plots} plots, +{size(r.v2_bytes_per_day)}/day), "
            f"all-v2 {days}")
    if r.v1_weight is not None:
        text += f"; v1 weight {r.v1_weight:.3f}, ends {r.phase_out_end}: {r.verdict}"
    return [(text, "" if r.on_track is not False else "yellow")]


def receiving_rows(snap: NasSnapshot, width: int) -> list[Line]:
    busy = [d for d in snap.drives if d.receiving]
    rows: list[Line] = []
    for d in busy:
        mine = [p for p in snap.parts if p.drive == d.name]
        rows += [part_row(d.name, p, width) for p in mine] or [(f"{d.name}: reserved, no data yet", "cyan")]
    return rows


def part_row(drive: str, part: Part, width: int) -> Line:
    got = "starting" if part.bytes is None else f"{size(part.bytes)}/{size(part.size)} received"
    tail = f"  {got}"
    return (f"{drive}: {clip(part.name, max(10, width - len(drive) - len(tail) - 2))}{tail}", "cyan")


def receipt_row(r: Receipt, width: int) -> Line:
    drive = r.drive.rstrip("/").rsplit("/", 1)[-1] if width < WIDE else r.drive
    return (f"{clock(r.at)} {drive} {size(r.bytes):>7} {r.name}", "dim")


def check_line(snap: NasSnapshot) -> str:
    if snap.last_check is None:
        return "no check yet (cron: drive-manager check)"
    return f"last check {duration(snap.taken_at - snap.last_check)} ago"


def screen(snap: NasSnapshot, width: int, height: int, selected: str | None = None,
           message: str | None = None) -> list[Line]:
    receiving = receiving_rows(snap, width)
    sections = [
        drives_section(snap, width, selected),
        Section(f"Receivers running ({sum(1 for d in snap.drives if d.receiving)})", receiving, priority=1,
                empty="no receiver running"),
        Section("Received", [receipt_row(r, width) for r in snap.received], priority=2, empty="nothing yet"),
    ]
    top = (f"drive-manager view  {snap.host}  {clock(snap.taken_at)}  {check_line(snap)}", "bold")
    bottom = (message, "bold yellow") if message else (KEYS, "dim")
    return compose(top, sections, bottom, width, height)
