"""``drive-manager replot`` as text, and the one-line summary the reports and the view show (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from common.status.summary import replot_view
from common.ui.tables import text_table
from common.units import short_size, size
from nas.replot.progress import RATE_BASIS

HEADER = ["drive", "v1 plots", "v1", "v2 plots", "v2", "v2 +24h", "v2 +7d", "v2/day", "days to all-v2", "effective"]
NUMERIC = frozenset(range(1, len(HEADER)))


def _row(name: str, f: Mapping[str, Any]) -> list[str]:
    return [name, str(f["v1_plots"]), short_size(f["v1_bytes"]), str(f["v2_plots"]), short_size(f["v2_bytes"]),
            short_size(f["v2_bytes_24h"]), short_size(f["v2_bytes_7d"]), short_size(f["v2_bytes_per_day"]),
            _days(f["days_to_all_v2"]), short_size(f["effective_bytes"]) if f["effective_bytes"] is not None else "-"]


def _days(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f}"


def render(r: Mapping[str, Any]) -> str:
    rows = [HEADER, *(_row(d["name"] if d["listed"] else f"{d['name']} (unlisted)", d) for d in r["drives"]),
            _row("NAS", r)]
    lines = [f"replot progress ({RATE_BASIS}; 'added' = file mtime)", *text_table(rows, NUMERIC), ""]
    return "\n".join(lines + deadline_lines(r) + order_lines(r)) + "\n"


def deadline_lines(r: Mapping[str, Any]) -> list[str]:
    if r["fork_height"] is None:
        return ["phase-out: no [replot] section in nas.ini (fork_height and node_rpc or fork_date)"]
    if r["height"] is None:
        return [f"phase-out: fork at height {r['fork_height']}; height now unknown ({r['height_note']})"]
    source = "from the full node" if r["height_source"] == "node" else "estimated from fork_date, 4608 blocks a day"
    lines = [f"phase-out: fork at height {r['fork_height']}; height now {r['height']} ({source})"]
    if r["height_note"]:
        lines.append(f"  (the node did not answer: {r['height_note']})")
    lines += [f"  v1 weight now {r['v1_weight']:.4f}; v1 plots stop counting on {r['phase_out_end']} "
              f"(in {r['days_to_phase_out_end']:.1f} days)",
              f"  effective farm size now {size(r['effective_bytes'])}, at the end {size(r['effective_bytes_at_end'])}"
              f" at the current rate",
              f"  all-v2 in {_days(r['days_to_all_v2'])} days: {_verdict(r)}"]
    return lines


def order_lines(r: Mapping[str, Any]) -> list[str]:
    if not r["order"] and not r["by_hand"]:
        return [] if not r["v1_plots"] else ["replot order: no drive with v1 plots receives"]
    how = "replacement deletes v1 plots just in time" if r["replacement"] else \
        "replacement is off ([replace] enabled = false): delete v1 plots yourself, in this order"
    lines = [f"replot order ({how}):"] if r["order"] else ["replot order:"]
    for i, step in enumerate(r["order"], 1):
        when = f"emptied of v1 by {step['done_at']}" if step["done_at"] else "never emptied at the current rate"
        lines.append(f"  {i}. {step['name']}: {size(step['replaceable'])} of v1 to replace, {when}")
    for d in r["by_hand"]:
        lines.append(f"  by hand: {d['name']}: {size(d['v1_bytes'])} of v1 no [replace] rule deletes "
                     f"(or the drive does not receive)")
    return lines


def _verdict(r: Mapping[str, Any]) -> str:
    view = replot_view(r)
    return "?" if view is None else view.verdict
