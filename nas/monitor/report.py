"""The NAS daily report and the context every NAS template gets, from a :class:`common.status.summary.Summary`."""

from __future__ import annotations

import time
from typing import Any

from common.notify.base import Notice, Severity
from common.status.farm import farm_line
from common.status.summary import Summary, replot_line


def context(summary: Summary) -> dict[str, Any]:
    """What every NAS template gets: the summary and its derived figures."""
    return {"summary": summary, "drives": summary.drives, "current": summary.current,
            "farm_line": None if summary.farm is None else farm_line(summary.farm)}


def daily_notice(summary: Summary) -> Notice:
    day = time.strftime("%Y-%m-%d", time.localtime(summary.generated_at))
    until = "?" if summary.plots_until_full is None else str(summary.plots_until_full)
    days = "?" if summary.days_to_full is None else f"{summary.days_to_full:.1f}"
    got = "?" if summary.received_24h is None else str(summary.received_24h)
    text = (f"{summary.plots} plots on {summary.drive_count} drives, {got} received in 24 h, "
            f"{until} until full ({days} days)")
    if summary.replot is not None:
        text += f"; {replot_line(summary.replot)}"
    if summary.farm is not None:
        text += f"; {farm_line(summary.farm)}"
    return Notice(kind="daily_report", key=f"daily_report:{day}", title=f"Daily report {day}", text=text,
                  severity=Severity.INFO, standing=False, context=context(summary))
