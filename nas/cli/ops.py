"""``report daily`` and ``metrics serve`` of drive-manager (parsers and dispatch; lazy imports)."""

from __future__ import annotations

import argparse
import time

from common.cli import add_report_and_metrics, serve_metrics
from common.metrics import Family
from nas.config import NasConfig
from nas.model import NasState

COMMANDS = ("report", "metrics")
METRICS_PORT = 9841


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    add_report_and_metrics(sub, "daily", "the daily report (cron at 00:02 with --send)", METRICS_PORT)


def current_state(cfg: NasConfig, refresh_smart: bool) -> NasState:
    """The drives now, as ``status`` sees them (no rotation, nothing stored)."""
    from nas.monitor.check import collect
    from nas.state import Store

    with Store(cfg.nas.state_dir) as store:
        return collect(cfg, store, time.time(), store.load_check_state(), refresh_smart=refresh_smart)


def run(cfg: NasConfig, args: argparse.Namespace) -> int:
    if args.command == "report":
        from nas.monitor.alerts import daily

        return daily(cfg, current_state(cfg, refresh_smart=True), args.print, args.send)

    def collect() -> list[Family]:
        # A scrape never runs smartctl: check (every minute) keeps the SMART cache fresh.
        from nas.monitor.alerts import status_dict
        from nas.monitor.metrics import families
        from nas.state import Store

        with Store(cfg.nas.state_dir) as store:
            last_check = store.last_check_end()
        return families(status_dict(current_state(cfg, refresh_smart=False)), last_check)

    return serve_metrics(cfg.alerting.metrics, args.port, METRICS_PORT, collect)
