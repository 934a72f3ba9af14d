"""NAS test parts: a replaying smartctl, plot-named files, tmpfs drives (root only)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from nas.config import NasConfig
from nas.drives.listing import part_path
from nas.drives.select import Reservation
from tests.helpers import v1_plot_header, v2_plot_header

HERE = Path(__file__).resolve().parent
SMART_DATA = HERE.parent / "data" / "smart"
FAKE_SMARTCTL = HERE / "fake_smartctl.py"


@dataclass
class FakeSmartctl:
    path: Path
    state: Path

    def calls(self) -> list[list[str]]:
        log = self.state / "calls.log"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def sleep(self, *devices: str) -> None:
        (self.state / "standby").write_text("".join(f"{d}\n" for d in devices))

    def woken(self) -> list[str]:
        log = self.state / "woken.log"
        return log.read_text().split() if log.exists() else []

    def alias(self, aliases: dict[str, str]) -> None:
        """Make each device path answer as the recorded device it maps to."""
        (self.state / "aliases").write_text("".join(f"{a} {r}\n" for a, r in aliases.items()))

    def spans(self) -> list[tuple[float, float, str]]:
        """(start, end, device) of every finished call."""
        log = self.state / "spans.log"
        return [tuple(json.loads(line)) for line in log.read_text().splitlines()] if log.exists() else []

    def forget_calls(self) -> None:
        for name in ("calls.log", "spans.log"):
            (self.state / name).unlink(missing_ok=True)


def most_at_once(spans: list[tuple[float, float, str]]) -> int:
    """The most calls that were running at the same moment."""
    edges = sorted([(start, 1) for start, _, _ in spans] + [(end, -1) for _, end, _ in spans])
    running = peak = 0
    for _, step in edges:  # an end sorts before a start at the same instant
        running += step
        peak = max(peak, running)
    return peak


@pytest.fixture
def fake_smartctl(tmp_path: Path) -> FakeSmartctl:
    state = tmp_path / "smartctl-state"
    state.mkdir()
    wrapper = tmp_path / "bin" / "smartctl"
    wrapper.parent.mkdir()
    wrapper.write_text(
        "#!/bin/sh\n"
        f"FAKE_SMARTCTL_DATA='{SMART_DATA}' FAKE_SMARTCTL_STATE='{state}' "
        f"exec '{sys.executable}' -I -S '{FAKE_SMARTCTL}' \"$@\"\n"
    )
    wrapper.chmod(0o755)
    return FakeSmartctl(wrapper, state)


def write_plot(directory: Path, size: int = 65536, k: int = 32, level: int = 0, date: str | None = None,
               header: bytes = b"", sparse: bool = False) -> Path:
    """A file with a valid plot name (and optionally a real header); data is never read by checks."""
    parts = [f"plot-k{k}", f"c{level:02d}" if level else "", date or "", secrets.token_hex(32)]
    path = directory / ("-".join(p for p in parts if p) + ".plot")
    with open(path, "wb") as handle:
        if sparse:
            handle.truncate(size)
        else:
            handle.write(header + b"\x00" * (size - len(header)))
    return path


def v1_header(k: int = 32, size: int = 65536) -> bytes:
    """A chiapos/madMAx header (random id) whose table layout ends at ``size``."""
    return v1_plot_header(secrets.token_bytes(32), k, size)


def v2_header(k: int = 32, level: int = 0, size: int = 65536) -> bytes:
    """A bladebit v2 header (random id) whose table layout ends at ``size``."""
    return v2_plot_header(secrets.token_bytes(32), k, level, size)


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[[str, int], Path]]:
    """Mount small tmpfs drives (root only); always unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("tmpfs drives need root")
    mounted: list[Path] = []

    def mount(name: str, size: int) -> Path:
        path = tmp_path / "mnt" / name
        path.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                                capture_output=True, text=True, timeout=30, check=False)
        if result.returncode != 0:
            pytest.skip(f"cannot mount tmpfs: {result.stderr.strip()}")
        mounted.append(path)
        return path

    yield mount
    for path in reversed(mounted):
        unmount(path)


def unmount(path: Path) -> None:
    for _ in range(50):
        if not os.path.ismount(path):
            return
        result = subprocess.run(["umount", str(path)], capture_output=True, timeout=30, check=False)
        if result.returncode == 0:
            return
        time.sleep(0.1)  # a just-closed file may keep it busy for a moment
    raise AssertionError(f"could not unmount {path}")


def replace_for(cfg: NasConfig, res: Reservation, end: int | None = None) -> list[Path]:
    """Make room as the receiver does once ``end`` bytes (default: the whole plot) have
    arrived, into a real ``.part`` on the reserved drive; the plots deleted."""
    part = part_path(res.drive.mountpoint, "plot-test-incoming.plot")
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        room = res.room(cfg, fd)
        if room is None:
            return []
        room.ensure(res.size if end is None else end)
        return room.deleted
    finally:
        os.close(fd)
        part.unlink()
