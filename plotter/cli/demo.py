"""``plot-manager demo``: real k18 plots moved to a NAS role on this machine.

Everything lives in one temp dir: a plotter destination dir and three "drives"
(plain directories with a quota of a little over two plots each, so the first
fills and the receiver moves on). The NAS role runs as a local subprocess.
"""

from __future__ import annotations

import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

from common import units
from common.plotformat.plotgen import make_plot
from plotter import config as plotter_config
from plotter.monitor.report import gather
from plotter.send.history import History, TransferResult
from plotter.send.lanes import Env
from plotter.send.progress import Listener
from plotter.send.runner import send_once

DRIVES = 3


def _free_port_range(width: int = 10) -> str:
    """A loopback port range that is free right now (first port probed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        low = sock.getsockname()[1]
    low = min(low, 65535 - width)
    return f"{low}-{low + width - 1}"


def write_configs(root: Path, plot_size: int) -> tuple[Path, Path]:
    quota = int(plot_size * 2.5)
    drives = "\n".join(f"[drive {root / 'nas' / f'drive{i}'}]\nquota = {quota}\n" for i in range(1, DRIVES + 1))
    for i in range(1, DRIVES + 1):
        (root / "nas" / f"drive{i}").mkdir(parents=True, exist_ok=True)
    nas_ini = root / "nas.ini"
    nas_ini.write_text(
        f"[nas]\ndrive_globs = {root / 'nas' / 'drive*'}\nrequire_mount = false\n"
        f"data_bind = 127.0.0.1\ndata_ports = {_free_port_range()}\n"
        f"state_dir = {root / 'nas' / 'state'}\nreserve = 0\n\n{drives}"
    )
    plotter_ini = root / "plotter.ini"
    plotter_ini.write_text(
        f"[plotter]\nplot_dirs = {root / 'plotter' / 'dst'}\nstate_dir = {root / 'plotter' / 'state'}\n"
        f"min_plot_age = 0\nmax_parallel = 1\n\n"
        f"[nas demo]\ntransport = local\ncommand = {sys.executable} -m nas --config {nas_ini}\n"
    )
    return plotter_ini, nas_ini


def run_demo(count: int, keep: bool, listener: Listener | None = None) -> int:
    root = Path(tempfile.mkdtemp(prefix="plotyard-demo-"))
    try:
        print(f"demo directory: {root}")
        started = time.monotonic()
        plots = [make_plot(root / "plotter" / "dst", 18) for _ in range(count)]
        print(f"made {count} real k18 plots with chiapos in {time.monotonic() - started:.1f} s "
              f"({units.size(plots[0].stat().st_size)} each)")
        plotter_ini, _ = write_configs(root, plots[0].stat().st_size)
        cfg = plotter_config.load(plotter_ini)
        result = send_once(cfg, Env(listener=listener))
        _print_outcome(cfg, result.sent, result.failed)
        return 0 if result.failed == 0 else 1
    finally:
        if keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def _print_outcome(cfg: plotter_config.PlotterConfig, sent: int, failed: int) -> None:
    history = History(cfg.plotter.state_dir)
    try:
        rows = sorted(history.recent(100), key=lambda r: r["finished_at"])
    finally:
        history.close()
    print(f"\nsent {sent}, failed {failed}:")
    for row in rows:
        outcome = f"{row['mb_per_s']:.0f} MB/s" if row["result"] == TransferResult.OK else f"FAILED {row['error']}"
        where = Path(row["path"]).parent.name if row["path"] else "-"
        print(f"  {row['plot'][:40]}…  -> {where}  {row['seconds']:.2f} s  {outcome}")
    print("\nNAS drives:")
    # What the NAS itself reports (``drive-manager status --json``), as ``report farm`` reads it.
    for nas in gather(cfg.nas).nases:
        for drive in nas.summary.drives if nas.summary else ():
            state = "full" if drive.free_bytes < 1.0 * _plot_size(rows) else "has room"
            print(f"  {drive.name}: {drive.plots} plots, {units.size(drive.free_bytes)} free ({state})")
        if nas.summary is None:
            print(f"  {nas.name}: {nas.error}")
    left = list(cfg.plotter.plot_dirs[0].glob("*.plot"))
    print(f"\nplots left on the plotter: {len(left)}")


def _plot_size(rows: list[dict[str, object]]) -> int:
    sizes = [int(str(r["bytes"])) for r in rows]
    return max(sizes, default=1)
