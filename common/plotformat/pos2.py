"""PoS2 plots (CHIP-48), as chia_rs writes them.

Two layouts, told apart by the magic (all integers little-endian), each with its own file
name (:mod:`common.plotformat.plotfile`); neither format's reader reads the other:

``pos2``, version 1, ``.plot2`` (chia_rs 0.48-0.52, chia-pos2 0.6 ``PlotFile``; what
chia-blockchain 2.7.5 farms): one plot per file. Magic (4), version (1),
plot id (32), k (1), strength (1), plot index (u16), meta group (1), memo length (1)
and memo, then the chunk count (u64), one u64 absolute offset per chunk, and the
chunks, each a u64 length followed by that many bytes. The offsets are written as
zeros first and filled in when every chunk is on disk.
Size bound: the end of the last chunk, ``last offset + 8 + its length`` (two small
reads: the last offset, then the length stored there). That is the file's end.

``PoS2``, version 2, ``.gplot`` (chia_rs >= 0.53 ``PlotGroupFile``; chia-blockchain PR
#21396 farms ``*.gplot``): a plot *group* in one file, its members the plot indexes
0..group size - 1 (no index in the header). A packed 51-byte header: magic (4),
version (1), plot group id (32), k (1), strength (1), group size (u16), meta group (1),
chunk index offset (u64), memo length (1), then the memo and the chunks; the compressed
chunk index runs from ``chunk index offset`` to the end of the file. The offset is zero
until the last chunk is written.
Size bound: the chunks end at the chunk index offset and the index after them is not
empty; its length is recorded nowhere, so the file must be longer than that offset. A
cut inside the index shows only when chia_rs decodes it (:mod:`common.plotformat.library`).

chia_rs writes a PoS2 plot under its final name and fills in the offsets last: a file
whose offsets are still zero is being written (:class:`PlotUnfinishedError`, via
:func:`~common.plotformat.base.unfinished`); one whose offsets are set but whose data is
short was cut short (:class:`PlotIncompleteError`).
"""

from __future__ import annotations

import struct

from common.errors import PlotContentError, PlotIncompleteError
from common.plotformat.base import (
    VERSION_GPLOT,
    VERSION_POS2,
    PlotHeader,
    ReadAt,
    inconsistent,
    read_u64,
    unfinished,
)

MAGIC_V1 = b"pos2"
MAGIC_V2 = b"PoS2"
MAGICS = (MAGIC_V1, MAGIC_V2)
ID_AT, K_AT, STRENGTH_AT = 5, 37, 38
V1_MEMO_LEN_AT = 42
V1_META_GROUP_AT = 41  # after the u16 plot index at 39
V2_GROUP_SIZE_AT, V2_META_GROUP_AT = 39, 41
V2_INDEX_OFFSET_AT, V2_MEMO_LEN_AT = 42, 50
V2_HEADER_BYTES = 51  # up to the memo: all that counting a group's plots needs
MAX_CHUNKS = 1 << 24  # far above any k32 plot; guards a garbage count


def parse(data: bytes, read_at: ReadAt) -> PlotHeader:
    version = data[4]
    plot_id = data[ID_AT:ID_AT + 32]
    if len(plot_id) != 32:
        raise IndexError
    if (data[:4], version) == (MAGIC_V1, 1):
        return PlotHeader(VERSION_POS2, plot_id.hex(), data[K_AT], None, _v1_end(data, read_at),
                          strength=data[STRENGTH_AT], meta_group=data[V1_META_GROUP_AT])
    if (data[:4], version) == (MAGIC_V2, 2):
        size = group_size(data)
        return PlotHeader(VERSION_GPLOT, plot_id.hex(), data[K_AT], None, _v2_end(data), group_size=size,
                          strength=data[STRENGTH_AT], meta_group=data[V2_META_GROUP_AT])
    raise PlotContentError(f"unsupported PoS2 plot version {version} ({data[:4]!r})")


def first_facts(data: bytes) -> tuple[int, int]:
    """(meta group, plots in the file) from a PoS2 file's first :data:`V2_HEADER_BYTES`: both are
    written before any chunk, so a file still being written has them."""
    if len(data) >= V2_HEADER_BYTES and data[:5] == MAGIC_V2 + b"\x02":
        return data[V2_META_GROUP_AT], group_size(data)
    if len(data) > V1_META_GROUP_AT and data[:5] == MAGIC_V1 + b"\x01":
        return data[V1_META_GROUP_AT], 1
    raise PlotContentError("no PoS2 header" if len(data) >= V2_HEADER_BYTES else "too short for a PoS2 header")


def group_size(data: bytes) -> int:
    """The plots in a ``PoS2`` group file, from its first bytes (the offsets need not be set yet)."""
    (size,) = struct.unpack_from("<H", data, V2_GROUP_SIZE_AT)
    if size == 0:
        raise inconsistent("a plot group of 0 plots")
    return int(size)


def _v1_end(data: bytes, read_at: ReadAt) -> int:
    count_at = V1_MEMO_LEN_AT + 1 + data[V1_MEMO_LEN_AT]
    (chunks,) = struct.unpack_from("<Q", data, count_at)
    if not 1 <= chunks <= MAX_CHUNKS:
        raise inconsistent(f"{chunks} chunks")
    index_end = count_at + 8 + 8 * chunks
    last = read_u64(read_at, index_end - 8)
    if last is None:
        raise PlotIncompleteError(f"the file ends inside its {chunks}-entry chunk index")
    if last == 0:
        raise unfinished("chunk offsets")
    if last < index_end:
        raise inconsistent(f"the last chunk starts at {last}, inside the chunk index")
    length = read_u64(read_at, last)
    return last + 8 + (0 if length is None else length)


def _v2_end(data: bytes) -> int:
    (index_at,) = struct.unpack_from("<Q", data, V2_INDEX_OFFSET_AT)
    chunks_at = V2_MEMO_LEN_AT + 1 + data[V2_MEMO_LEN_AT]
    if index_at == 0:
        raise unfinished("chunk index offset")
    if index_at < chunks_at:
        raise inconsistent(f"the chunk index starts at {index_at}, inside the {chunks_at}-byte header")
    return int(index_at) + 1
