"""``plot-manager``: the plotter role's command line."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from common.cli import (
    EXIT_INTERRUPTED,
    add_global_options,
    add_install_parser,
    add_report_and_metrics,
    run_main,
    serve_metrics,
    setup_logging,
)
from common.config import find_config
from common.errors import UsageError
from common.metrics import PLOTTER_PORT as METRICS_PORT
from common.sentry import start as start_sentry
from common.statedir import ensure_state_dir
from plotter import config as plotter_config
from plotter.cli.log import add_log_parser
from plotter.cli.plot import add_analyze_parser, add_plot_parsers

log = logging.getLogger("plotter.cli.main")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="plot-manager", description="Plotter role of plotyard")
    sub = parser.add_subparsers(dest="command", required=True)
    send = sub.add_parser("send", help="move finished plots to a NAS")
    mode = send.add_mutually_exclusive_group(required=True)
    mode.add_argument("--once", action="store_true", help="send what is finished now, then exit")
    mode.add_argument("--watch", action="store_true", help="keep running, send plots as they finish")
    status = sub.add_parser("status", help="plots waiting, transfers running, recent transfers")
    status.add_argument("--json", action="store_true")
    cfg = sub.add_parser("config", help="config file helpers")
    cfg_sub = cfg.add_subparsers(dest="config_command", required=True)
    cfg_sub.add_parser("generate", help="print a commented example plotter.ini")
    demo = sub.add_parser("demo", help="make real k18 plots and move them to a local demo NAS")
    demo.add_argument("--plots", type=int, default=4)
    demo.add_argument("--keep", action="store_true", help="keep the demo directory")
    add_report_and_metrics(sub, "farm", "every NAS's status, gathered over SSH, as one report", METRICS_PORT)
    add_install_parser(sub, ("cron", "systemd"))
    add_log_parser(sub)
    add_plot_parsers(sub)
    add_analyze_parser(sub)
    sub.add_parser("view", help="one live screen: plot jobs, transfers, directories, NAS, recent events")
    add_global_options(parser, "plotter")
    return parser


def _stop_on_signals(finishing: str = "the current transfer(s)") -> threading.Event:
    """The first Ctrl-C or SIGTERM lets the running transfers finish and starts no new one;
    a second Ctrl-C aborts at once. Aborting is safe: a source is deleted only after the NAS
    confirmed a verified copy, and the NAS drops a ``.part`` whose stream broke."""
    stop = threading.Event()

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            print("plot-manager: aborted; unfinished transfers are kept on the plotter", file=sys.stderr, flush=True)
            os._exit(EXIT_INTERRUPTED)  # the sending threads cannot be interrupted otherwise
        stop.set()
        print(f"plot-manager: finishing {finishing}; Ctrl-C again to abort", file=sys.stderr, flush=True)

    def on_terminate(signum: int, frame: FrameType | None) -> None:
        stop.set()
        log.info("SIGTERM: finishing %s, then exiting", finishing)

    signal.signal(signal.SIGTERM, on_terminate)
    signal.signal(signal.SIGINT, on_interrupt)
    return stop


def _send(cfg: plotter_config.PlotterConfig, args: argparse.Namespace) -> int:
    from plotter.send import runner
    from plotter.send.live import live_transfers, wanted

    stop = _stop_on_signals()
    with live_transfers(wanted(args.quiet)) as listener:
        if args.watch:
            return runner.watch(cfg, stop, listener=listener)
        return runner.send_once_checked(cfg, stop, listener)


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "config":
        sys.stdout.write(plotter_config.EXAMPLE)
        return 0
    if args.command == "demo":
        from plotter.cli.demo import run_demo

        if args.plots < 1 or args.plots > 50:
            raise UsageError("--plots must be between 1 and 50")
        from plotter.send.live import live_transfers, wanted

        with live_transfers(wanted(args.quiet)) as listener:
            return run_demo(args.plots, args.keep, listener)
    if args.command == "log":
        from plotter.cli import log as logcmd

        return logcmd.run(args)
    config_path = Path(find_config("plotter", args.config))
    cfg = plotter_config.load(config_path)
    if args.command == "install":
        from plotter.cli import install

        return install.run(cfg, config_path, args)
    start_sentry(cfg.alerting.sentry, "plotter")
    ensure_state_dir(cfg.plotter.state_dir)  # one line now rather than a traceback mid-send
    if args.command == "send":
        return _send(cfg, args)
    if args.command in ("plot", "jobs"):
        from plotter.cli import plot as plotcmd

        if args.command == "plot":
            return plotcmd.run_plot(cfg, args, _stop_on_signals("this scheduling pass (plot jobs keep running)"))
        return plotcmd.run_jobs(cfg, args)
    if args.command == "analyze":
        from plotter.plotting.analysis import analyzeio

        return analyzeio.run(cfg, args)
    if args.command == "view":
        from plotter.view.app import run as run_view

        return run_view(cfg)
    if args.command == "status":
        from plotter.monitor import status

        data = status.collect(cfg)
        print(json.dumps(data, indent=2) if args.json else status.render(data))
        return 0
    if args.command == "report":
        from plotter.monitor import report

        return report.run(cfg, args.print, args.send)
    if args.command == "metrics":
        from plotter.monitor.metrics import collect

        return serve_metrics(cfg.alerting.metrics, args.port, METRICS_PORT, lambda: collect(cfg))
    raise AssertionError(args.command)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose, args.quiet)
    return run_main("plot-manager", lambda: _dispatch(args))
