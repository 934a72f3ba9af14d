"""Which plots are finished: pure decisions over a directory listing, plus the I/O to list.

A plot is finished when its name and header are valid and agree, no process has
it open for writing, it has not changed for ``min_plot_age`` seconds, and it is as
long as its header's layout says, and its size is plausible for its name and (PoS2) its
header's group size. v1/v2 plotters write under a temporary name and rename at the end, so
a short ``.plot`` is broken (left alone, reported once). PoS2 plots (``.plot2``, ``.gplot``)
are written under their final name with the header's offsets filled in last: one whose
offsets are still zero is being written and waits; one whose offsets are set but whose data
is short was cut short and is left alone like a short ``.plot``.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from common.errors import PlotFileError, PlotUnfinishedError
from common.plotformat.plotfile import (
    PLOT_LIKE_RE,
    PLOT_SUFFIXES,
    PlotName,
    parse_name,
    plots_in_file,
    validate_plot,
)
from common.plotformat.sizes import check_group_size, check_plausible_size


@dataclass(frozen=True)
class Seen:
    path: Path
    size: int
    mtime: float
    name: PlotName


@dataclass(frozen=True)
class Rejected:
    path: Path
    reason: str


@dataclass(frozen=True)
class Listing:
    seen: list[Seen]
    rejected: list[Rejected]


@dataclass(frozen=True)
class Checked:
    good: list[Seen]
    bad: list[Rejected]
    unfinished: list[Seen]  # PoS2 plots whose header's offsets are not set yet: still being written


def split_finished(seen: Sequence[Seen], now: float, min_age: float, writing: set[Path],
                   made: Collection[Path] = ()) -> tuple[list[Seen], list[Seen]]:
    """(finished oldest first, still in progress). Pure.

    ``made``: plots that a plot job of this scheduler made and that exited 0; they are known to be
    finished, so they need not wait ``min_age``."""
    ready, waiting = [], []
    for item in seen:
        young = now - item.mtime < min_age and item.path not in made
        if item.path in writing or young or item.size <= 0:
            waiting.append(item)
        else:
            ready.append(item)
    ready.sort(key=lambda s: (s.mtime, s.path.name))
    return ready, waiting


def list_dirs(dirs: Iterable[Path]) -> Listing:
    """Plot files in ``dirs``; plot-like names that fail the name rules are rejected."""
    seen: list[Seen] = []
    rejected: list[Rejected] = []
    for directory in dirs:
        try:
            entries = list(os.scandir(directory))
        except OSError as exc:
            rejected.append(Rejected(directory, f"cannot list directory: {exc.strerror}"))
            continue
        for entry in entries:
            if not entry.name.endswith(PLOT_SUFFIXES) or not entry.is_file(follow_symlinks=False):
                continue
            try:
                name = parse_name(entry.name)
                st = entry.stat(follow_symlinks=False)
            except PlotFileError as exc:
                if PLOT_LIKE_RE.fullmatch(entry.name):
                    rejected.append(Rejected(Path(entry.path), exc.message))
                continue
            except OSError:
                continue  # vanished between listing and stat: someone else moved it
            seen.append(Seen(Path(entry.path), st.st_size, st.st_mtime, name))
    return Listing(seen, rejected)


def check_headers(ready: Sequence[Seen]) -> Checked:
    """Name, header and size checks on the plots that look finished: the NAS makes the same ones
    (the size before it reserves a drive), so a plot it would refuse is not sent."""
    checked = Checked([], [], [])
    for item in ready:
        try:
            _, header = validate_plot(item.path)  # first: a file still being written waits
            check_plausible_size(item.name.name, item.size)
            check_group_size(item.name, header, item.size)
        except PlotUnfinishedError as exc:
            if item.name.pos2:
                checked.unfinished.append(item)
            else:
                checked.bad.append(Rejected(item.path, exc.message))
        except PlotFileError as exc:
            checked.bad.append(Rejected(item.path, exc.message))
        else:
            checked.good.append(item)
    return checked


def plots_in(item: Seen) -> int:
    """How many plots a listed file holds: a ``.gplot`` its header's group size (readable while it
    is still being written), any other 1; one whose header cannot be read counts 1."""
    try:
        return plots_in_file(item.path, item.name)
    except PlotFileError:
        return 1


def open_for_writing(paths: set[Path], proc: Path = Path("/proc")) -> set[Path]:
    """Which of ``paths`` some process (that we may inspect) has open for writing."""
    if not paths:
        return set()
    wanted = {str(p) for p in paths}
    found: set[Path] = set()
    try:
        pids = [d for d in os.listdir(proc) if d.isdigit()]
    except OSError:
        return found
    for pid in pids:
        fd_dir = proc / pid / "fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue  # gone, or not ours to see
        for fd in fds:
            try:
                target = os.readlink(fd_dir / fd)
            except OSError:
                continue
            if target in wanted and _writable(proc / pid / "fdinfo" / fd):
                found.add(Path(target))
    return found


def _writable(fdinfo: Path) -> bool:
    try:
        for line in fdinfo.read_text().splitlines():
            if line.startswith("flags:"):
                return int(line.split()[1], 8) & (os.O_WRONLY | os.O_RDWR) != 0
    except (OSError, ValueError, IndexError):
        return False
    return False
