"""Plot file names, and the checks both roles make on a plot before trusting it.

A plot is ``plot-k<k>-[c<level>-][<YYYY-MM-DD-HH-MM>-]<64 hex id>.plot`` (v1 header:
chiapos/madMAx; v2: bladebit ``PLOT``, optionally compressed) or, for the new proof
format (CHIP-48, "PoS2"), one of two names, each bound to one header: ``plot-k<k>-<64 hex
id>.plot2`` (magic ``pos2`` version 1: one plot, what chia-blockchain 2.7.5 farms) and
``plot-k<k>-<64 hex group id>.gplot`` (magic ``PoS2`` version 2: a plot group, chia_rs
>= 0.53). No level, no date, an even k from 18 to 32. Headers and their layouts live in
:mod:`common.plotformat`. Size is never assumed: any k, any level.

A ``.plot2`` name holding a ``PoS2`` (group) header is refused as a mismatch, not
accepted: chia-blockchain 2.7.5 reads ``.plot2`` files with the version 1 reader, which
cannot read a group file, so such a file (from a chia_rs 0.53 test build) would land on
a drive and never farm. The reason says to rename it to ``.gplot`` (its id is the group id).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from common.errors import PlotContentError, PlotFileError
from common.plotformat import (
    HEADER_READ_SIZE,
    VERSION_GPLOT,
    VERSION_POS2,
    VERSION_V1,
    VERSION_V2,
    PlotHeader,
    check_size,
    parse_header,
    pos2,
    read_header,
)
from common.plotformat.library import check_with_library

__all__ = ["HEADER_READ_SIZE", "PLOT_LIKE_RE", "PLOT_NAME_RE", "PLOT_SUFFIXES", "PlotHeader", "PlotKind",
           "PlotName", "check_header_matches", "check_plot_file", "is_plot_name", "parse_header", "parse_name",
           "plots_in_file", "read_header", "read_pos2_facts", "validate_plot"]

# [0-9], not \d: \d also takes Unicode digits, and int() reads them, so
# "plot-k\u0661\u0668-..." (Arabic-Indic 18) would pass as a k18 plot.
PLOT_NAME_RE = re.compile(
    r"plot-k(?P<k>[0-9]{2})-(?:c(?P<level>[0-9]{2})-)?"
    r"(?:(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2})-)?"
    r"(?P<id>[0-9a-f]{64})\.plot",
    re.ASCII,
)
PLOT2_NAME_RE = re.compile(r"plot-k(?P<k>[0-9]{2})-(?P<id>[0-9a-f]{64})\.(?P<suffix>plot2|gplot)", re.ASCII)
# A cheaper net for "this looks like a plot" so that broken names get reported.
PLOT_LIKE_RE = re.compile(r"plot-.*\.(?:plot2?|gplot)")
PLOT_SUFFIXES = (".plot", ".plot2", ".gplot")


class PlotKind(StrEnum):
    """What a plot's name says it is; the value is its suffix."""

    PLOT = "plot"  # v1 or v2 header (chiapos, madMAx, bladebit)
    PLOT2 = "plot2"  # ``pos2`` version 1: one PoS2 plot
    GPLOT = "gplot"  # ``PoS2`` version 2: a PoS2 plot group


# The header versions each name may carry.
KIND_VERSIONS = {PlotKind.PLOT: (VERSION_V1, VERSION_V2), PlotKind.PLOT2: (VERSION_POS2,),
                 PlotKind.GPLOT: (VERSION_GPLOT,)}
HEADER_WORDS = {VERSION_V1: "a v1", VERSION_V2: "a v2", VERSION_POS2: "a pos2 (version 1, one plot)",
                VERSION_GPLOT: "a PoS2 (version 2, plot group)"}

MIN_K, MAX_K = 18, 50
POS2_MIN_K, POS2_MAX_K = 18, 32  # chia_rs refuses other sizes, and odd ones
MAX_LEVEL = 33


