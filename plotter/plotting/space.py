"""Room on the tmp and dst file systems, counting what running jobs will still write. Pure.

Directories on one file system share its free space, so room is counted per device: a running
job holds the rest of its peak need (its figure from :mod:`plotter.plotting.sizes` minus what its
files already take, which ``statvfs`` has already subtracted), and a new job may start only where
free - held covers its own need in every directory it writes. Plots finished but not yet sent
take their room on disk already; when they pile up, :func:`backpressure` pauses new jobs before
the dst dirs fill, which is the NAS falling behind rather than a lack of tmp room.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from common import units
from plotter.plotting.sizes import Need


@dataclass(frozen=True)
class DirRoom:
    """One directory's file system: its device id and the bytes free for us (``f_bavail``)."""

    dev: int
    free: int


@dataclass(frozen=True)
class Placement:
    """Where a job writes: (role, directory, bytes at its peak)."""

    tmp_dir: Path | None
    tmp2_dir: Path | None
    dst_dir: Path
    need: Need
    used: Mapping[Path, int] = field(default_factory=dict)  # bytes its files take now, per directory

    def demands(self) -> list[tuple[str, Path, int]]:
        out: list[tuple[str, Path, int]] = [("dst", self.dst_dir, self.need.dst)]
        if self.tmp_dir is not None:
            out.append(("tmp", self.tmp_dir, self.need.tmp))
        if self.tmp2_dir is not None and self.tmp2_dir != self.tmp_dir:
            out.append(("tmp2", self.tmp2_dir, self.need.tmp2))
        return out

    def still_to_write(self) -> list[tuple[Path, int]]:
        return [(d, max(0, size - self.used.get(d, 0))) for _, d, size in self.demands()]


def held(running: Iterable[Placement], rooms: Mapping[Path, DirRoom]) -> dict[int, int]:
    """Bytes per device that running jobs will still write (directories we cannot see are skipped)."""
    out: dict[int, int] = {}
    for job in running:
        for directory, size in job.still_to_write():
            room = rooms.get(directory)
            if room is not None:
                out[room.dev] = out.get(room.dev, 0) + size
    return out


def misfit(new: Placement, rooms: Mapping[Path, DirRoom], holds: Mapping[int, int]) -> str | None:
    """Why ``new`` does not fit (the first directory short of room), None when it fits."""
    wanted: dict[int, int] = {}
    for role, directory, size in new.demands():
        room = rooms.get(directory)
        if room is None:
            return f"{role} space: cannot see {directory} (missing or unreadable)"
        wanted[room.dev] = wanted.get(room.dev, 0) + size
    for role, directory, _ in new.demands():
        room = rooms[directory]
        left = room.free - holds.get(room.dev, 0)
        if left < wanted[room.dev]:
            held = units.size(holds.get(room.dev, 0))
            return (f"{role} space: {directory} has {units.size(room.free)} free, {held} held "
                    f"for running jobs, a new job needs {units.size(wanted[room.dev])} there")
    return None


def backpressure(waiting: int, limit: int) -> str | None:
    """Paused while ``waiting`` finished plots (not yet sent) reach ``limit``."""
    if waiting < limit:
        return None
    return (f"backpressure: {waiting} finished plots wait to be sent (max_waiting_plots {limit}); "
            "the NAS is not taking them as fast as they are made")

