"""A NAS with real v1 (chiapos) and v2 (chia_rs) plots whose mtimes the tests set, and the figures
they must give, computed by hand from the files' sizes."""

from __future__ import annotations

import os
import secrets
import shutil
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import NasSetup, make_nas

DAY = 86400.0
FORK = 9_562_000
CopyPlots = Callable[..., list[Path]]


@dataclass
class Farm:
    nas: NasSetup
    now: float
    fork_date: float  # 20.5 days before now
    v1: dict[str, list[Path]]  # drive name -> its .plot files
    v2: dict[str, list[tuple[Path, int]]]  # drive name -> (PoS2 file, plots in it)


def aged(path: Path, now: float, days: float) -> Path:
    os.utime(path, (now - days * DAY, now - days * DAY))
    return path


def group_file(source: Path, dest_dir: Path, group: int) -> Path:
    """A ``.gplot`` whose header says ``group`` plots: a real chia_rs file (chia_rs 0.53 makes only
    single-plot groups) with its group size field set."""
    dest = dest_dir / f"plot-k18-{secrets.token_hex(32)}.gplot"
    shutil.copyfile(source, dest)
    with open(dest, "r+b") as handle:
        handle.seek(39)
        handle.write(struct.pack("<H", group))
    return dest


def make_farm(tmp_path: Path, copy_plots: CopyPlots, copy_pos2_plots: CopyPlots, replot: str | None = None,
              extra: str = "") -> Farm:
    now = float(int(time.time()) // 60 * 60)  # a whole minute: fork_date below is exact
    fork_date = now - 20.5 * DAY
    day = time.strftime("%Y-%m-%d %H:%M", time.gmtime(fork_date))
    section = f"[replot]\nfork_height = {FORK}\nfork_date = {day}\n" if replot is None else replot
    nas = make_nas(tmp_path / "nas", drives=2, drive_sections=section + extra)
    d1, d2 = nas.drives
    pos2 = copy_pos2_plots(tmp_path / "pos2", 3)
    v1 = {"drive1": [aged(p, now, 30) for p in copy_plots(d1, 2)],
          "drive2": [aged(p, now, 30) for p in copy_plots(d2, 1, start=2)]}
    v2 = {"drive1": [(aged(group_file(pos2[2], d1, 3), now, 10), 3)],
          "drive2": [(aged(Path(shutil.copy(pos2[0], d2)), now, 2 / 24), 1),
                     (aged(Path(shutil.copy(pos2[1], d2)), now, 3), 1),
                     (aged(group_file(pos2[2], d2, 1), now, 6.5), 1)]}
    (d1 / "notes.txt").write_text("not a plot")
    (d2 / f".plot-k18-{secrets.token_hex(32)}.plot2.part").write_bytes(b"\0" * 4096)  # arriving: not counted
    return Farm(nas, now, fork_date, v1, v2)


def size(path: Path) -> int:
    return path.stat().st_size
