"""The durations a plotter reports in its own log, one :class:`Timing` per plot it wrote.

Each plotter times its phases itself, more exactly than any timestamps around them:

- chiapos (under ``chia plots create``): "Time for phase N = X seconds", "Total time = X seconds";
- madMAx: "Phase N took X sec", "Total plot creation time was X sec";
- bladebit RAM and disk: "Finished Phase N in X seconds", "Finished plotting in X seconds";
- bladebit CUDA: "Completed Phase N in X seconds", "Completed Plot N in X seconds";
- plotyard's pos2: "pos2: phase 1 finished in X s" (the plotting; it has no phases 2-4), "pos2: total
  time X s" (with the check and the move).
- xchplot2: "[plot] wrote N plots in X s (Y s/plot)" (tools/xchplot2/cli.cpp), the run's time, which is
  the plot's for the one-plot jobs the backend starts. It has no phases to time.

bladebit's disk and CUDA plotters have three phases, so their phase 4 stays None. A log holding
several plots (``-n 2``) gives one Timing per plot: a plot ends at its total line, or where a phase
number comes round again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from plotter.plotting.logs.rules import clean

PHASES = (1, 2, 3, 4)
_NUMBER = r"(\d+(?:\.\d+)?)"
_BLADEBIT = (re.compile(rf"(?:Finished|Completed) Phase (\d) in {_NUMBER} seconds"),
             re.compile(rf"(?:Finished plotting|Completed Plot \d+) in {_NUMBER} seconds"))
# Per log format (plotter.plotting.logs FORMATS names): (phase N took X, total X); group 1/2 and 1.
PATTERNS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "chia": (re.compile(rf"^Time for phase (\d) = {_NUMBER} seconds"),
             re.compile(rf"^Total time = {_NUMBER} seconds")),
    "madmax": (re.compile(rf"^Phase (\d) took {_NUMBER} sec"),
               re.compile(rf"^Total plot creation time was {_NUMBER} sec")),
    "bladebit": _BLADEBIT,
    "bladebit-disk": _BLADEBIT,
    "pos2": (re.compile(rf"^pos2: phase (\d) finished in {_NUMBER} s"), re.compile(rf"^pos2: total time {_NUMBER} s")),
    "xchplot2": (re.compile(r"(?!)(\d)(\d)"),  # no phase times (it matches nothing)
                 re.compile(rf"\[plot\] wrote [1-9]\d* plots in {_NUMBER} s")),
}


@dataclass
class Timing:
    """One plot's durations in seconds, as the plotter reported them (None: not reported)."""

    phases: dict[int, float] = field(default_factory=dict)
    total: float | None = None

    def phase(self, number: int) -> float | None:
        return self.phases.get(number)

    @property
    def empty(self) -> bool:
        return not self.phases and self.total is None


def timings(lines: Sequence[str], format_name: str) -> list[Timing]:
    """Every plot's reported durations, in the order the log wrote them; [] if it reported none."""
    phase_re, total_re = PATTERNS[format_name]
    found: list[Timing] = []
    current = Timing()
    for raw in lines:
        line = clean(raw)
        match = phase_re.search(line)
        if match is not None:
            number = int(match.group(1))
            if number in current.phases:  # the next plot of the same log began without a total line
                found.append(current)
                current = Timing()
            current.phases[number] = float(match.group(2))
            continue
        match = total_re.search(line)
        if match is not None:
            current.total = float(match.group(1))
            found.append(current)
            current = Timing()
    if not current.empty:
        found.append(current)
    return found
