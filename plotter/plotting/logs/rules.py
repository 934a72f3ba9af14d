"""The machinery each log format uses: line cleaning and (pattern -> phase) rules.

A format is an ordered list of rules; the first rule whose pattern is found in a line gives the
phase that line reaches, and the job's phase becomes the larger of that and where it was. Lines no
rule knows keep the phase. Patterns are searched, not anchored, so timestamp prefixes don't matter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from plotter.plotting.phase import Phase

_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")

PhaseOf = Callable[[re.Match[str]], Phase]


def clean(line: str) -> str:
    """Without colour codes, carriage returns and surrounding blanks."""
    return _ANSI_RE.sub("", line).replace("\r", "").strip()


def at(major: int, minor: int) -> PhaseOf:
    return lambda match: Phase(major, minor)


def step(major: int, minor: Callable[[int], int], low: int = 1, high: int = 7) -> PhaseOf:
    """A phase whose minor is computed from the first number the pattern captured, kept in range."""
    return lambda match: Phase(major, min(max(minor(int(match.group(1))), low), high))


def major_from(minor: int = 0, low: int = 1, high: int = 4) -> PhaseOf:
    """"Phase N" announcements: major N (only 1-4 are phases), given minor."""
    return lambda match: Phase(min(max(int(match.group(1)), low), high), minor)


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    phase: PhaseOf
    only: str | None = None  # the one backend of a shared format whose plotter writes this line


def rule(pattern: str, phase: PhaseOf, only: str | None = None) -> Rule:
    return Rule(re.compile(pattern), phase, only)


@dataclass(frozen=True)
class LogFormat:
    name: str
    rules: tuple[Rule, ...]
    signatures: tuple[re.Pattern[str], ...]
    plot_id: re.Pattern[str]  # group 1: the 64 hex digit plot id

    def reached(self, line: str) -> Phase | None:
        text = clean(line)
        for candidate in self.rules:
            match = candidate.pattern.search(text)
            if match is not None:
                return candidate.phase(match)
        return None

    def advance(self, phase: Phase, line: str) -> Phase:
        reached = self.reached(line)
        return phase if reached is None or reached <= phase else reached

    def score(self, lines: Iterable[str]) -> int:
        """How many lines carry one of this plotter's own signature lines."""
        return sum(1 for line in lines if any(sig.search(clean(line)) for sig in self.signatures))

    def phases(self, backend: str) -> frozenset[Phase]:
        """Every phase a line of ``backend``'s log can bring a job to (what a phase in the config may
        name). No rule's pattern captures more than one digit, so trying each digit finds them all."""
        digits = [match for digit in "0123456789" if (match := re.fullmatch(r"(\d)", digit))]
        return frozenset(candidate.phase(match) for candidate in self.rules if candidate.only in (None, backend)
                         for match in digits)

    def find_plot_id(self, line: str) -> str | None:
        match = self.plot_id.search(clean(line))
        return match.group(1) if match else None


def signatures(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)
