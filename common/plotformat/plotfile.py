"""Plot file names, and the checks both roles make on a plot before trusting it.

A plot is ``plot-k<k>-[c<level>-][<YYYY-MM-DD-HH-MM>-]<64 hex id>.plot`` (v1 header:
chiapos/madMAx; v2: bladebit ``PLOT``, optionally compressed) or, for the new proof
format (CHIP-48, "PoS2"), ``plot-k<k>-<64 hex id>.plot2`` as chia-blockchain names
it: no level, no date, an even k from 18 to 32. Headers and their layouts live in
:mod:`common.plotformat`. Size is never assumed: any k, any level.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from common.errors import PlotContentError, PlotFileError
from common.plotformat import (
    HEADER_READ_SIZE,
    VERSION_POS2,
    PlotHeader,
    check_size,
    parse_header,
    read_header,
)

__all__ = ["HEADER_READ_SIZE", "PLOT_LIKE_RE", "PLOT_NAME_RE", "PLOT_SUFFIXES", "PlotHeader", "PlotName",
           "check_header_matches", "check_plot_file", "is_plot_name", "parse_header", "parse_name",
           "read_header", "validate_plot"]

# [0-9], not \d: \d also takes Unicode digits, and int() reads them, so
# "plot-k\u0661\u0668-..." (Arabic-Indic 18) would pass as a k18 plot.
PLOT_NAME_RE = re.compile(
    r"plot-k(?P<k>[0-9]{2})-(?:c(?P<level>[0-9]{2})-)?"
    r"(?:(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2})-)?"
    r"(?P<id>[0-9a-f]{64})\.plot",
    re.ASCII,
)
PLOT2_NAME_RE = re.compile(r"plot-k(?P<k>[0-9]{2})-(?P<id>[0-9a-f]{64})\.plot2", re.ASCII)
# A cheaper net for "this looks like a plot" so that broken names get reported.
PLOT_LIKE_RE = re.compile(r"plot-.*\.plot2?")
PLOT_SUFFIXES = (".plot", ".plot2")

MIN_K, MAX_K = 18, 50
POS2_MIN_K, POS2_MAX_K = 18, 32  # chia_rs refuses other sizes, and odd ones
MAX_LEVEL = 33


@dataclass(frozen=True)
class PlotName:
    name: str
    k: int
    level: int  # 0 = uncompressed (and always 0 for PoS2)
    date: str | None
    plot_id: str
    pos2: bool = False  # a ``.plot2`` name: the file must hold a PoS2 header


def parse_name(name: str) -> PlotName:
    """Validate a plot file name; raise :class:`PlotFileError` if it is not one."""
    if m := PLOT2_NAME_RE.fullmatch(name):
        return _pos2_name(name, int(m.group("k")), m.group("id"))
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


def _pos2_name(name: str, k: int, plot_id: str) -> PlotName:
    if not POS2_MIN_K <= k <= POS2_MAX_K or k % 2:
        raise PlotFileError(f"{name}: k{k} is not a PoS2 size (even, k{POS2_MIN_K}..k{POS2_MAX_K})")
    return PlotName(name, k, 0, None, plot_id, pos2=True)


def is_plot_name(name: str) -> bool:
    try:
        parse_name(name)
    except PlotFileError:
        return False
    return True


def check_header_matches(name: PlotName, header: PlotHeader) -> None:
    """The header must describe the plot the name claims to be."""
    if name.pos2 != (header.version == VERSION_POS2):
        suffix = ".plot2" if name.pos2 else ".plot"
        raise PlotContentError(f"{name.name}: a {header.family} header under a {suffix} name")
    if header.plot_id != name.plot_id:
        raise PlotContentError(f"{name.name}: header id {header.plot_id[:12]}… differs from the name's id")
    if header.k != name.k:
        raise PlotContentError(f"{name.name}: header says k{header.k}, name says k{name.k}")
    if name.level and header.level != name.level:
        raise PlotContentError(f"{name.name}: header says c{header.level or 0:02d}, name says c{name.level:02d}")


def check_plot_file(path: Path, name: PlotName) -> PlotHeader:
    """The file at ``path`` (any file name: the NAS checks its ``.part``) is the plot
    ``name`` claims: its header agrees with the name and it is as long as its layout."""
    header = read_header(path)
    try:
        check_header_matches(name, header)
        size = os.stat(path).st_size
    except OSError as exc:
        raise PlotFileError(f"{path}: cannot stat: {exc.strerror}") from None
    try:
        check_size(header, size)
    except PlotFileError as exc:
        raise type(exc)(f"{name.name}: {exc}") from None
    return header


def validate_plot(path: Path) -> tuple[PlotName, PlotHeader]:
    """Name, header and size checks together, as used before sending or counting."""
    name = parse_name(path.name)
    return name, check_plot_file(path, name)
