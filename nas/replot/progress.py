"""Replot figures from the plot files of a drive or a NAS (pure).

v1 is every ``.plot`` (chiapos, madMAx, bladebit, compressed or not); v2 every PoS2 file
(``.plot2``, ``.gplot``), a group counting as its header's group size. "Added" means the
file's mtime (a plot is written once and then only read: its mtime is when it arrived).
The rate is the v2 bytes added in the last 7 days / 7: steadier than one day's.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from common.status.summary import replot_view
from nas.replot.deadline import DAY, Chain, v1_weight, zero_height

RATE_DAYS = 7
RATE_BASIS = "v2 bytes by file mtime in the last 7 days / 7"


class Format(StrEnum):
    V1 = "v1"
    V2 = "v2"


@dataclass(frozen=True)
class PlotFile:
    format: Format
    plots: int  # 1, or a PoS2 group's size
    size: int
    mtime: float


@dataclass(frozen=True)
class Counts:
    v1_plots: int = 0
    v1_bytes: int = 0
    v2_plots: int = 0
    v2_bytes: int = 0
    v2_bytes_24h: int = 0
    v2_bytes_7d: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(a + b for a, b in zip(self.astuple(), other.astuple(), strict=True)))

    def astuple(self) -> tuple[int, ...]:
        return (self.v1_plots, self.v1_bytes, self.v2_plots, self.v2_bytes, self.v2_bytes_24h, self.v2_bytes_7d)

    @property
    def per_day(self) -> float:
        return self.v2_bytes_7d / RATE_DAYS


def count(files: Iterable[PlotFile], now: float) -> Counts:
    total = Counts()
    for f in files:
        if f.format == Format.V1:
            total += Counts(v1_plots=f.plots, v1_bytes=f.size)
        else:
            total += Counts(v2_plots=f.plots, v2_bytes=f.size, v2_bytes_24h=f.size if f.mtime > now - DAY else 0,
                            v2_bytes_7d=f.size if f.mtime > now - RATE_DAYS * DAY else 0)
    return total


@dataclass(frozen=True)
class Deadline:
    """The phase-out as seen now: ``chain`` None when the current height is unknown."""

    fork_height: int
    chain: Chain | None

    @property
    def weight(self) -> float | None:
        return None if self.chain is None else v1_weight(self.chain.height, self.fork_height)

    @property
    def end(self) -> float | None:
        """When v1 plots stop counting (epoch seconds)."""
        return None if self.chain is None else self.chain.time_of(zero_height(self.fork_height))


def days_to_all_v2(c: Counts) -> float | None:
    if c.v1_bytes == 0:
        return 0.0
    return c.v1_bytes / c.per_day if c.per_day > 0 else None


def figures(c: Counts, deadline: Deadline | None, now: float) -> dict[str, Any]:
    """The JSON contract's figures for one drive or the whole NAS."""
    weight = deadline.weight if deadline else None
    end = deadline.end if deadline else None
    fig = {
        "v1_plots": c.v1_plots, "v1_bytes": c.v1_bytes, "v2_plots": c.v2_plots, "v2_bytes": c.v2_bytes,
        "v2_bytes_24h": c.v2_bytes_24h, "v2_bytes_7d": c.v2_bytes_7d, "v2_bytes_per_day": round(c.per_day, 1),
        "days_to_all_v2": _round(days_to_all_v2(c)), "v1_weight": weight,
        "effective_bytes": None if weight is None else round(c.v1_bytes * weight) + c.v2_bytes,
        "phase_out_end": None if end is None else _date(end),
        **_at_end(c, end, now),
    }
    view = replot_view(fig)
    assert view is not None
    return {**fig, "on_track": view.on_track, "behind_days": view.behind_days}


def _at_end(c: Counts, end: float | None, now: float) -> dict[str, Any]:
    """The effective size when v1 stops counting, if the v2 bytes keep coming at the rate and
    replace v1 bytes one for one."""
    if end is None:
        return {"effective_bytes_at_end": None, "days_to_phase_out_end": None}
    left = max(0.0, (end - now) / DAY)
    return {"effective_bytes_at_end": c.v2_bytes + min(c.v1_bytes, round(c.per_day * left)),
            "days_to_phase_out_end": round(left, 2)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _date(epoch: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(epoch))
