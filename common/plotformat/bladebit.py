"""v2 plots (``PLOT`` magic): bladebit, optionally compressed.

Header (bladebit ``PlotWriter``): magic ``PLOT`` (4), version u32 LE (2), plot id (32),
k (1), memo length (u16 BE) and memo, flags u32 LE (bit 0: compressed), the
compression level (1 byte, only when compressed), ten u64 BE table pointers and ten
u64 table sizes (written in the plotter's byte order: little-endian on every machine
bladebit runs on). Pointers and sizes stay zero until the plot is finished.

The size bound (``end``): the header gives every table's start and length, so the
file must reach the furthest ``pointer + size`` of the tables it has (compressed plots
drop some tables: their size is zero).
"""

from __future__ import annotations

import struct

from common.errors import PlotContentError
from common.plotformat.base import VERSION_V2, PlotHeader, ReadAt, inconsistent, unfinished

MAGIC = b"PLOT"
FORMAT_VERSION = 2
TABLES = 10
FLAG_COMPRESSED = 1


def parse(data: bytes, read_at: ReadAt) -> PlotHeader:
    (version,) = struct.unpack_from("<I", data, 4)
    if version != FORMAT_VERSION:
        raise PlotContentError(f"unsupported v2 plot version {version}")
    plot_id = data[8:40]
    k = data[40]
    (memo_len,) = struct.unpack_from(">H", data, 41)
    flags_at = 43 + memo_len
    (flags,) = struct.unpack_from("<I", data, flags_at)
    compressed = bool(flags & FLAG_COMPRESSED)
    level = data[flags_at + 4] if compressed else 0
    pointers_at = flags_at + 4 + (1 if compressed else 0)
    pointers = struct.unpack_from(f">{TABLES}Q", data, pointers_at)
    sizes = struct.unpack_from(f"<{TABLES}Q", data, pointers_at + 8 * TABLES)
    if len(plot_id) != 32:
        raise IndexError
    return PlotHeader(VERSION_V2, plot_id.hex(), k, level, layout_end(pointers, sizes, pointers_at + 16 * TABLES))


def layout_end(pointers: tuple[int, ...], sizes: tuple[int, ...], header_end: int) -> int:
    """The furthest table end the header records. Pure."""
    tables = [(p, s) for p, s in zip(pointers, sizes, strict=True) if s]
    if not tables:
        raise unfinished("table sizes")
    if any(p < header_end for p, _ in tables):
        raise inconsistent(f"a table starts inside the {header_end}-byte header")
    return max(p + s for p, s in tables)
