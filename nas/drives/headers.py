"""What the headers of the PoS2 files on a drive say (I/O edge): each file's meta group, and how
many plots it holds (a ``.gplot`` group's size; a ``.plot2`` holds one): the first 51 bytes, set
before the plotter writes any chunk.

Each header is read once, then kept in the state (:class:`nas.state.Store`) by name and inode. A
drive of 1 GB plots holds about 18,000 of them, and offers, placements, ``check``, ``status``, the
live view and every metrics scrape ask about every drive: on a cold HDD each header is a random read,
and a spun-down drive would be woken for it. A header never changes, and a new file under the name
is a new inode, so name and inode are the key (no stat per file: the listing gives the inode). A
file whose header cannot be read yet (a hand copy under way, a file cut short) is not kept and is
read again next time; when the state cannot be written, the headers are read again next time: a
warning, never a failure.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from common.errors import AppError, PlotFileError
from common.plotformat.plotfile import parse_name, read_pos2_facts
from nas.drives.listing import plots_on
from nas.state import Pos2Facts, Store

log = logging.getLogger(__name__)


def pos2_headers_on(mountpoint: Path, store: Store | None,
                    entries: Sequence[os.DirEntry[str]] | None = None) -> dict[str, Pos2Facts]:
    """Name -> what its header says, for each readable PoS2 file on the drive (``entries``: its
    listing, when the caller has it). Without ``store`` every header is read."""
    known = store.pos2_headers(mountpoint) if store is not None else {}
    read: dict[str, Pos2Facts] = {}
    found: dict[str, Pos2Facts] = {}
    names: set[str] = set()
    for entry in plots_on(mountpoint) if entries is None else entries:
        if not _is_pos2(entry.name):
            continue
        names.add(entry.name)
        facts = known.get(entry.name)
        if facts is None or facts.inode != entry.inode():
            try:
                meta_group, plots = read_pos2_facts(Path(entry.path))
            except PlotFileError:
                continue  # unreadable now: it claims nothing, and is read again
            facts = read[entry.name] = Pos2Facts(entry.inode(), meta_group, plots)
        found[entry.name] = facts
    gone = known.keys() - names
    if store is not None and (read or gone):
        _remember(store, mountpoint, read, gone)
    return found


def _is_pos2(name: str) -> bool:
    try:
        return parse_name(name).kind.value != "plot"
    except PlotFileError:
        return False


def _remember(store: Store, mountpoint: Path, read: dict[str, Pos2Facts], gone: set[str]) -> None:
    try:
        store.put_pos2_headers(mountpoint, read, gone)
    except (AppError, sqlite3.Error) as exc:
        log.warning("cannot keep the PoS2 headers read on %s: %s", mountpoint, exc)
