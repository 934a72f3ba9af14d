"""Plotter logs -> phases.

``phases(lines, backend)`` gives exactly one :class:`Phase` per input line: where the job is after
that line. Without a backend the plotter is recognized from the log's own lines. The phase never
goes backwards: a log holding several plots (``-n 2``) stays at 5 after the first one.
"""

from __future__ import annotations

from collections.abc import Sequence

from common.errors import LogFormatError
from plotter.plotting.backends import get as get_backend
from plotter.plotting.logs import bladebit, bladebit_disk, chia, madmax, pos2, xchplot2
from plotter.plotting.logs.rules import LogFormat
from plotter.plotting.phase import START, Phase

# Detection order breaks ties: the bladebit disk log shares bladebit's header.
FORMATS: dict[str, LogFormat] = {
    fmt.name: fmt for fmt in (chia.FORMAT, madmax.FORMAT, bladebit.FORMAT, bladebit_disk.FORMAT, pos2.FORMAT,
                              xchplot2.FORMAT)
}


def format_for(backend: str) -> LogFormat:
    """The log format a backend's plotter writes (bladebit RAM and CUDA share one)."""
    return FORMATS[get_backend(backend).log_format]


def detect(lines: Sequence[str]) -> LogFormat | None:
    """The format whose signature lines the log holds most often, None if it holds none."""
    best: LogFormat | None = None
    best_score = 0
    for fmt in FORMATS.values():
        score = fmt.score(lines)
        if score > best_score:
            best, best_score = fmt, score
    return best


def resolve(lines: Sequence[str], backend: str | None = None) -> LogFormat:
    if backend is not None:
        return format_for(backend)
    fmt = detect(lines)
    if fmt is None:
        raise LogFormatError("not a log of a known plotter (chia, madMAx, bladebit, pos2, xchplot2); give --backend")
    return fmt


def phases(lines: Sequence[str], backend: str | None = None) -> list[Phase]:
    fmt = resolve(lines, backend)
    result: list[Phase] = []
    phase = START
    for line in lines:
        phase = fmt.advance(phase, line)
        result.append(phase)
    return result


def current_phase(lines: Sequence[str], backend: str | None = None) -> Phase:
    """Where a job is after the last line of its log so far."""
    return phases(lines, backend)[-1] if lines else START


def plot_id(lines: Sequence[str], backend: str | None = None) -> str | None:
    """The plot id the plotter announced (chiapos "ID:", madMAx "Plot Name:", bladebit
    "Generating plot", xchplot2 the written plot's name), so that a killed job's temp files can be found."""
    fmt = resolve(lines, backend)
    for line in lines:
        found = fmt.find_plot_id(line)
        if found is not None:
            return found
    return None


def split_lines(data: bytes) -> list[str]:
    """A log file's lines, split on ``\\n`` only (a stray ``\\r`` is not a line of its own);
    a last line without ``\\n`` counts, an empty tail after the final ``\\n`` does not."""
    text = data.decode("utf-8", errors="replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines
