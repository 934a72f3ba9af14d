"""Make small real plots: v1 with chiapos, PoS2 with chia_rs (demo, tests, benchmarks)."""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

MEMO_BYTES = 48 + 48 + 32
POS2_MEMO_BYTES = 32 + 48 + 32  # pool contract puzzle hash, farmer key, local secret key


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


def make_gplot(directory: Path, k: int = 18, strength: int = 2, meta_group: int = 0) -> Path:
    """A valid single-plot PoS2 group (``.gplot``, ``PoS2`` version 2) made by chia_rs 0.53
    (test extra; k18 ~0.3 s): the name's id is the header's plot group id, the one plot is
    index 0 (chia_rs 0.53's Python API makes no larger groups)."""
    from chia_rs import create_v2_single_plot_group  # only the tests make PoS2 plots
    from chia_rs.sized_bytes import bytes32
    from chia_rs.sized_ints import uint8, uint16

    group_id = secrets.token_bytes(32)
    path = directory / gplot_name(k, group_id)
    directory.mkdir(parents=True, exist_ok=True)
    create_v2_single_plot_group(str(path), k, strength, bytes32(group_id), uint16(0), uint8(meta_group),
                                secrets.token_bytes(POS2_MEMO_BYTES))
    return path


def gplot_name(k: int, group_id: bytes) -> str:
    return f"plot-k{k}-{group_id.hex()}.gplot"


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
