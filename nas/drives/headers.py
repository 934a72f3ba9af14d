"""One scan of a drive's plot files (I/O edge): each listed, named and stat'ed once per call, and
each PoS2 file's header (its first 51 bytes: meta group and, for a ``.gplot``, the group size,
there before any chunk) read once ever.

The headers are kept in the state (:class:`nas.state.Store`) by name and inode. A drive of 1 GB
plots holds about 18,000 of them, and ``check``, ``status``, the live view, every metrics scrape,
offers and placements ask about every drive: on a cold HDD each header is a random read, and a
spun-down drive would be woken for it. A header never changes, and a new file under the name is a
new inode, so name and inode are the key (the listing gives the inode). A file whose header cannot
be read yet (a hand copy under way, a file cut short) is not kept and is read again next time;
when the state cannot be written, the headers are read again next time: a warning, never a failure.
One scan serves the inventory, the replot figures and the meta groups of a check.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from common.errors import AppError, PlotFileError
from common.plotformat.plotfile import PlotKind, parse_name, read_pos2_facts
from nas.state import Pos2Facts, Store

log = logging.getLogger(__name__)


class PlotEntry(NamedTuple):
    """A plot file on a drive, as one scan saw it."""

    name: str
    pos2: bool  # a .plot2 or .gplot file
    size: int
    mtime: float
    plots: int  # a .gplot group's size (1 while its header cannot be read); 1 for any other file
    meta_group: int | None  # PoS2 only, from the header


def scan_plots(mountpoint: Path, store: Store | None) -> list[PlotEntry]:
    """Every plot file on the drive. Without ``store`` every PoS2 header is read. Raises OSError
    when the drive cannot be listed."""
    known = store.pos2_headers(mountpoint) if store is not None else {}
    read: dict[str, Pos2Facts] = {}
    found: list[PlotEntry] = []
    with os.scandir(mountpoint) as listing:
        for entry in listing:
            seen = _one(entry, known, read)
            if seen is not None:
                found.append(seen)
    gone = known.keys() - {e.name for e in found if e.pos2}
    if store is not None and (read or gone):
        _remember(store, mountpoint, read, gone)
    return found


def _one(entry: os.DirEntry[str], known: dict[str, Pos2Facts], read: dict[str, Pos2Facts]) -> PlotEntry | None:
    try:
        kind = parse_name(entry.name).kind
        if not entry.is_file(follow_symlinks=False):
            return None
        st = entry.stat(follow_symlinks=False)
    except (PlotFileError, FileNotFoundError):
        return None  # no plot name, or removed meanwhile
    if kind == PlotKind.PLOT:
        return PlotEntry(entry.name, False, st.st_size, st.st_mtime, 1, None)
    facts = known.get(entry.name)
    if facts is None or facts.inode != entry.inode():
        try:
            meta_group, plots = read_pos2_facts(Path(entry.path))
        except PlotFileError:  # unreadable now: one plot that claims no meta group, read again next time
            return PlotEntry(entry.name, True, st.st_size, st.st_mtime, 1, None)
        facts = read[entry.name] = Pos2Facts(entry.inode(), meta_group, plots)
    return PlotEntry(entry.name, True, st.st_size, st.st_mtime, facts.plots, facts.meta_group)


def meta_groups(entries: Iterable[PlotEntry]) -> set[int]:
    return {e.meta_group for e in entries if e.meta_group is not None}


def _remember(store: Store, mountpoint: Path, read: dict[str, Pos2Facts], gone: set[str]) -> None:
    try:
        store.put_pos2_headers(mountpoint, read, gone)
    except (AppError, sqlite3.Error) as exc:
        log.warning("cannot keep the PoS2 headers read on %s: %s", mountpoint, exc)
