"""Per-plot framing on a session's data connection (protocol 4).

A session keeps one data connection open for all the plots it carries. Each plot's bytes are
preceded by a header naming the plot's place in the session and its size, both of which the NAS
announced in its "ready": bytes that do not line up with the offer being received (a plotter that
lost count, a stream cut short and resumed) end the session instead of landing in a plot.
"""

from __future__ import annotations

import struct

from common.errors import ProtocolError

MAGIC = b"PYD4"
HEADER = struct.Struct(">4sQQ")  # magic, the plot's sequence number in the session, its size
SIZE = HEADER.size
MAX_SEQ = 2**63 - 1


def header(seq: int, size: int) -> bytes:
    return HEADER.pack(MAGIC, seq, size)


def check(raw: bytes, seq: int, size: int) -> None:
    """Raise :class:`ProtocolError` unless ``raw`` is the header of plot ``seq`` of ``size`` bytes."""
    if len(raw) != SIZE:
        raise ProtocolError(f"the data connection ended inside a frame header ({len(raw)} of {SIZE} bytes)")
    magic, got_seq, got_size = HEADER.unpack(raw)
    if magic != MAGIC:
        raise ProtocolError("the data connection sent something that is not a plot frame")
    if (got_seq, got_size) != (seq, size):
        raise ProtocolError(f"the data connection sent plot {got_seq} of {got_size} bytes, "
                            f"expected plot {seq} of {size} bytes")
