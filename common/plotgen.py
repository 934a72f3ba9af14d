"""Make small real plots with chiapos (demo, tests, benchmarks)."""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

MEMO_BYTES = 48 + 48 + 32


def plot_name(k: int, plot_id: bytes, level: int = 0, dated: bool = True) -> str:
    parts = [f"plot-k{k}"]
    if level:
        parts.append(f"c{level:02d}")
    if dated:
        parts.append(time.strftime("%Y-%m-%d-%H-%M"))
    parts.append(plot_id.hex())
    return "-".join(parts) + ".plot"


def make_plot(directory: Path, k: int = 18, quiet: bool = True) -> Path:
    """A valid chiapos plot of size ``k`` in ``directory`` (k18 ~1 s, k20 ~5 s)."""
    from chiapos import DiskPlotter  # only the demo and tests plot

    plot_id = secrets.token_bytes(32)
    name = plot_name(k, plot_id)
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="plotgen-", dir=directory) as tmp, _stdout_silenced(quiet):
        DiskPlotter().create_plot_disk(tmp, tmp, str(directory), name, k,
                                       secrets.token_bytes(MEMO_BYTES), plot_id, 200, 32, 2000, 2, False)
    return directory / name


class _stdout_silenced:
    """chiapos prints its progress from C++ straight to fd 1."""

    def __init__(self, active: bool) -> None:
        self.active = active
        self.saved = -1

    def __enter__(self) -> None:
        if self.active:
            sys.stdout.flush()
            self.saved = os.dup(1)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.close(devnull)

    def __exit__(self, *exc: object) -> None:
        if self.saved >= 0:
            os.dup2(self.saved, 1)
            os.close(self.saved)
            self.saved = -1
