"""After each send round: alerts (transfers failing, NAS unreachable, plot dir nearly full,
plots sent) and the metrics text file."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from common.errors import AppError
from common.metrics import write_textfile
from common.notify.base import Notice, Severity
from common.notify.dedupe import DedupeStore
from common.notify.dispatch import Notifier
from plotter.config import PlotterAlerts, PlotterConfig
from plotter.monitor.metrics import DirUsage, dir_usage, families
from plotter.send.history import History, TransferResult
from plotter.send.lanes import Env
from plotter.send.resend import differs_notice

log = logging.getLogger(__name__)


def after_round(cfg: PlotterConfig, env: Env, started: float, now: float | None = None) -> None:
    """Alerts and metrics for the round that began at ``started``; state errors are logged, not raised,
    because failing to alert must not fail the sending."""
    now = time.time() if now is None else now
    usage = dir_usage(cfg.plotter.plot_dirs)
    history = History(cfg.plotter.state_dir)
    try:
        recent = history.recent(cfg.alerts.failed_transfers)
        this_round = transfers_since(history, started)
        if cfg.alerting.metrics.textfile is not None:
            write_textfile(cfg.alerting.metrics.textfile, families(cfg, history, usage))
        if cfg.alerting.notify.configured:
            with env.lock:
                unreachable = dict(env.unreachable)
            notices, evaluated = evaluate(cfg.alerts, recent, this_round, unreachable, usage)
            Notifier(cfg.alerting.notify).process(notices, evaluated, DedupeStore(cfg.plotter.state_dir), now)
    except (AppError, OSError, sqlite3.Error) as exc:
        log.error("alerts/metrics after the send round failed: %s", exc)
    finally:
        history.close()


def transfers_since(history: History, started: float) -> list[dict[str, Any]]:
    rows = history.conn.execute("SELECT * FROM transfers WHERE finished_at >= ? ORDER BY id", (started,))
    return [{k: row[k] for k in row.keys() if k != "id"} for row in rows]  # noqa: SIM118 (sqlite3.Row)


def evaluate(alerts: PlotterAlerts, recent: Sequence[Mapping[str, Any]], this_round: Sequence[Mapping[str, Any]],
             unreachable: Mapping[str, str], usage: Sequence[DirUsage]) -> tuple[list[Notice], Callable[[str], bool]]:
    """Notices for this round, and which standing conditions it evaluated. Pure.

    A NAS nobody tried to reach this round keeps its last known state.
    """
    notices = failing(alerts, recent) + dir_critical(alerts, usage)
    notices += [unreachable_notice(name, reason) for name, reason in sorted(unreachable.items())]
    notices += [sent_notice(t) for t in this_round if t["result"] == TransferResult.OK]
    notices += [differs_notice(t) for t in this_round if t["result"] == TransferResult.DIFFERS]
    tried = set(unreachable) | {t["nas"] for t in this_round if t["nas"]}

    def evaluated(key: str) -> bool:
        kind, _, subject = key.partition(":")
        return kind != "nas_unreachable" or subject in tried

    return notices, evaluated


def failing(alerts: PlotterAlerts, recent: Sequence[Mapping[str, Any]]) -> list[Notice]:
    """Standing while the last ``failed_transfers`` transfers all failed."""
    stored = (TransferResult.OK, TransferResult.VERIFIED)
    if len(recent) < alerts.failed_transfers or any(t["result"] in stored for t in recent):
        return []
    last = recent[0]
    return [Notice(
        kind="transfer_failing", key="transfer_failing", severity=Severity.CRITICAL,
        title=f"{len(recent)} plot transfers in a row failed",
        text=f"last: {last['plot']} -> {last['nas'] or '?'}: {last['error']}",
        context={"failures": list(recent), "count": len(recent)},
    )]


def dir_critical(alerts: PlotterAlerts, usage: Sequence[DirUsage]) -> list[Notice]:
    return [Notice(
        kind="dir_critical", key=f"dir_critical:{u.dir}", severity=Severity.CRITICAL,
        title=f"plot dir {u.dir} is {u.percent_used:.0f}% full",
        text=f"{u.free_bytes / 1e9:.0f} GB free of {u.total_bytes / 1e9:.0f} GB "
             f"(limit {alerts.dir_critical_percent:.0f}%)",
        context={"dir": str(u.dir), "percent": u.percent_used, "limit": alerts.dir_critical_percent,
                 "free_bytes": u.free_bytes, "total_bytes": u.total_bytes},
    ) for u in usage if u.percent_used > alerts.dir_critical_percent]


def unreachable_notice(name: str, reason: str) -> Notice:
    return Notice(kind="nas_unreachable", key=f"nas_unreachable:{name}", severity=Severity.CRITICAL,
                  title=f"NAS {name} is unreachable", text=reason,
                  context={"nas": name, "reason": reason})


def sent_notice(transfer: Mapping[str, Any]) -> Notice:
    return Notice(kind="plot_sent", key=f"plot_sent:{transfer['plot']}", severity=Severity.INFO, standing=False,
                  title=f"plot sent to {transfer['nas']}",
                  text=f"{transfer['plot']} ({transfer['bytes'] / 1e9:.1f} GB, {transfer['mb_per_s']:.0f} MB/s)",
                  context={"transfer": dict(transfer)})
