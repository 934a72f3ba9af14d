"""The NAS's lock files in the state dir: one per drive, held by a receiver for its whole receive (and
briefly by the drive probe and ``check``), and one for choosing the receive drive. Naming only, so
that enumeration, health and selection can all name a drive's lock without importing each other."""

from __future__ import annotations

from pathlib import Path

TARGET_LOCK = "target.lock"
LOCK_WAIT = 30.0


def lock_path(state_dir: Path, mountpoint: Path) -> Path:
    safe = str(mountpoint).strip("/").replace("/", "_") or "root"
    return state_dir / "drives" / f"{safe}.lock"
