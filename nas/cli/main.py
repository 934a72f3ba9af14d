"""``drive-manager``: the NAS role's command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from common.cli import add_global_options, add_install_parser, run_main, setup_logging
from common.config import find_config
from common.sentry import start as start_sentry
from common.statedir import ensure_state_dir
from common.transfer.channel import fd_channel
from nas import config as nas_config
from nas.cli import commands as nas_commands
from nas.cli import ops as nas_ops


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="drive-manager", description="NAS role of plotyard")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("receive", help="one-shot plot receiver (run by plot-manager over SSH)")
    cfg = sub.add_parser("config", help="config file helpers")
    cfg_sub = cfg.add_subparsers(dest="config_command", required=True)
    cfg_sub.add_parser("generate", help="print a commented example nas.ini")
    nas_commands.add_parsers(sub)
    nas_ops.add_parsers(sub)
    sub.add_parser("view", help="one live screen: drives, fill, temperature, SMART, receivers running")
    add_install_parser(sub, ("cron", "systemd", "ssh"))
    add_global_options(parser, "nas")
    return parser


def _load(args: argparse.Namespace) -> nas_config.NasConfig:
    cfg = nas_config.load(Path(find_config("nas", args.config)))
    start_sentry(cfg.alerting.sentry, "nas")
    return cfg


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "config":
        sys.stdout.write(nas_config.EXAMPLE)
        return 0
    if args.command == "install":
        from nas.cli import install

        config_path = Path(find_config("nas", args.config))
        return install.run(nas_config.load(config_path), config_path, args)
    cfg = _load(args)
    if args.command == "receive":  # checks the state dir itself, to answer the plotter why not
        from nas.receive.receiver import end_on_signals, serve

        end_on_signals()
        return serve(cfg, fd_channel(sys.stdin.fileno(), sys.stdout.fileno()))
    ensure_state_dir(cfg.nas.state_dir)
    if args.command == "view":
        from nas.view.app import run as run_view

        return run_view(cfg)
    if args.command in nas_commands.COMMANDS:
        return nas_commands.run(cfg, args)
    if args.command in nas_ops.COMMANDS:
        return nas_ops.run(cfg, args)
    raise AssertionError(args.command)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose, args.quiet)
    return run_main("drive-manager", lambda: _dispatch(args))
