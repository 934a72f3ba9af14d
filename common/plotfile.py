"""Plot file names and headers: the one definition both roles use.

A plot is ``plot-k<k>-[c<level>-][<YYYY-MM-DD-HH-MM>-]<64 hex id>.plot``. Its header
is either v1 (``Proof of Space Plot``, chiapos/madMAx) or v2 (``PLOT`` magic,
bladebit, optionally compressed). Size is never assumed: any k, any level.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path

from common.errors import PlotFileError

PLOT_NAME_RE = re.compile(
    r"plot-k(?P<k>\d{2})-(?:c(?P<level>\d{2})-)?"
    r"(?:(?P<date>\d{4}-\d{2}-\d{2}-\d{2}-\d{2})-)?"
    r"(?P<id>[0-9a-f]{64})\.plot"
)
# A cheaper net for "this looks like a plot" so that broken names get reported.
PLOT_LIKE_RE = re.compile(r"plot-.*\.plot")

V1_MAGIC = b"Proof of Space Plot"
V2_MAGIC = b"PLOT"
HEADER_READ_SIZE = 512
MIN_K, MAX_K = 18, 50
MAX_LEVEL = 33


@dataclass(frozen=True)
class PlotName:
    name: str
    k: int
    level: int  # 0 = uncompressed
    date: str | None
    plot_id: str


@dataclass(frozen=True)
class PlotHeader:
    version: int  # 1 or 2
    plot_id: str
    k: int
    level: int


def parse_name(name: str) -> PlotName:
    """Validate a plot file name; raise :class:`PlotFileError` if it is not one."""
    m = PLOT_NAME_RE.fullmatch(name)
    if m is None:
        raise PlotFileError(f"not a plot file name: {name!r}")
    k = int(m.group("k"))
    level = int(m.group("level") or 0)
    if not MIN_K <= k <= MAX_K:
        raise PlotFileError(f"{name}: k{k} is outside k{MIN_K}..k{MAX_K}")
    if m.group("level") is not None and not 1 <= level <= MAX_LEVEL:
        raise PlotFileError(f"{name}: compression level c{level:02d} is outside c01..c{MAX_LEVEL}")
    return PlotName(name, k, level, m.group("date"), m.group("id"))


def is_plot_name(name: str) -> bool:
    try:
        parse_name(name)
    except PlotFileError:
        return False
    return True


def parse_header(data: bytes) -> PlotHeader:
    """Decode the start of a plot file (pure; see :func:`read_header`)."""
    try:
        if data.startswith(V1_MAGIC):
            offset = len(V1_MAGIC)
            plot_id = data[offset:offset + 32]
            k = data[offset + 32]
            (desc_len,) = struct.unpack_from(">H", data, offset + 33)
            desc = data[offset + 35:offset + 35 + desc_len]
            if len(plot_id) != 32 or len(desc) != desc_len:
                raise IndexError
            return PlotHeader(1, plot_id.hex(), k, 0)
        if data.startswith(V2_MAGIC):
            (version,) = struct.unpack_from("<I", data, 4)
            plot_id = data[8:40]
            k = data[40]
            (memo_len,) = struct.unpack_from(">H", data, 41)
            flags_at = 43 + memo_len
            (flags,) = struct.unpack_from("<I", data, flags_at)
            level = data[flags_at + 4] if flags & 1 else 0
            if version != 2 or len(plot_id) != 32:
                raise PlotFileError(f"unsupported v2 plot version {version}")
            return PlotHeader(2, plot_id.hex(), k, level)
    except (IndexError, struct.error):
        raise PlotFileError("plot header is truncated") from None
    raise PlotFileError("no plot header (neither 'Proof of Space Plot' nor 'PLOT')")


def read_header(path: Path) -> PlotHeader:
    try:
        with open(path, "rb") as handle:
            data = handle.read(HEADER_READ_SIZE)
    except OSError as exc:
        raise PlotFileError(f"{path}: cannot read header: {exc.strerror}") from None
    try:
        return parse_header(data)
    except PlotFileError as exc:
        raise PlotFileError(f"{path.name}: {exc}") from None


def check_header_matches(name: PlotName, header: PlotHeader) -> None:
    """The header must describe the plot the name claims to be."""
    if header.plot_id != name.plot_id:
        raise PlotFileError(f"{name.name}: header id {header.plot_id[:12]}… differs from the name's id")
    if header.k != name.k:
        raise PlotFileError(f"{name.name}: header says k{header.k}, name says k{name.k}")
    if header.level != name.level and name.level:
        raise PlotFileError(f"{name.name}: header says c{header.level:02d}, name says c{name.level:02d}")


def validate_plot(path: Path) -> tuple[PlotName, PlotHeader]:
    """Name and header checks together, as used before sending or counting."""
    name = parse_name(path.name)
    header = read_header(path)
    check_header_matches(name, header)
    return name, header
