"""The plot files on the drives, as :class:`~nas.replot.progress.PlotFile` (I/O edge).

From the inventory's one scan of each drive (:mod:`nas.drives.headers`): names, stat, and a PoS2
group's size from its header, read once and kept in the state, so a check does not read every
group file each minute (nor keep a sleeping disk awake).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from common.errors import PlotFileError
from common.plotformat.plotfile import PlotKind, parse_name
from nas.drives.headers import PlotEntry
from nas.replot.progress import Format, PlotFile

log = logging.getLogger(__name__)

OLD_CACHE = "replot-groups.json"  # what kept group sizes before the state did


def file_format(name: str) -> Format | None:
    try:
        kind = parse_name(name).kind
    except PlotFileError:
        return None
    return Format.V1 if kind == PlotKind.PLOT else Format.V2


def plot_files(entries: Sequence[PlotEntry]) -> list[PlotFile]:
    """A drive's scan (:func:`nas.drives.headers.scan_plots`) as the replot figures count it. Pure."""
    return [PlotFile(Format.V2 if e.pos2 else Format.V1, e.plots, e.size, e.mtime) for e in entries]


def forget_old_cache(state_dir: Path) -> None:
    try:
        (state_dir / OLD_CACHE).unlink(missing_ok=True)
    except OSError as exc:
        log.debug("cannot remove %s: %s", OLD_CACHE, exc)
