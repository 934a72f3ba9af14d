"""``[replace] match``: which plots may be deleted to make room for new ones (pure).

A rule is a comma-separated list of conditions; a plot matches when every
condition holds::

    v1                  header v1 (chiapos / madMAx: never compressed)
    v2                  header v2 (bladebit)
    pos2                header ``pos2`` version 1 (the CHIP-48 format, one plot: ``.plot2`` files)
    gplot               header ``PoS2`` version 2 (a CHIP-48 plot group: ``.gplot`` files)
    level < 5           compression level (0 = uncompressed); <, <=, =, >=, >
    k = 32              plot size, compared the same way
    name plot-k32-2021-*  shell glob on the file name
    before 2023-06-01   created before that day (the name's date, else the file's mtime)

A plot whose header cannot be read never matches a ``v1``/``v2``/``pos2``/``gplot``/``level``
condition: what cannot be classified is never deleted. A ``.plot2`` plot matches only a
rule that says ``pos2``, a ``.gplot`` group only one that says ``gplot``: rules written for
older formats (``k = 32``, ``name plot-k32-*``, or ``pos2`` for the single plots a group
file replaces) must not start deleting the plots that replace them. PoS2 plots have no
compression level: a ``level`` condition never matches one. A ``.gplot`` file is deleted
whole (every plot of its group): a rule that names ``gplot`` says that is wanted.
"""

from __future__ import annotations

import fnmatch
import operator
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from common.config import parse_list
from common.confvalues import clip, parse_int
from common.plotformat import FAMILIES, VERSION_GPLOT, VERSION_POS2
from common.plotformat.plotfile import MAX_K, MAX_LEVEL, MIN_K, PlotKind, PlotName

_COMPARE: dict[str, Callable[[int, int], bool]] = {
    "<": operator.lt, "<=": operator.le, "=": operator.eq, ">=": operator.ge, ">": operator.gt,
}
_VERSIONS = {family: version for version, family in FAMILIES.items()}  # "v1" -> 1, "pos2" -> 3, "gplot" -> 4
# A PoS2 name is matched only by a rule naming its format.
_NAMED_BY = {PlotKind.PLOT2: VERSION_POS2, PlotKind.GPLOT: VERSION_GPLOT}
_NUMBER_RE = re.compile(r"(level|k)\s*(<=|>=|<|>|=)\s*([0-9]+)", re.ASCII)
_NAME_RE = re.compile(r"name\s+(\S+)")
_BEFORE_RE = re.compile(r"before\s+([0-9]{4}-[0-9]{2}-[0-9]{2})", re.ASCII)
SYNTAX = "v1, v2, pos2, gplot, level < N, k = N, name <glob>, before YYYY-MM-DD (all must hold)"


@dataclass(frozen=True)
class Condition:
    field: str  # version | level | k | name | before
    op: str
    value: int | float | str
    text: str


@dataclass(frozen=True)
class PlotFacts:
    """What a rule looks at; ``version``/``level`` are None when the header is unreadable."""

    name: PlotName
    version: int | None
    level: int | None
    created: float  # epoch seconds


Rule = tuple[Condition, ...]


def parse_rule(text: str) -> Rule:
    """``"v1, before 2023-01-01"`` -> conditions; ValueError names the bad part."""
    return tuple(_parse_condition(part) for part in parse_list(text))


def _parse_condition(text: str) -> Condition:
    term = " ".join(text.split())
    if term in _VERSIONS:
        return Condition("version", "=", _VERSIONS[term], term)
    if m := _NUMBER_RE.fullmatch(term):
        low, high = (MIN_K, MAX_K) if m.group(1) == "k" else (0, MAX_LEVEL)  # what a plot's name can carry
        try:
            value = parse_int(m.group(3), low=low, high=high)
        except ValueError as exc:
            raise ValueError(f"{clip(term)}: {exc}") from None
        return Condition(m.group(1), m.group(2), value, term)
    if m := _NAME_RE.fullmatch(term):
        return Condition("name", "glob", m.group(1), term)
    if m := _BEFORE_RE.fullmatch(term):
        try:
            day = time.mktime(time.strptime(m.group(1), "%Y-%m-%d"))
        except ValueError:
            raise ValueError(f"not a date: {m.group(1)!r}") from None
        return Condition("before", "<", day, term)
    raise ValueError(f"cannot understand {term!r} (use: {SYNTAX})")


def needs_header(rule: Rule) -> bool:
    return any(c.field in ("version", "level") for c in rule)


def matches(rule: Rule, facts: PlotFacts) -> bool:
    """True only for a non-empty rule whose every condition holds."""
    needed = _NAMED_BY.get(facts.name.kind)
    if needed is not None and not says(rule, needed):
        return False
    return bool(rule) and all(_holds(c, facts) for c in rule)


def says(rule: Rule, version: int) -> bool:
    """Whether the rule names that header format (``pos2``, ``gplot``, ...)."""
    return any(c.field == "version" and c.value == version for c in rule)


def _holds(cond: Condition, facts: PlotFacts) -> bool:
    if cond.field == "name":
        return fnmatch.fnmatchcase(facts.name.name, str(cond.value))
    if cond.field == "before":
        return facts.created < float(cond.value)
    actual = {"version": facts.version, "level": facts.level, "k": facts.name.k}[cond.field]
    return actual is not None and _COMPARE[cond.op](actual, int(cond.value))


def created_from_name(name: PlotName) -> float | None:
    """The plotter's timestamp in the name (local time), if it has one."""
    if name.date is None:
        return None
    try:
        return time.mktime(time.strptime(name.date, "%Y-%m-%d-%H-%M"))
    except ValueError:
        return None


def describe(rule: Rule) -> str:
    return ", ".join(c.text for c in rule)
