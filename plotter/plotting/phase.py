"""Where a plot job is: ``major:minor``.

major 0 is before phase 1 begins, 1-4 are the plotter's four phases and 5 means phase 4 has
ended (final copy, rename, done). minor is the table or step within the major phase. Phases are
ordered, so ``max()`` keeps a job's progress from ever going backwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TEXT_RE = re.compile(r"(\d+):(\d+)")
FINAL_MAJOR = 5


@dataclass(frozen=True, order=True)
class Phase:
    major: int = 0
    minor: int = 0

    def __str__(self) -> str:
        return f"{self.major}:{self.minor}"

    @classmethod
    def parse(cls, text: str) -> Phase:
        match = _TEXT_RE.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"not a phase (major:minor): {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def plotting_done(self) -> bool:
        """Phase 4 has ended: the plot is written, only the final copy/rename may remain."""
        return self.major >= FINAL_MAJOR


START = Phase(0, 0)


def describe(phases: frozenset[Phase]) -> str:
    """``{1:0, 1:1, 1:2, 2:1}`` -> "1:0..1:2, 2:1": each major's minors as runs."""
    runs: list[list[Phase]] = []
    for phase in sorted(phases):
        last = runs[-1][-1] if runs else None
        if last is not None and last.major == phase.major and last.minor + 1 == phase.minor:
            runs[-1].append(phase)
        else:
            runs.append([phase])
    return ", ".join(str(run[0]) if len(run) == 1 else f"{run[0]}..{run[-1]}" for run in runs)
