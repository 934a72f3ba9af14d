"""Which plots on plotyard's drives the harvester farms, and why not (pure).

A plot the harvester does not farm is, in this order: ``failed_to_open`` (it tried and could not
read it), ``no_key`` (its farmer or pool key is not the farmer's), ``no_directory`` (its drive is not
one of the harvester's ``plot_directories``: it will never look), ``duplicate`` (the same name is
farmed from another path: chia loads a name once), ``pending`` (delivered less than two rescans ago:
the harvester has not looked yet), else ``not_loaded`` (seen by none of its lists: e.g. a
compression level it may not farm).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from nas.farm.harvester import Harvest

HARVESTED_SUFFIXES = (".plot", ".plot2")  # what chia 2.7.5's harvester globs for in a plot directory


class FarmState(StrEnum):
    """A plot's state against the harvester; the values are the JSON's."""

    FARMED = "farmed"
    PENDING = "pending"
    FAILED_TO_OPEN = "failed_to_open"
    NO_KEY = "no_key"
    NO_DIRECTORY = "no_directory"
    DUPLICATE = "duplicate"
    NOT_LOADED = "not_loaded"


NOT_FARMED = (FarmState.FAILED_TO_OPEN, FarmState.NO_KEY, FarmState.NO_DIRECTORY, FarmState.DUPLICATE,
              FarmState.NOT_LOADED)


@dataclass(frozen=True)
class LocalPlot:
    path: str  # resolved, as the harvester names it
    drive: str  # the drive's mount point (resolved)
    delivered: float  # when it arrived: the later of mtime and ctime (the receiver's rename sets ctime)

    @property
    def name(self) -> str:
        return os.path.basename(self.path)


@dataclass(frozen=True)
class FarmCheck:
    states: dict[str, FarmState]  # local plot path -> state
    drives: dict[str, str]  # local plot path -> drive
    foreign: tuple[str, ...]  # farmed, not on a plotyard drive
    duplicates: tuple[str, ...]  # names with two copies where the harvester looks
    unknown_dirs: tuple[str, ...]  # drives (with plots) not in plot_directories

    def counts(self) -> dict[str, int]:
        found = Counter(self.states.values())
        return {state.value: found[state] for state in FarmState}

    @property
    def not_farmed(self) -> int:
        return sum(1 for s in self.states.values() if s in NOT_FARMED)


def watched(drive: str, directories: Iterable[str], recursive: bool) -> bool:
    """Whether the harvester scans ``drive`` (paths resolved)."""
    return any(drive == d or (recursive and drive.startswith(d.rstrip("/") + "/")) for d in directories)


def compare(plots: Sequence[LocalPlot], harvest: Harvest, now: float, interval: float,
            recursive: bool = False, drives: Sequence[str] = ()) -> FarmCheck:
    """``drives``: every drive's resolved mount point (an empty drive the harvester ignores counts too)."""
    farmed = set(harvest.farmed)
    farmed_names = Counter(os.path.basename(p) for p in farmed)
    failed, no_key = set(harvest.failed), set(harvest.no_key)
    dirs = [os.path.normpath(d) for d in harvest.directories]
    states = {p.path: _state(p, farmed, farmed_names, failed, no_key, dirs, recursive, now, interval)
              for p in plots}
    local = {p.path for p in plots}
    seen = Counter(p.name for p in plots if watched(p.drive, dirs, recursive))
    seen.update(os.path.basename(p) for p in farmed - local)
    unknown = sorted(d for d in {*drives, *(p.drive for p in plots)} if not watched(d, dirs, recursive))
    return FarmCheck(states=states, drives={p.path: p.drive for p in plots},
                     foreign=tuple(sorted(farmed - local)),
                     duplicates=tuple(sorted(n for n, c in seen.items() if c > 1)), unknown_dirs=tuple(unknown))


def _state(plot: LocalPlot, farmed: set[str], farmed_names: Counter[str], failed: set[str], no_key: set[str],
           dirs: list[str], recursive: bool, now: float, interval: float) -> FarmState:
    if plot.path in farmed:
        return FarmState.FARMED
    if plot.path in failed:
        return FarmState.FAILED_TO_OPEN
    if plot.path in no_key:
        return FarmState.NO_KEY
    if not watched(plot.drive, dirs, recursive):
        return FarmState.NO_DIRECTORY
    if farmed_names[plot.name]:
        return FarmState.DUPLICATE
    # One rescan may have started just before the delivery, and the next takes its own time.
    if now - plot.delivered < 2 * interval:
        return FarmState.PENDING
    return FarmState.NOT_LOADED


def harvested(name: str) -> bool:
    return name.endswith(HARVESTED_SUFFIXES) and not name.startswith("._")
