"""The many-plots benchmark's files: PoS2 stand-ins, real k18 plots made once and cached, and
madMAx's sink built once from its source into the cache dir (never into this repository)."""

from __future__ import annotations

import os
import secrets
import shutil
import struct
import subprocess
from pathlib import Path

from benchmarks.benchtable import pos2_shape_for
from common.plotformat.plotgen import POS2_MEMO_BYTES, make_plot

CACHE = Path(os.environ.get("PLOTYARD_BENCH_CACHE", Path.home() / ".cache" / "plotyard-bench"))
BUILD_TIMEOUT = 900


def pos2_standin(directory: Path, size: int, block: bytes) -> Path:
    """A file the NAS takes for a PoS2 plot group: a packed v2 header (magic, version, group
    id, k, strength, group size, meta group, chunk index offset, memo) whose index starts
    near the end, then ``block`` repeated (random once: nothing on the path compresses)."""
    (k, plots), group_id = pos2_shape_for(size), secrets.token_bytes(32)
    memo = secrets.token_bytes(POS2_MEMO_BYTES)
    head = b"PoS2" + bytes([2]) + group_id + bytes([k, 2]) + struct.pack("<HBQ", plots, 0, size - 64)
    head += bytes([len(memo)]) + memo
    path = directory / f"plot-k{k}-{group_id.hex()}.gplot"
    with open(path, "wb") as out:
        out.write(head)
        left = size - len(head)
        while left > 0:
            left -= out.write(block[:left])
    return path


def k18_plots(count: int, master: Path) -> list[Path]:
    """``count`` real k18 plots: made once into the cache (about 1 s each), copied to ``master``."""
    cached = CACHE / "k18"
    have = sorted(cached.glob("plot-k18-*.plot")) if cached.is_dir() else []
    for _ in range(count - len(have)):
        have.append(make_plot(cached, 18))
    out = []
    for plot in sorted(have)[:count]:
        shutil.copyfile(plot, master / plot.name)
        out.append(master / plot.name)
    return out


def build_sink(src: Path) -> Path:
    """chia_plot_copy and chia_plot_sink from ``src``, built once into the cache dir."""
    build = CACHE / "sink-build"
    if not (build / "chia_plot_sink").exists() or not (build / "chia_plot_copy").exists():
        log = CACHE / "sink-build.log"
        with open(log, "wb") as out:
            for argv in (["cmake", "-S", str(src), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release"],
                         ["cmake", "--build", str(build), "-j2"]):
                if subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT).returncode:
                    raise SystemExit(f"building the sink failed: see {log}")
    return build
