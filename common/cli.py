"""What both roles' ``main()`` share: logging set-up and error -> exit code mapping."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType

from common import sentry
from common.errors import AppError, UsageError
from common.metrics import Family, MetricsConfig, serve
from common.version import DISTRIBUTION, VERSION

EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # what a process killed by SIGPIPE reports, as `cat | head` does


def add_global_options(parser: argparse.ArgumentParser, role: str) -> None:
    """``--config``, ``-v`` and ``-q`` on the command and on every subcommand, so that
    ``plot-manager send --once -v`` works as well as ``plot-manager -v send --once``.

    Call after all subcommands are added. Below the top they default to SUPPRESS: a value given
    before the subcommand is not reset by the subcommand's own parser."""
    parser.add_argument("--version", action="version", version=f"{DISTRIBUTION} {VERSION}")
    _shared(parser, role, top=True)
    for sub in _subparsers(parser):
        _shared(sub, role, top=False)


def _shared(parser: argparse.ArgumentParser, role: str, top: bool) -> None:
    def default(value: object) -> object:
        return value if top else argparse.SUPPRESS

    parser.add_argument("--config", default=default(None), metavar="FILE",
                        help=f"{role}.ini (default: /etc/plotyard/{role}.ini, then ~/.config/plotyard/{role}.ini)")
    parser.add_argument("-v", "--verbose", action="count", default=default(0), help="debug logging")
    parser.add_argument("-q", "--quiet", action="store_true", default=default(False),
                        help="warnings and errors only (cron)")


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):  # aliases map to the same parser
                found += [child, *_subparsers(child)]
    return found


def add_install_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], kinds: Sequence[str]) -> None:
    install = sub.add_parser("install", help="cron, systemd or ssh files pointing at this install")
    install.add_argument("kind", choices=kinds)
    install.add_argument("--write", metavar="DIR", help="write the files into DIR instead of printing them")
    install.add_argument("--user", default="chia", help="the user the jobs run as (default: chia)")
    install.add_argument("--group", help="systemd Group= (default: the user's name)")
    if "ssh" in kinds:
        install.add_argument("--key", metavar="FILE", help="ssh: the plotter's public key file (*.pub)")
        install.add_argument("--wrapper", metavar="PATH",
                             help="ssh: where the wrapper script will live (default: DIR/plotyard-ssh with --write, "
                                  "else /usr/local/bin/plotyard-ssh)")


def setup_logging(verbose: int, quiet: bool = False) -> None:
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    logging.basicConfig(
        level=level, stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%Y-%m-%d %H:%M:%S",
    )
    for noisy in ("urllib3", "twilio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # paramiko logs a traceback from its own thread for every failed handshake (a NAS whose port
    # accepts but never answers: one per attempt); the error reaches us as an exception, which the
    # caller reports once per NAS. Its own lines only with -vv.
    logging.getLogger("paramiko").setLevel(logging.WARNING if verbose >= 2 else logging.CRITICAL)


def run_main(prog: str, body: Callable[[], int]) -> int:
    """Run ``body``; expected failures become one line on stderr and their exit code."""
    try:
        return body()
    except AppError as exc:
        print(f"{prog}: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader (`status | head -1`) has gone: nothing to say, and the interpreter's own
        # flush of stdout at exit must not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Exception as exc:  # a bug: to Sentry when configured, then the usual traceback
        sentry.report_crash(exc)
        raise


def add_report_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--print", action="store_true", help="print the report (the default without --send)")
    parser.add_argument("--send", action="store_true", help="send it on the [notify] report route")


def add_report_and_metrics(sub: argparse._SubParsersAction[argparse.ArgumentParser], report: str,
                           report_help: str, default_port: int) -> None:
    """The ``report <report>`` and ``metrics serve`` subcommands both roles have."""
    reports = sub.add_parser("report", help="reports").add_subparsers(dest="report_command", required=True)
    add_report_args(reports.add_parser(report, help=report_help))
    metrics = sub.add_parser("metrics", help="Prometheus metrics")
    metrics_sub = metrics.add_subparsers(dest="metrics_command", required=True)
    metrics_sub.add_parser("serve", help="serve the metrics over HTTP").add_argument(
        "--port", type=int, help=f"default: [metrics] port, else {default_port}")


def serve_metrics(cfg: MetricsConfig, port: int | None, default_port: int,
                  collect: Callable[[], Sequence[Family]]) -> int:
    """``metrics serve``: until SIGTERM/SIGINT."""
    port = port if port is not None else cfg.port or default_port
    if not 0 < port < 65536:
        raise UsageError(f"--port {port} is outside 1-65535")
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    logging.getLogger(__name__).info("serving metrics on http://%s:%d/metrics", cfg.bind, port)
    try:
        return serve(cfg.bind, port, collect, stop)
    except OSError as exc:
        raise AppError(f"cannot listen on {cfg.bind}:{port}: {exc.strerror or exc}") from None
