"""A failed plotter's own last word: the line of its log that says why it stopped. Pure.

Real chia prints e.g. "Error: The minimum k size allowed from the cli is k=25." and exits 1, or a
Python traceback whose last line names the exception; madMAx prints "Invalid k option: 20" and
bladebit "Error: ..." lines. The scheduler puts this line into the job's failure reason, so that
``plot-manager jobs``, the plot_failed alert and the log say why, not only "exit code 1".
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from plotter.plotting.logs.rules import clean

MAX_CHARS = 200
TRACEBACK = "Traceback (most recent call last):"
_ERROR_RE = re.compile(r"\b(error|exception|invalid|failed|failure|cannot|can't|could not|unable|not allowed|"
                       r"no such|permission denied|refus\w*|abort\w*)\b", re.IGNORECASE)
# A traceback's last line: "ValueError: text", "filelock._error.Timeout: text", "KeyboardInterrupt".
_EXCEPTION_RE = re.compile(r"[A-Za-z_][\w.]*(Error|Exception|Timeout|Interrupt|Exit)\b.*")


def last_error(lines: Sequence[str]) -> str | None:
    """The last meaningful error line of a log, shortened to MAX_CHARS; None when it has none."""
    cleaned = [clean(line) for line in lines]
    after_traceback = _after_last_traceback(lines, cleaned)
    if after_traceback is not None:
        return _short(after_traceback)
    for line in reversed(cleaned):
        if line and _ERROR_RE.search(line):
            return _short(line)
    return None


def _after_last_traceback(raw: Sequence[str], cleaned: list[str]) -> str | None:
    """The exception line closing the last traceback: the first unindented line after it."""
    starts = [i for i, line in enumerate(cleaned) if line == TRACEBACK]
    if not starts:
        return None
    for i in range(starts[-1] + 1, len(raw)):
        if raw[i][:1] not in (" ", "\t") and _EXCEPTION_RE.match(cleaned[i]):
            return cleaned[i]
    return None


def _short(line: str) -> str:
    return line if len(line) <= MAX_CHARS else line[:MAX_CHARS - 1] + "…"
