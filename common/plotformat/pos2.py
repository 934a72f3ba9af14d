"""PoS2 plots (CHIP-48), as chia_rs writes them; chia-blockchain names them ``.plot2``.

Two layouts, told apart by the magic (all integers little-endian):

``pos2``, version 1 (chia_rs 0.48, chia-pos2 0.6 ``PlotFile``): magic (4), version (1),
plot id (32), k (1), strength (1), plot index (u16), meta group (1), memo length (1)
and memo, then the chunk count (u64), one u64 absolute offset per chunk, and the
chunks, each a u64 length followed by that many bytes. The offsets are written as
zeros first and filled in when every chunk is on disk.
Size bound: the end of the last chunk, ``last offset + 8 + its length`` (two small
reads: the last offset, then the length stored there). That is the file's end.

``PoS2``, version 2 (chia_rs >= 0.53, ``PlotGroupFile``): a packed 51-byte header:
magic (4), version (1), plot group id (32), k (1), strength (1), group size (u16),
meta group (1), chunk index offset (u64), memo length (1), then the memo and the
chunks; the compressed chunk index runs from ``chunk index offset`` to the end of the
file. The offset is zero until the last chunk is written.
Size bound: the chunks end at the chunk index offset and the index after them is not
empty; its length is recorded nowhere, so the file must be longer than that offset
(the same check the library's own reader makes).

chia_rs writes a PoS2 plot under its final name: a short or zero-offset file may be
one still being written, hence :class:`PlotIncompleteError` for those.
"""

from __future__ import annotations

import struct

from common.errors import PlotContentError, PlotIncompleteError
from common.plotformat.base import VERSION_POS2, PlotHeader, ReadAt, inconsistent, read_u64, unfinished

MAGIC_V1 = b"pos2"
MAGIC_V2 = b"PoS2"
MAGICS = (MAGIC_V1, MAGIC_V2)
ID_AT, K_AT = 5, 37
V1_MEMO_LEN_AT = 42
V2_INDEX_OFFSET_AT, V2_MEMO_LEN_AT = 42, 50
MAX_CHUNKS = 1 << 24  # far above any k32 plot; guards a garbage count


def parse(data: bytes, read_at: ReadAt) -> PlotHeader:
    version = data[4]
    if (data[:4], version) == (MAGIC_V1, 1):
        end = _v1_end(data, read_at)
    elif (data[:4], version) == (MAGIC_V2, 2):
        end = _v2_end(data)
    else:
        raise PlotContentError(f"unsupported PoS2 plot version {version} ({data[:4]!r})")
    plot_id = data[ID_AT:ID_AT + 32]
    if len(plot_id) != 32:
        raise IndexError
    return PlotHeader(VERSION_POS2, plot_id.hex(), data[K_AT], None, end)


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
