"""Which directories are plot drives, and what is on them (I/O edge)."""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass
from pathlib import Path

from common.plotfile import is_plot_name
from nas.config import DriveOverride, NasConfig
from nas.state import Store

OFFLINE_MARKER = ".plotyard-offline"
PART_SUFFIX = ".part"


@dataclass(frozen=True)
class Drive:
    mountpoint: Path
    total_bytes: int
    free_bytes: int
    offline: bool

    @property
    def name(self) -> str:
        return self.mountpoint.name


def natural_key(text: str) -> list[object]:
    """``drive2`` before ``drive10``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def candidate_paths(cfg: NasConfig) -> list[Path]:
    """Mount points named by globs and [drive] sections, natural order, no duplicates."""
    found: dict[str, Path] = {}
    for pattern in cfg.nas.drive_globs:
        for match in glob.glob(pattern):
            found.setdefault(os.path.normpath(match), Path(os.path.normpath(match)))
    for override in cfg.drives:
        found.setdefault(os.path.normpath(override.mountpoint), override.mountpoint)
    return sorted(found.values(), key=lambda p: natural_key(str(p)))


def is_offline(cfg: NasConfig, mountpoint: Path, persisted: frozenset[Path] = frozenset()) -> bool:
    """Offline by ``drive offline`` (``persisted``), by the marker file or by the config."""
    if mountpoint in persisted or (mountpoint / OFFLINE_MARKER).exists():
        return True
    override = override_for(cfg, mountpoint)
    return override is not None and override.offline


def persisted_offline(cfg: NasConfig) -> frozenset[Path]:
    with Store(cfg.nas.state_dir) as store:
        return store.offline()


def override_for(cfg: NasConfig, mountpoint: Path) -> DriveOverride | None:
    return next((o for o in cfg.drives if o.mountpoint == mountpoint), None)


def stat_drive(cfg: NasConfig, mountpoint: Path, persisted: frozenset[Path] | None = None) -> Drive | None:
    """A :class:`Drive`, or None when the path is not (or no longer) a usable drive.

    ``persisted``: the drives set offline by command (read from the state when None).
    """
    if not mountpoint.is_dir():
        return None
    if cfg.nas.require_mount and not os.path.ismount(mountpoint):
        return None
    try:
        st = os.statvfs(mountpoint)
    except OSError:
        return None
    total, free = st.f_blocks * st.f_frsize, st.f_bavail * st.f_frsize
    override = override_for(cfg, mountpoint)
    if override is not None and override.quota:
        used = sum(e.stat(follow_symlinks=False).st_size for e in plots_on(mountpoint))
        total, free = min(total, override.quota), min(free, max(0, override.quota - used))
    offline = is_offline(cfg, mountpoint, persisted_offline(cfg) if persisted is None else persisted)
    return Drive(mountpoint, total, free, offline)


def restat(cfg: NasConfig, drive: Drive) -> Drive | None:
    """``drive`` with fresh space figures and its offline flag as listed: retry loops
    re-read the space under a lock, not the state database."""
    return stat_drive(cfg, drive.mountpoint, frozenset({drive.mountpoint} if drive.offline else ()))


def list_drives(cfg: NasConfig, persisted: frozenset[Path] | None = None) -> list[Drive]:
    offline = persisted_offline(cfg) if persisted is None else persisted
    drives = (stat_drive(cfg, path, offline) for path in candidate_paths(cfg))
    return [d for d in drives if d is not None]


def plots_on(mountpoint: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(mountpoint) as entries:
            return [e for e in entries if e.is_file(follow_symlinks=False) and is_plot_name(e.name)]
    except OSError:
        return []


def part_path(mountpoint: Path, name: str) -> Path:
    return mountpoint / f".{name}{PART_SUFFIX}"


def stale_parts(mountpoint: Path) -> list[Path]:
    """``.part`` files on a drive; only call while holding that drive's lock."""
    try:
        with os.scandir(mountpoint) as entries:
            return [Path(e.path) for e in entries
                    if e.name.startswith(".plot-") and e.name.endswith(PART_SUFFIX)]
    except OSError:
        return []
