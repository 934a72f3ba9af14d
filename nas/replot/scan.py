"""The plot files on the drives, as :class:`~nas.replot.progress.PlotFile` (I/O edge).

Names and stat only, except a PoS2 group's size: the 51-byte ``PoS2`` v2 header of each
``.plot2``/``.gplot`` is read once and cached by (path, size, mtime) in the state dir, so a
check does not read every group file each minute (nor keep a sleeping disk awake).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from common.errors import PlotFileError
from common.plotformat.plotfile import PlotKind, parse_name, plots_in_file
from nas.replot.progress import Format, PlotFile

log = logging.getLogger(__name__)

CACHE_NAME = "replot-groups.json"
Cache = dict[str, list[int]]  # path -> [size, mtime_ns, group size]


def file_format(name: str) -> Format | None:
    try:
        kind = parse_name(name).kind
    except PlotFileError:
        return None
    return Format.V1 if kind == PlotKind.PLOT else Format.V2


def group_plots(path: Path) -> int:
    """The plots in a PoS2 file (a ``.gplot``: its header's group size; a ``.plot2``: one). One whose
    header cannot be read counts as one plot, with a warning."""
    try:
        return plots_in_file(path, parse_name(path.name))
    except PlotFileError as exc:
        log.warning("%s; counted as one plot", exc.message)
        return 1


def drive_files(mountpoint: Path, old: Cache, fresh: Cache) -> list[PlotFile]:
    """Raises OSError when the drive cannot be listed. Group sizes are taken from ``old`` when it
    knows the file and recorded in ``fresh`` (the next cache: only files that still exist)."""
    files = []
    with os.scandir(mountpoint) as entries:
        for entry in entries:
            kind = file_format(entry.name)
            if kind is None or not entry.is_file(follow_symlinks=False):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # removed meanwhile (replacement)
            plots = 1 if kind == Format.V1 else _group(entry.path, st, old, fresh)
            files.append(PlotFile(kind, plots, st.st_size, st.st_mtime))
    return files


def _group(path: str, st: os.stat_result, old: Cache, fresh: Cache) -> int:
    known = old.get(path)
    if known is not None and known[:2] == [st.st_size, st.st_mtime_ns]:
        fresh[path] = known
        return known[2]
    plots = group_plots(Path(path))
    fresh[path] = [st.st_size, st.st_mtime_ns, plots]
    return plots


def load_cache(state_dir: Path) -> Cache:
    try:
        data = json.loads((state_dir / CACHE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, list) and len(v) == 3
            and all(isinstance(x, int) for x in v)}


def save_cache(state_dir: Path, cache: Cache) -> None:
    """Written atomically; a failure only costs re-reading the headers next time."""
    if cache == load_cache(state_dir):
        return
    tmp = state_dir / f".{CACHE_NAME}.{os.getpid()}"
    try:
        tmp.write_text(json.dumps(cache), encoding="utf-8")
        os.replace(tmp, state_dir / CACHE_NAME)
    except OSError as exc:
        log.debug("cannot write %s: %s", CACHE_NAME, exc)
