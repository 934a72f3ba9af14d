"""v1 plots (``Proof of Space Plot``): chiapos, madMAx, bladebit without compression.

Header (chiapos ``WriteHeader``): magic (19 bytes), plot id (32), k (1), format
description length (u16 BE) and text, memo length (u16 BE) and memo, then ten
u64 BE table pointers: P1..P7, C1, C2, C3. The pointers are zero until the plotter
fills them in at the end, so a file carrying zeros is unfinished.

The size bound (``end``): the header gives where each table starts but not its
length. chiapos and madMAx write C1, C2, C3 last and in that order; C1 holds one
k-bit (byte-aligned) checkpoint per C3 park plus a zero terminator, and every C3 park
is written at its full fixed size, so the file ends exactly at
``C3 + (C1 entries) * C3 park size``, where C1 entries = (C2 - C1) / entry size - 1.
When the tables lie in another order (bladebit's disk plotter puts C1..C3 first),
the bound is the start of the table that lies last plus one park of that table.
"""

from __future__ import annotations

import struct

from common.plotformat.base import VERSION_V1, PlotHeader, ReadAt, inconsistent, unfinished

MAGIC = b"Proof of Space Plot"
TABLES = 10
C1, C2, C3 = 7, 8, 9  # indexes into the pointer list (P1..P7 are 0..6)
P7 = 6
ENTRIES_PER_PARK = 2048
CHECKPOINT1_INTERVAL = 10_000


def parse(data: bytes, read_at: ReadAt) -> PlotHeader:
    at = len(MAGIC)
    plot_id = data[at:at + 32]
    k = data[at + 32]
    (desc_len,) = struct.unpack_from(">H", data, at + 33)
    memo_at = at + 35 + desc_len
    (memo_len,) = struct.unpack_from(">H", data, memo_at)
    pointers_at = memo_at + 2 + memo_len
    pointers = struct.unpack_from(f">{TABLES}Q", data, pointers_at)
    if len(plot_id) != 32:
        raise IndexError
    return PlotHeader(VERSION_V1, plot_id.hex(), k, 0, layout_end(k, pointers, pointers_at + 8 * TABLES))


def layout_end(k: int, pointers: tuple[int, ...], header_end: int) -> int:
    """The least file size the table pointers allow (see the module docstring). Pure."""
    if 0 in pointers:
        raise unfinished("table pointers")
    if min(pointers) < header_end:
        raise inconsistent(f"a table starts at {min(pointers)}, inside the {header_end}-byte header")
    order = sorted(range(TABLES), key=lambda i: pointers[i])
    last = order[-1]
    if order[-3:] == [C1, C2, C3]:
        c1_entries = (pointers[C2] - pointers[C1]) // _byte_align(k) - 1
        if c1_entries >= 1:
            return pointers[C3] + c1_entries * c3_park_bytes(k)
    return pointers[last] + park_bytes(k, last)


def c3_park_bytes(k: int) -> int:
    """chiapos ``CalculateC3Size``: small k gets a byte per delta for the extra variance."""
    return _byte_align(8 * CHECKPOINT1_INTERVAL) if k < 20 else _byte_align(int(2.4 * CHECKPOINT1_INTERVAL))


def park_bytes(k: int, table: int) -> int:
    """Bytes of one park of ``table`` (pointer index): every table holds at least one."""
    if table in (C1, C2):
        return _byte_align(k)
    if table == C3:
        return c3_park_bytes(k)
    if table == P7:
        return _byte_align((k + 1) * ENTRIES_PER_PARK)
    average_delta = 5.6 if table == 0 else 3.5
    return (_byte_align(2 * k) + _byte_align((ENTRIES_PER_PARK - 1) * (k - 3))
            + _byte_align(int((ENTRIES_PER_PARK - 1) * average_delta)))


def _byte_align(bits: int) -> int:
    """Bits rounded up to whole bytes, in bytes."""
    return (bits + 7) // 8
