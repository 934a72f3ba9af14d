"""Which directories are plot drives, and what is on them (I/O edge).

Every probe of one drive (stat, statvfs, listing) contains its own errors: a drive that
answers with an I/O error (a dead FUSE mount answers ENOTCONN) is listed as ``failing``
with the reason, and the other drives carry on.
"""

from __future__ import annotations

import errno
import glob
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from common.plotformat.plotfile import is_plot_name
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
    failing: str | None = None  # why it cannot be written (a receiver's mark, or an error now)

    @property
    def name(self) -> str:
        return self.mountpoint.name

    @property
    def receives(self) -> bool:
        """Whether plots may go to it (room aside)."""
        return not self.offline and self.failing is None


def natural_key(text: str) -> list[object]:
    """``drive2`` before ``drive10``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


# Errors that say "nothing is (or should be) here", not "something here is broken".
ABSENT = frozenset({errno.ENOENT, errno.ENOTDIR})


def _present(path: str) -> bool:
    """Whether something is at ``path``, even something that answers lstat with an error."""
    try:
        os.lstat(path)
    except OSError as exc:
        return exc.errno not in ABSENT
    except ValueError:
        return False
    return True


def candidate_paths(cfg: NasConfig) -> list[Path]:
    """Mount points named by globs and [drive] sections, natural order, no duplicates."""
    found: dict[str, Path] = {}
    for pattern in cfg.nas.drive_globs:
        # glob drops a literal path it cannot lstat: a dead mount would look absent, not failing.
        matches = glob.glob(pattern) if glob.has_magic(pattern) else [pattern] if _present(pattern) else []
        for match in matches:
            found.setdefault(os.path.normpath(match), Path(os.path.normpath(match)))
    for override in cfg.drives:
        found.setdefault(os.path.normpath(override.mountpoint), override.mountpoint)
    return sorted(found.values(), key=lambda p: natural_key(str(p)))


def no_drive_reason(cfg: NasConfig) -> str:
    """Why no drive was found, naming the patterns (a typo in drive_globs must not read as
    "all 0 drives are full"). Pure."""
    named = [*cfg.nas.drive_globs, *(f"[drive {d.mountpoint}]" for d in cfg.drives)]
    mounts = " (require_mount = true: a directory that is not a mount point is no drive)" \
        if cfg.nas.require_mount else ""
    return f"no drive found: {', '.join(named) or 'no drive_globs'} match no mount point{mounts}"


def is_offline(cfg: NasConfig, mountpoint: Path, persisted: frozenset[Path] = frozenset()) -> bool:
    """Offline by ``drive offline`` (``persisted``), by the marker file or by the config."""
    if mountpoint in persisted or exists(mountpoint / OFFLINE_MARKER):
        return True
    override = override_for(cfg, mountpoint)
    return override is not None and override.offline


def exists(path: Path) -> bool:
    """Path.exists that answers False on a drive that cannot be asked (ENOTCONN, EIO)."""
    try:
        os.stat(path)
    except (OSError, ValueError):
        return False
    return True


def persisted_offline(cfg: NasConfig) -> frozenset[Path]:
    with Store(cfg.nas.state_dir) as store:
        return store.offline()


def persisted_marks(cfg: NasConfig) -> tuple[frozenset[Path], dict[Path, str]]:
    """(drives set offline by command, drives marked failing by a receiver -> why)."""
    with Store(cfg.nas.state_dir) as store:
        return store.offline(), store.failing()


def override_for(cfg: NasConfig, mountpoint: Path) -> DriveOverride | None:
    return next((o for o in cfg.drives if o.mountpoint == mountpoint), None)


def stat_drive(cfg: NasConfig, mountpoint: Path, persisted: frozenset[Path] | None = None,
               failing: Mapping[Path, str] | None = None) -> Drive | None:
    """A :class:`Drive`, or None when the path is not (or no longer) a usable drive.

    ``persisted``: the drives set offline by command; ``failing``: the drives marked
    failing, with why (both read from the state when None). A drive that answers
    stat or statvfs with an I/O error is a failing drive (size unknown: 0), not an error.
    """
    if persisted is None or failing is None:
        offline_marks, failing_marks = persisted_marks(cfg)
        persisted = offline_marks if persisted is None else persisted
        failing = failing_marks if failing is None else failing
    offline = is_offline(cfg, mountpoint, persisted)
    try:
        if not mountpoint.is_dir():
            return None
        if cfg.nas.require_mount and not os.path.ismount(mountpoint):
            return None
        st = os.statvfs(mountpoint)
    except OSError as exc:
        if exc.errno in ABSENT:
            return None
        return Drive(mountpoint, 0, 0, offline, f"stat: {exc.strerror or exc}")
    total, free = st.f_blocks * st.f_frsize, st.f_bavail * st.f_frsize
    override = override_for(cfg, mountpoint)
    if override is not None and override.quota:
        used = sum(_size(e) for e in plots_on(mountpoint))
        total, free = min(total, override.quota), min(free, max(0, override.quota - used))
    return Drive(mountpoint, total, free, offline, failing.get(mountpoint))


def _size(entry: os.DirEntry[str]) -> int:
    try:
        return entry.stat(follow_symlinks=False).st_size
    except OSError:
        return 0  # removed meanwhile, or unreadable: the listing's own error marks the drive


def restat(cfg: NasConfig, drive: Drive) -> Drive | None:
    """``drive`` with fresh space figures and its offline and failing marks as listed: retry
    loops re-read the space under a lock, not the state database."""
    marks = {drive.mountpoint: drive.failing} if drive.failing else {}
    return stat_drive(cfg, drive.mountpoint, frozenset({drive.mountpoint} if drive.offline else ()), marks)


def list_drives(cfg: NasConfig, persisted: frozenset[Path] | None = None) -> list[Drive]:
    offline, failing = persisted_marks(cfg)
    drives = (stat_drive(cfg, path, offline if persisted is None else persisted, failing)
              for path in candidate_paths(cfg))
    return [d for d in drives if d is not None]


def list_plots(mountpoint: Path) -> list[os.DirEntry[str]]:
    """The plot files on a drive; raises OSError when the drive cannot be listed."""
    with os.scandir(mountpoint) as entries:
        return [e for e in entries if e.is_file(follow_symlinks=False) and is_plot_name(e.name)]


def plots_on(mountpoint: Path) -> list[os.DirEntry[str]]:
    """The plot files on a drive; none when it cannot be listed (``inventory`` reports why)."""
    try:
        return list_plots(mountpoint)
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
