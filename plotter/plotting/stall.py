"""A plot job that makes no progress: how long, and why as far as its log and its dirs tell.

Progress is the newest of: a write to the job's temp files or its plot (their mtimes) and a line of
its log, but not the lines a stuck plotter repeats. chiapos cannot write, read or open a file when
tmp or dst are full and says so, then retries every five minutes, forever (src/disk.hpp: "Only
wrote N of M bytes at offset O to "FILE" ... Retrying in five minutes."; "Could not open FILE: ...
Retrying in five minutes."); madMAx retries its final copy every five minutes ("Copy to FILE failed
with: ...", src/chia_plot.cpp). Such a line names the file, so the reason names its directory, and
says it is full when it has no room. :func:`judge` decides (pure); :func:`stall_of` gathers.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from common.ui.viewtext import duration
from common.units import size
from plotter.plotting.backends import get as get_backend
from plotter.plotting.backends import keyless
from plotter.plotting.jobdb import JobRow
from plotter.plotting.logs.rules import clean

FULL_BELOW = 1 << 20  # bytes free: less than this is a full file system
_RETRY = re.compile(r"Retrying in five minutes|^Copy to \S+ failed with: ")
_QUOTED = re.compile(r'"(/[^"]+)"')
_BARE = re.compile(r"(?:to|open|from|Copy to) (/[^\s:\"]+)")


@dataclass(frozen=True)
class Stall:
    since: float  # the last progress seen
    reason: str
    directory: Path | None = None  # the job dir it cannot write, when its log names one


def is_retry(line: str) -> bool:
    return bool(_RETRY.search(line))


def blocked_file(lines: Sequence[str]) -> Path | None:
    """The file of the plotter's last retry line, when its log ends in retries."""
    tail = [clean(line) for line in lines if clean(line)]
    if not tail or not is_retry(tail[-1]):
        return None
    match = _QUOTED.search(tail[-1]) or _BARE.search(tail[-1])
    return Path(match.group(1)) if match else None


def job_dir(path: Path, dirs: Iterable[tuple[str, Path]]) -> tuple[str, Path] | None:
    """Which of the job's (role, dir) holds ``path``; the deepest when they nest."""
    found = [(role, d) for role, d in dirs if path.is_relative_to(d)]
    return max(found, key=lambda pair: len(pair[1].parts)) if found else None


def judge(now: float, stall_after: float, progress_at: float, blocked: Path | None,
          dirs: Sequence[tuple[str, Path]], free: int | None) -> Stall | None:
    """A stall when nothing moved for ``stall_after``; ``free``: bytes free where ``blocked`` is. Pure."""
    if now - progress_at < stall_after:
        return None
    quiet = f"no progress for {duration(now - progress_at)}"
    if blocked is None:
        return Stall(progress_at, f"{quiet} (its log and temp files did not change)")
    where = job_dir(blocked, dirs)
    directory = where[1] if where else blocked.parent
    role = f"{where[0]} dir" if where else "dir"
    if free is not None and free < FULL_BELOW:
        return Stall(progress_at, f"{quiet}: {role} {directory} is full ({size(free)} free); "
                                  "the plotter retries every 5 minutes", directory)
    return Stall(progress_at, f"{quiet}: the plotter cannot write in {role} {directory} and retries every "
                              "5 minutes (see its log)", directory)


def stall_of(row: JobRow, plot_id: str | None, lines: Sequence[str], now: float,
             stall_after: float) -> Stall | None:
    """A live job's stall, from its log, the mtimes of its files and the room where it is blocked."""
    blocked = blocked_file(lines)
    times = [row.started_at] + ([] if blocked is not None else [_mtime(Path(row.log))] if row.log else [])
    times += _file_mtimes(row, plot_id)
    dirs = [(role, Path(d)) for role, d in (("tmp", row.tmp_dir), ("tmp2", row.tmp2_dir), ("dst", row.dst_dir))
            if d is not None]
    free = None
    if blocked is not None:
        where = job_dir(blocked, dirs)
        free = _free(where[1] if where else blocked.parent)
    return judge(now, stall_after, max(times), blocked, dirs, free)


def _file_mtimes(row: JobRow, plot_id: str | None) -> list[float]:
    if plot_id is None:
        return []
    spec = keyless(row.backend, row.k, row.dst_dir, row.tmp_dir, row.tmp2_dir, row.compression)
    backend = get_backend(row.backend)
    pairs = [*backend.temp_globs(spec, plot_id), (spec.dst_dir, backend.final_glob(plot_id))]
    return [_mtime(p) for directory, pattern in pairs for p in directory.glob(pattern)]


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _free(directory: Path) -> int | None:
    try:
        return shutil.disk_usage(directory).free
    except OSError:
        return None
