"""Plot headers and their layouts: one module per format, one entry point here.

:func:`parse_header` decodes the start of a file (and, where a format needs it, a
few bytes further in) into a :class:`PlotHeader` whose ``end`` is the least size the
file must have; :func:`check_size` compares it with the file's real size.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

from common.errors import PlotContentError, PlotFileError, PlotIncompleteError
from common.plotformat import bladebit, chiapos, pos2
from common.plotformat.base import (
    FAMILIES,
    VERSION_GPLOT,
    VERSION_POS2,
    VERSION_V1,
    VERSION_V2,
    PlotHeader,
    ReadAt,
    bytes_reader,
)

__all__ = ["FAMILIES", "HEADER_READ_SIZE", "VERSION_GPLOT", "VERSION_POS2", "VERSION_V1", "VERSION_V2", "PlotHeader",
           "check_size", "parse_header", "read_header"]

# Every format's fixed fields, memo included, fit well inside this.
HEADER_READ_SIZE = 512


def parse_header(data: bytes, read_at: ReadAt | None = None) -> PlotHeader:
    """Decode a plot header; ``read_at`` reads further into the file (default: ``data``)."""
    read = bytes_reader(data) if read_at is None else read_at
    try:
        if data.startswith(chiapos.MAGIC):
            return chiapos.parse(data, read)
        if data.startswith(bladebit.MAGIC):
            return bladebit.parse(data, read)
        if data[:4] in pos2.MAGICS:
            return pos2.parse(data, read)
    except (IndexError, struct.error):
        raise PlotIncompleteError("plot header is truncated") from None
    raise PlotContentError("no plot header (neither 'Proof of Space Plot', 'PLOT', 'pos2' nor 'PoS2')")


def read_header(path: Path) -> PlotHeader:
    try:
        with open(path, "rb") as handle:
            data = handle.read(HEADER_READ_SIZE)
            return parse_header(data, lambda offset, size: os.pread(handle.fileno(), size, offset))
    except OSError as exc:
        raise PlotFileError(f"{path}: cannot read header: {exc.strerror}") from None
    except PlotFileError as exc:
        raise type(exc)(f"{path.name}: {exc}") from None


def check_size(header: PlotHeader, size: int) -> None:
    """The file must reach the end of the last table or chunk its header describes."""
    if size < header.end:
        raise PlotIncompleteError(f"the file is {size} bytes but its {header.family} header's layout "
                                  f"needs at least {header.end} (truncated or unfinished)")
