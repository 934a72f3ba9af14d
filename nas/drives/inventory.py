"""Each present drive with its device and plots (I/O edge; reads no plot contents but the headers of
PoS2 files, once each: :mod:`nas.drives.headers`).

Plots are counted as plots, not files: a ``.gplot`` file holds a plot group and counts its
header's group size (``plot_files`` counts the files). One whose header cannot be read counts
as one plot: it is on the drive, and what it holds is not known.

A drive that cannot be listed is failing (the reason says so) and its plots unknown
(``listed`` False): ``check`` then keeps the counts it last saw.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from nas.config import NasConfig
from nas.drives.headers import PlotEntry, scan_plots
from nas.drives.listing import Drive, list_drives, override_for
from nas.state import Store

MOUNTINFO = Path("/proc/self/mountinfo")
# Partition suffixes: sdb1 -> sdb, nvme0n1p1 -> nvme0n1, mmcblk0p2 -> mmcblk0.
_PARTITION_RES = (
    re.compile(r"(/dev/(?:sd|hd|vd|xvd)[a-z]+)\d+"),
    re.compile(r"(/dev/(?:nvme\d+n\d+|mmcblk\d+|nbd\d+|loop\d+))p\d+"),
)
_OCTAL_RE = re.compile(r"\\([0-7]{3})")


@dataclass(frozen=True)
class DriveInfo:
    drive: Drive
    device: str | None  # whole disk, e.g. /dev/sdb
    smart_type: str | None  # smartctl -d
    plots: int  # plots, a .gplot group counting its group size
    plot_bytes: int
    listed: bool = True  # False: the listing failed; plots and plot_bytes are 0, not known
    plot_files: int | None = None  # plot files (None: as many as plots)
    files: tuple[PlotEntry, ...] = ()  # what the scan saw: the replot figures and meta groups need no second one

    @property
    def mountpoint(self) -> Path:
        return self.drive.mountpoint


def strip_partition(device: str) -> str:
    for pattern in _PARTITION_RES:
        if m := pattern.fullmatch(device):
            return m.group(1)
    return device


def parse_mountinfo(text: str) -> dict[str, str]:
    """Mount point -> mount source, from /proc/self/mountinfo text (later mounts win)."""
    sources: dict[str, str] = {}
    for line in text.splitlines():
        head, sep, tail = line.partition(" - ")
        fields, rest = head.split(), tail.split()
        if not sep or len(fields) < 5 or len(rest) < 2:
            continue
        sources[_unescape(fields[4])] = _unescape(rest[1])
    return sources


def _unescape(text: str) -> str:
    return _OCTAL_RE.sub(lambda m: chr(int(m.group(1), 8)), text)


def read_mount_sources(path: Path = MOUNTINFO) -> dict[str, str]:
    try:
        return parse_mountinfo(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return {}


def device_for(cfg: NasConfig, mountpoint: Path, sources: dict[str, str]) -> str | None:
    override = override_for(cfg, mountpoint)
    if override is not None and override.device:
        return override.device
    source = sources.get(str(mountpoint)) or sources.get(os.path.realpath(mountpoint))
    if source is None or not source.startswith("/dev/"):
        return None  # tmpfs, NFS, a plain directory: no disk to ask
    return strip_partition(source)


def plot_stats(files: Sequence[PlotEntry]) -> tuple[int, int, int]:
    """(number of plots, their bytes, number of plot files) of a drive's scan. Pure."""
    return sum(e.plots for e in files), sum(e.size for e in files), len(files)


def describe(cfg: NasConfig, drive: Drive, sources: dict[str, str], store: Store | None = None) -> DriveInfo:
    override = override_for(cfg, drive.mountpoint)
    device = device_for(cfg, drive.mountpoint, sources)
    smart_type = override.smart_type if override else None
    try:
        files = tuple(scan_plots(drive.mountpoint, store))
    except OSError as exc:
        failing = drive.failing or f"listing: {exc.strerror or exc}"
        return DriveInfo(replace(drive, failing=failing), device, smart_type, 0, 0, listed=False)
    plots, plot_bytes, count = plot_stats(files)
    return DriveInfo(drive=drive, device=device, smart_type=smart_type, plots=plots, plot_bytes=plot_bytes,
                     plot_files=count, files=files)


def inventory(cfg: NasConfig, store: Store | None = None) -> list[DriveInfo]:
    """Every present drive; pass ``store`` so that each PoS2 header is read once, not on every call."""
    sources = read_mount_sources()
    return [describe(cfg, drive, sources, store) for drive in list_drives(cfg)]


def average_plot_size(drives: list[DriveInfo]) -> int | None:
    """Bytes per plot (a .gplot group's plots each count)."""
    count = sum(d.plots for d in drives)
    return sum(d.plot_bytes for d in drives) // count if count else None


def average_file_size(drives: list[DriveInfo]) -> int | None:
    """Bytes per plot file: the size of a likely next incoming file (a group is one file)."""
    count = sum(d.plots if d.plot_files is None else d.plot_files for d in drives)
    return sum(d.plot_bytes for d in drives) // count if count else None
