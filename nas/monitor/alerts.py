"""After every ``check``: the events of :mod:`nas.monitor.events` as notifications, and the metrics file.
Also the daily report.

The events are already typed, keyed and marked standing or not; this module only
adds the words and figures people read (:func:`to_notice`, pure).
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import sys
import time
from collections.abc import Sequence
from typing import Any

from common.errors import AppError, NotifyError
from common.metrics import write_textfile
from common.notify.base import Notice, SendMode
from common.notify.dedupe import DedupeStore
from common.notify.dispatch import Notifier
from common.notify.render import human_size, render
from common.status.farm import farm_line
from common.status.summary import DriveView, Summary, drive_view, summarize
from nas.config import NasConfig
from nas.model import DriveStatus, NasState, status_dict
from nas.monitor import events as ev
from nas.monitor.metrics import families
from nas.monitor.report import context, daily_notice

log = logging.getLogger(__name__)


def after_check(cfg: NasConfig, state: NasState, events: Sequence[ev.Event]) -> None:
    """Metrics and notifications; a failure here is logged: the check itself is done and stored."""
    status = status_dict(state)
    try:
        if cfg.alerting.metrics.textfile is not None:
            write_textfile(cfg.alerting.metrics.textfile, families(status, last_check=time.time()))
        if cfg.alerting.notify.configured:
            summary = summarize(status)
            notices = [to_notice(e, summary) for e in events]
            Notifier(cfg.alerting.notify).process(notices, lambda key: ev.evaluated(state, key),
                                                  DedupeStore(cfg.nas.state_dir), state.time)
    except (AppError, OSError, sqlite3.Error) as exc:
        log.error("metrics/notifications after the check failed: %s", exc)


def _view(drive: DriveStatus, summary: Summary) -> DriveView:
    """The drive as the report shows it (with the summary's plots-free estimate)."""
    same = next((d for d in summary.drives if d.mountpoint == drive.mountpoint), None)
    return same or drive_view(dataclasses.asdict(drive))


def _card(d: DriveView) -> str:
    temp = "?" if d.temperature is None else f"{d.temperature:.0f} °C"
    return (f"{d.mountpoint} ({d.device or '?'}, {human_size(d.total_bytes)}, room for "
            f"{'?' if d.plots_free is None else d.plots_free} plots, serial {d.serial or '?'}, {temp}, "
            f"SMART {d.health or 'unknown'})")


def _totals(s: Summary) -> str:
    until = "?" if s.plots_until_full is None else str(s.plots_until_full)
    days = "?" if s.days_to_full is None else f"{s.days_to_full:.1f}"
    return f"{s.plots} plots on {s.drive_count} drives, {until} until full ({days} days)"


def to_notice(event: ev.Event, summary: Summary) -> Notice:
    """One event as a notice: its kind, key, severity and title, plus text and template context. Pure."""
    ctx: dict[str, Any] = context(summary)
    text = _totals(summary)
    resolves = None
    if isinstance(event, ev.DriveChanged):
        ctx["drive"] = new = _view(event.new, summary)
        ctx["previous"] = None if event.old is None else _view(event.old, summary)
        old = f"{event.old.name} ({event.old.plots} plots)" if event.old else "none"
        text = f"previous: {old}; new: {_card(new)}; {text}"
    elif isinstance(event, (ev.DriveFull, ev.Temperature, ev.SmartFailing, ev.BadSectors, ev.DriveBack,
                            ev.DriveMissing, ev.PlotsDropped, ev.DriveFailing, ev.DriveHealthy)):
        ctx["drive"] = drive = _view(event.drive, summary)
        text = f"{_card(drive)}; {text}" if not isinstance(event, ev.DriveMissing) else text
        if isinstance(event, ev.DriveFailing):
            ctx["reason"] = event.drive.reason  # the title says it too; the templates spell it out
        if isinstance(event, (ev.DriveBack, ev.DriveHealthy)):
            resolves = f"{'drive_missing' if isinstance(event, ev.DriveBack) else 'drive_failing'}:" \
                       f"{event.drive.mountpoint}"
    elif isinstance(event, (ev.PlotsNotFarmed, ev.HarvesterUnreachable)):
        ctx["farm"] = farm = summary.farm
        if farm is not None:
            text = f"{farm_line(farm)}; {text}"
    elif isinstance(event, ev.NoPlots) and event.last_receipt is not None:
        ctx["last_receipt"] = event.last_receipt
        text = f"last plot {time.strftime('%Y-%m-%d %H:%M', time.localtime(event.last_receipt))}; {text}"
    return Notice(kind=event.kind, key=event.key, title=event.title, text=text, severity=event.severity,
                  standing=event.standing, context=ctx, resolves=resolves, transition=not event.standing)


def daily(cfg: NasConfig, state: NasState, print_it: bool, send: bool) -> int:
    """``report daily``: print it (the default) and/or send it on the daily_report route."""
    notice = daily_notice(summarize(status_dict(state)))
    notifier = Notifier(cfg.alerting.notify)
    if print_it or not send:
        sys.stdout.write(render(notice, SendMode.ONCE, notifier.host).text)
    if send and not notifier.deliver(notice, SendMode.ONCE):
        raise NotifyError("the daily report reached no channel (see [notify] daily_report and the log above)")
    return 0
