"""The plot files on the drives, as :class:`~nas.replot.progress.PlotFile` (I/O edge).

Names and stat only, except a PoS2 group's size: its header, read once and kept in the state
(:mod:`nas.drives.headers`), so a check does not read every group file each minute (nor keep a
sleeping disk awake).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from common.errors import PlotFileError
from common.plotformat.plotfile import PlotKind, parse_name
from nas.drives.headers import pos2_headers_on
from nas.replot.progress import Format, PlotFile
from nas.state import Store

log = logging.getLogger(__name__)

OLD_CACHE = "replot-groups.json"  # what kept group sizes before the state did


def file_format(name: str) -> Format | None:
    try:
        kind = parse_name(name).kind
    except PlotFileError:
        return None
    return Format.V1 if kind == PlotKind.PLOT else Format.V2


def drive_files(mountpoint: Path, store: Store) -> list[PlotFile]:
    """Raises OSError when the drive cannot be listed. A PoS2 file whose header cannot be read
    (yet) counts as one plot."""
    with os.scandir(mountpoint) as listing:
        entries = [e for e in listing if file_format(e.name) is not None and e.is_file(follow_symlinks=False)]
    groups = pos2_headers_on(mountpoint, store, entries)
    files = []
    for entry in entries:
        try:
            st = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue  # removed meanwhile (replacement)
        kind = file_format(entry.name)
        assert kind is not None
        facts = groups.get(entry.name)
        files.append(PlotFile(kind, 1 if facts is None else facts.plots, st.st_size, st.st_mtime))
    return files


def forget_old_cache(state_dir: Path) -> None:
    try:
        (state_dir / OLD_CACHE).unlink(missing_ok=True)
    except OSError as exc:
        log.debug("cannot remove %s: %s", OLD_CACHE, exc)
