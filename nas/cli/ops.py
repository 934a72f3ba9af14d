"""``report daily`` and ``metrics serve`` of drive-manager (parsers and dispatch; lazy imports)."""

from __future__ import annotations

import argparse

from common.cli import add_report_and_metrics, serve_metrics
from common.metrics import NAS_PORT as METRICS_PORT
from common.metrics import Family
from nas.config import NasConfig

COMMANDS = ("report", "metrics")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    add_report_and_metrics(sub, "daily", "the daily report (cron at 00:02 with --send)", METRICS_PORT)


def run(cfg: NasConfig, args: argparse.Namespace) -> int:
    if args.command == "report":
        from nas.monitor.alerts import daily
        from nas.monitor.check import current_state

        return daily(cfg, current_state(cfg, refresh_smart=True), args.print, args.send)

    def collect() -> list[Family]:
        # A scrape never runs smartctl: check (every minute) keeps the SMART cache fresh.
        from nas.model import status_dict
        from nas.monitor.check import current_state
        from nas.monitor.metrics import families
        from nas.state import Store

        with Store(cfg.nas.state_dir) as store:
            last_check = store.last_check_end()
        return families(status_dict(current_state(cfg, refresh_smart=False)), last_check)

    return serve_metrics(cfg.alerting.metrics, args.port, METRICS_PORT, collect)