@dataclass(frozen=True)
class PlotName:
    name: str
    k: int
    level: int  # 0 = uncompressed (and always 0 for PoS2)
    date: str | None
    plot_id: str  # for a ``.gplot``: the plot group id
    kind: PlotKind = PlotKind.PLOT

    @property
    def pos2(self) -> bool:
        """The new proof format (``.plot2`` or ``.gplot``): written in place under this name."""
        return self.kind != PlotKind.PLOT

    @property
    def group(self) -> bool:
        return self.kind == PlotKind.GPLOT


def parse_name(name: str) -> PlotName:
    """Validate a plot file name; raise :class:`PlotFileError` if it is not one."""
    if m := PLOT2_NAME_RE.fullmatch(name):
        return _pos2_name(name, int(m.group("k")), m.group("id"), PlotKind(m.group("suffix")))
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


def _pos2_name(name: str, k: int, plot_id: str, kind: PlotKind) -> PlotName:
    if not POS2_MIN_K <= k <= POS2_MAX_K or k % 2:
        raise PlotFileError(f"{name}: k{k} is not a PoS2 size (even, k{POS2_MIN_K}..k{POS2_MAX_K})")
    return PlotName(name, k, 0, None, plot_id, kind)


def is_plot_name(name: str) -> bool:
    try:
        parse_name(name)
    except PlotFileError:
        return False
    return True


def check_header_matches(name: PlotName, header: PlotHeader) -> None:
    """The header must describe the plot the name claims to be."""
    if header.version not in KIND_VERSIONS[name.kind]:
        raise PlotContentError(f"{name.name}: {HEADER_WORDS[header.version]} header under a .{name.kind} name"
                               f"{_rename_hint(name, header)}")
    if header.plot_id != name.plot_id:
        raise PlotContentError(f"{name.name}: header id {header.plot_id[:12]}… differs from the name's id")
    if header.k != name.k:
        raise PlotContentError(f"{name.name}: header says k{header.k}, name says k{name.k}")
    if name.level and header.level != name.level:
        raise PlotContentError(f"{name.name}: header says c{header.level or 0:02d}, name says c{name.level:02d}")


def _rename_hint(name: PlotName, header: PlotHeader) -> str:
    if name.kind == PlotKind.PLOT2 and header.version == VERSION_GPLOT:
        return " (chia reads .plot2 files as version 1 and would not farm it: rename it to .gplot)"
    return ""


def plots_in_file(path: Path, name: PlotName) -> int:
    """How many plots the file holds: its header's group size for a ``.gplot`` (the first
    51 bytes: readable while it is still being written), else 1. Raises :class:`PlotFileError`."""
    if name.kind != PlotKind.GPLOT:
        return 1
    try:
        with open(path, "rb") as handle:
            data = handle.read(pos2.V2_HEADER_BYTES)
    except OSError as exc:
        raise PlotFileError(f"{path}: cannot read header: {exc.strerror}") from None
    if len(data) < pos2.V2_HEADER_BYTES or data[:5] != pos2.MAGIC_V2 + b"\x02":
        raise PlotContentError(f"{path.name}: no PoS2 version 2 header")
    return pos2.group_size(data)


def read_pos2_facts(path: Path) -> tuple[int, int]:
    """(meta group, plots) of a PoS2 file (``.plot2`` or ``.gplot``), from its first 51 bytes: one
    read, readable while the file is still being written. Raises :class:`PlotFileError`."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(pos2.V2_HEADER_BYTES)
    except OSError as exc:
        raise PlotFileError(f"{path}: cannot read header: {exc.strerror}") from None
    try:
        return pos2.first_facts(data)
    except PlotFileError as exc:
        raise type(exc)(f"{path.name}: {exc}") from None


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
        if name.group:
            check_with_library(path, header)  # a cut inside the chunk index shows only there
    except PlotFileError as exc:
        raise type(exc)(f"{name.name}: {exc}") from None
    return header


def validate_plot(path: Path) -> tuple[PlotName, PlotHeader]:
    """Name, header and size checks together, as used before sending or counting."""
    name = parse_name(path.name)
    return name, check_plot_file(path, name)
