"""What every plot format parser returns, and the small readers they share."""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from common.errors import PlotContentError, PlotUnfinishedError

# Reads ``size`` bytes at ``offset`` of the plot file; fewer (or none) past its end.
ReadAt = Callable[[int, int], bytes]

VERSION_V1 = 1  # "Proof of Space Plot": chiapos, madMAx, bladebit uncompressed
VERSION_V2 = 2  # "PLOT": bladebit, optionally compressed
VERSION_POS2 = 3  # "pos2" version 1: one CHIP-48 plot per file (chia_rs 0.48-0.52), ``.plot2``
VERSION_GPLOT = 4  # "PoS2" version 2: a CHIP-48 plot group in one file (chia_rs >= 0.53), ``.gplot``
FAMILIES = {VERSION_V1: "v1", VERSION_V2: "v2", VERSION_POS2: "pos2", VERSION_GPLOT: "gplot"}


@dataclass(frozen=True)
class PlotHeader:
    """The facts a plot's own header gives (a ``gplot`` file: its group's).

    ``end`` is the least size the file must have: the end of the last table or
    chunk the header describes (each format module says exactly which bound).
    """

    version: int  # VERSION_V1 | VERSION_V2 | VERSION_POS2 | VERSION_GPLOT
    plot_id: str  # for a plot group (``gplot``): the group id
    k: int
    level: int | None  # compression level, 0 = uncompressed; None for PoS2 (no such thing)
    end: int
    group_size: int = 1  # plots in the file: the header's group size for ``gplot``, else 1
    strength: int | None = None  # PoS2 only
    meta_group: int | None = None  # PoS2 only

    @property
    def family(self) -> str:
        return FAMILIES[self.version]


def bytes_reader(data: bytes) -> ReadAt:
    """A :data:`ReadAt` over bytes already in memory (a whole file, or its start)."""
    return lambda offset, size: data[offset:offset + size]


def read_u64(read_at: ReadAt, offset: int) -> int | None:
    """The little-endian u64 at ``offset``, or None when the file ends before it."""
    raw = read_at(offset, 8)
    if len(raw) < 8:
        return None
    (value,) = struct.unpack("<Q", raw)
    return int(value)


def unfinished(what: str) -> PlotUnfinishedError:
    return PlotUnfinishedError(f"{what} in the header not filled in yet (unfinished or cut short)")


def inconsistent(what: str) -> PlotContentError:
    return PlotContentError(f"the header is inconsistent: {what}")
