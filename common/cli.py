"""What both roles' ``main()`` share: logging set-up and error -> exit code mapping."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from common.errors import AppError

EXIT_INTERRUPTED = 130


def setup_logging(verbose: int, quiet: bool = False) -> None:
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    logging.basicConfig(
        level=level, stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%Y-%m-%d %H:%M:%S",
    )
    for noisy in ("paramiko", "urllib3", "twilio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


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
