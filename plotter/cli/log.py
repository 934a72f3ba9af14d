"""``plot-manager log phases FILE [--backend B]``: one ``major:minor`` line per line of FILE.

Needs no config file: it reads a log and nothing else.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from common.errors import UsageError
from plotter.plotting.backends import BACKEND_NAMES


def add_log_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    log = sub.add_parser("log", help="plotter logs")
    log_sub = log.add_subparsers(dest="log_command", required=True)
    phases = log_sub.add_parser("phases", help="the phase (major:minor) reached after each line of a plotter log")
    phases.add_argument("file", metavar="FILE", help="a chia, madMAx, bladebit or pos2 log")
    phases.add_argument("--backend", choices=BACKEND_NAMES,
                        help="the plotter that wrote it (default: recognized from the log)")


def run(args: argparse.Namespace) -> int:
    from plotter.plotting.logs import phases, split_lines

    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    lines = split_lines(data)
    result = phases(lines, args.backend)
    sys.stdout.write("".join(f"{phase}\n" for phase in result))
    return 0
