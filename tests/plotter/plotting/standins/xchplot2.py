"""Stand-in for Jsewill/xchplot2 (GPU PoS2 plotter), ``xchplot2 plot ...`` only.

Takes exactly the ``plot`` mode's options (see :mod:`xchplot2_cli`), prints the lines of
tools/xchplot2/cli.cpp and src/host/BatchPlotter.cpp (their format strings; GPU figures made up)
on stderr and each plot's path on stdout, and writes a real PoS2 plot with chia_rs 0.53 as
``<out>/<name>.partial``, keeps it open for writing while "plotting", fsyncs, closes and renames it
(src/host/PlotFileWriterParallel.cpp; the real one closes without an fsync). A first SIGTERM,
SIGINT or SIGHUP prints the cancel line and finishes the current plot; a second one kills
(src/host/Cancel.cpp).

Deviations, said here once:
- plot id and memo: the real ones come from keygen-rs (chia's key derivation, with a random master
  key). Here the memo has the real layout (pool key or contract puzzle hash, farmer key, a random
  32-byte secret) but the id is a sha256 of strength, memo, plot index and meta group.
- the file: a real ``.plot2`` (``pos2`` v1, chia_rs 0.52), as today's xchplot2 writes, or, with
  ``PLOTYARD_STANDIN_XCH_SUFFIX=.gplot``, a real single-plot group (``PoS2`` v2, chia_rs 0.53) as
  group builds name theirs.
- ``PLOTYARD_STANDIN_HOLD`` seconds (default 0) the ``.partial`` stays open before the rename, so
  tests can catch a job mid-write; it ends early once the file ``PLOTYARD_STANDIN_RELEASE`` names
  exists.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from tests.plotter.plotting.standins.base import hold
from tests.plotter.plotting.standins.xchplot2_cli import Fatal, PlotArgs, Usage, check, decode_address, hex_bytes
from tests.plotter.plotting.standins.xchplot2_cli import parse as parse_args

GB = 1024.0**3
WORKER = "[batch]"  # the single-device work-queue worker's prefix (no --devices)
CANCEL = ("\n[xchplot2] cancel requested — finishing current plot then stopping. "
          "Press Ctrl-C again to abort immediately.\n")
_cancelled = False


def err(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
    time.sleep(float(os.environ.get("PLOTYARD_STANDIN_PACE", "0.002")))


def main(argv: list[str]) -> int:
    _install_cancel()
    if not argv or argv[0] != "plot":
        sys.stderr.write("Usage:\n  xchplot2 plot -k K -n N -f HEX  ( -p HEX | --pool-ph HEX | -c xch1... )\n")
        return 1
    problems: list[str] = []
    try:
        args = parse_args(argv[1:], problems)
        check(args)
        farmer, pool = _keys(args)
    except Usage:
        for line in problems:
            err(line)
        sys.stderr.write("Usage:\n  xchplot2 plot -k K -n N -f HEX  ( -p HEX | --pool-ph HEX | -c xch1... )\n")
        return 1
    except Fatal as problem:
        err(f"Error: {problem}")
        return 1
    entries = _prepare(args, farmer, pool)
    return _run(args, entries)


def _keys(args: PlotArgs) -> tuple[bytes, bytes]:
    farmer = hex_bytes(args.values["farmer"])
    if farmer is None or len(farmer) != 48:
        raise Fatal("--farmer-pk must be 96 hex chars (48 bytes)")
    if args.values.get("pool_pk"):
        pool = hex_bytes(args.values["pool_pk"])
        if pool is None or len(pool) != 48:
            raise Fatal("--pool-pk must be 96 hex chars (48 bytes)")
        return farmer, pool
    if args.values.get("pool_ph"):
        pool = hex_bytes(args.values["pool_ph"])
        if pool is None or len(pool) != 32:
            raise Fatal("--pool-ph must be 64 hex chars (32 bytes)")
        return farmer, pool
    rc, puzzle_hash = decode_address(args.values["pool_addr"])
    if rc != 0:
        raise Fatal(f"--pool-contract-address invalid (rc={rc}; expected xch1.../txch1...)")
    return farmer, puzzle_hash


Entry = tuple[int, bytes, bytes, str]  # plot index, plot id, memo, file name


def _prepare(args: PlotArgs, farmer: bytes, pool: bytes) -> list[Entry]:
    k, strength, meta = args.int("k", 28), args.int("strength", 2), args.int("meta", 0)
    suffix = os.environ.get("PLOTYARD_STANDIN_XCH_SUFFIX", ".plot2")
    entries = []
    num = args.int("num", 1)
    for i in range(num):
        index = args.int("index", 0) + i
        memo = pool + farmer + secrets.token_bytes(32)
        plot_id = hashlib.sha256(bytes([strength & 0xFF]) + memo + index.to_bytes(2, "little")
                                 + bytes([meta])).digest()
        entries.append((index, plot_id, memo, f"plot-k{k}-{plot_id.hex()}{suffix}"))
        if args.on("verbose"):
            err(f"[plot] prepared {i + 1}/{num} ")  # cli.cpp prints e.out_name after moving e: empty
    return entries


def _run(args: PlotArgs, entries: list[Entry]) -> int:
    out_dir = args.values.get("out", ".")
    verbose = args.on("verbose")
    start = time.monotonic()
    _preflight(out_dir, args.int("k", 28), len(entries), verbose)
    if verbose:
        err("[strategy] picked work-queue — N=0 device(s); work-queue is the only multi-GPU strategy")
        err(f"{WORKER} pool: storage=4.12 GB pair_a=2.06 GB pair_b=2.06 GB sort_scratch=0.52 GB pinned=2x1.03 GB "
            "(Xs scratch aliased in pair_b)")
    written = 0
    for i, (_, plot_id, memo, name) in enumerate(entries):
        if _cancelled:
            err(f"{WORKER} cancel received — stopping before plot {i}")
            break
        k = args.int("k", 28)
        if k < 18 or k > 32 or k % 2:
            err("[plot] FAILED: k must be even in [18, 32]")  # GpuPipeline.cpp, from the producer
            return 2
        if verbose:
            err(f"{WORKER} producer finished GPU for plot {i} in 812.40 ms (T1={1 << k} T2={1 << k} T3={1 << k})")
        path = Path(out_dir) / name
        _write(path, k, args.int("strength", 2), plot_id, args.int("meta", 0), memo)
        written += 1
        if verbose:
            err(f"{WORKER} consumer wrote plot {i}: {path}")
        if args.on("progress"):
            avg = (time.monotonic() - start) / written
            left = int(avg * (len(entries) - written))
            err(f"{WORKER} progress: plot {written}/{len(entries)} done ({100.0 * written / len(entries):.1f}%, "
                f"{avg:.2f} s/plot avg, ~{left // 60}m{left % 60:02d}s left)")
    total = time.monotonic() - start
    err(f"[plot] wrote {written} plots in {total:g} s ({total / written if written else 0:g} s/plot)")
    for _, _, _, name in entries:
        print(f"{out_dir}/{name}", flush=True)
    return 0


def _preflight(out_dir: str, k: int, count: int, verbose: bool) -> None:
    need = count * ((1 << k) * 2 * k // 8) if 0 < k <= 32 else 0  # approx_plot_bytes_upper_bound
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(out_dir).free
    if free < need:
        err(f"[batch] WARNING: {out_dir} has {free / GB:.1f} GB free but {count} plot(s) may need up to "
            f"~{need / GB:.1f} GB (uncompressed upper bound). The batch will still run; .partial writes are "
            "atomic so mid-plot ENOSPC is recoverable, but consider freeing space or reducing count.")
    elif verbose:
        err(f"[batch] preflight: {out_dir} has {free / GB:.1f} GB free, {count} plot(s) need up to "
            f"~{need / GB:.1f} GB")


def _write(path: Path, k: int, strength: int, plot_id: bytes, meta: int, memo: bytes) -> None:
    """A ``.plot2`` gets a real ``pos2`` version 1 plot, as today's xchplot2 writes (chia_rs 0.52, in
    its own venv: :mod:`tests.chiars_v1`); a ``.gplot`` a single-plot group (chia_rs 0.53), as group
    builds write. Group member index 0: a single-plot group made with another index validates no proofs."""
    partial = path.with_name(path.name + ".partial")
    if path.suffix == ".plot2":
        from tests.chiars_v1 import make_plot2_v1_at

        make_plot2_v1_at(partial, k, strength, plot_id, meta, memo)
    else:
        from chia_rs import create_v2_single_plot_group
        from chia_rs.sized_bytes import bytes32
        from chia_rs.sized_ints import uint8, uint16

        create_v2_single_plot_group(str(partial), k, strength, bytes32(plot_id), uint16(0), uint8(meta), memo)
    with open(partial, "r+b") as held:  # open for writing until the rename, as the real writer's stream is
        hold()
        os.fsync(held.fileno())
    os.rename(partial, path)


def _install_cancel() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _cancel)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)


def _cancel(signum: int, frame: FrameType | None) -> None:
    global _cancelled
    if _cancelled:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    _cancelled = True
    sys.stderr.write(CANCEL)
    sys.stderr.flush()
