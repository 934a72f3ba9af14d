"""The three bladebit plotters' progress lines and files (see bladebit.py for the sources)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.plotter.plotting.standins.base import remove, say, touch, write_real_plot
from tests.plotter.plotting.standins.bladebit_cli import Args


@dataclass(frozen=True)
class Plot:
    tmp: Path  # <out>/<name>.plot.tmp
    k: int
    plot_id: bytes
    memo: bytes

    def write(self) -> None:
        write_real_plot(self.tmp, self.k, self.plot_id, self.memo)

    def finish(self) -> None:
        """The plot writer's rename (src/plotting/PlotWriter.cpp) and its table dump."""
        final = self.tmp.with_suffix("")
        say(f"{self.tmp} -> {final}")
        os.rename(self.tmp, final)
        say("Final plot table pointers: ")
        for table in range(1, 8):
            say(f" Table {table}: {table * 4096:16d} ( 0x{table * 4096:016x} )")
        say("")


def secs(start: float) -> str:
    """Seconds since ``start``: bladebit times each phase on its own timer and the whole plot on another."""
    return f"{time.monotonic() - start:.2f}"


def init_ram(args: Args) -> None:
    say("System Memory: 503/512 GiB.")
    say("Memory required: 416 GiB.")
    say("Allocating buffers.")


def run_ram(args: Args, plot: Plot) -> None:
    start = time.monotonic()
    touch(plot.tmp, 0)  # MemPlotter::BeginPlotFile opens the first plot right away
    say("Running Phase 1")
    begin = time.monotonic()
    say("Generating F1...")
    say(f"Finished F1 generation in {secs(start)} seconds.")
    for table in range(2, 8):
        say(f"Forward propagating to table {table}...")
        say("  Pairing L/R groups...")
        say("  Sorting entries...")
        say(f"Finished forward propagating table {table} in {secs(start)} seconds.")
    say(f"Finished Phase 1 in {secs(begin)} seconds.")
    say("Running Phase 2")
    begin = time.monotonic()
    for index in range(6, 0, -1):
        say(f"  Prunning table {index}...")
        say(f"  Finished prunning table {index} in {secs(start)} seconds.")
    say(f"Finished Phase 2 in {secs(begin)} seconds.")
    say("Running Phase 3")
    begin = time.monotonic()
    plot.write()
    for table in range(1, 7):
        say(f"  Compressing tables {table} and {table + 1}...")
        say(f"  Finished compressing tables {table} and {table + 1} in {secs(start)} seconds")
    say(f"Finished Phase 3 in {secs(begin)} seconds.")
    say("Running Phase 4")
    begin = time.monotonic()
    for part in ("P7.", "C1 table.", "C2 table.", "C3 table."):
        say(f"  Writing {part}")
        say(f"  Finished writing {part.rstrip('.')} in {secs(start)} seconds.")
    say(f"Finished Phase 4 in {secs(begin)} seconds.")
    say("Writing final plot tables to disk")
    plot.finish()
    say(f"Finished writing tables to disk in {secs(start)} seconds.")
    say(f"Finished plotting in {secs(start)} seconds ({float(secs(start)) / 60:.2f} minutes).")


def init_disk(args: Args) -> None:
    say("[Bladebit Disk Plotter]")
    say(f" Bucket count   : {args.options.get('buckets', '256')}")
    say(f" Temp1 path     : {args.options['temp1']}")
    say(f" Temp2 path     : {args.options.get('temp2', args.options['temp1'])}")
    say(" Allocating memory")


def _disk_temps(args: Args, names: list[str]) -> list[Path]:
    temp1 = Path(args.options["temp1"])
    temp2 = Path(args.options.get("temp2", args.options["temp1"]))
    paths = [(temp2 if name.startswith(("map", "lp")) else temp1) / f"{name}_0.tmp" for name in names]
    for path in paths:
        touch(path)
    return paths


def run_disk(args: Args, plot: Plot) -> None:
    start = time.monotonic()
    touch(plot.tmp, 0)
    say("Started plot.")
    say("Running Phase 1")
    begin = time.monotonic()
    say("Table 1: F1 generation")
    say("Generating f1...")
    temps = _disk_temps(args, ["t1"])
    for table in range(2, 8):
        say(f"Table {table}")
        temps += _disk_temps(args, [f"t{table}", f"map{table}"])
        say(f"Completed table {table} in {secs(start)} seconds with 4294967296 entries.")
        say(f"Table {table} I/O wait time: 0.00 seconds.")
    say("Sorting F7 & Writing C Tables")
    say(f"Finished Phase 1 in {secs(begin)} seconds ( 0.0 minutes ).")
    say("Running Phase 2")
    begin = time.monotonic()
    for table in range(6, 1, -1):
        temps += _disk_temps(args, [f"table_{table}_marks"])
        say(f"Finished marking table {table} in {secs(start)} seconds.")
    say(f"Finished Phase 2 in {secs(begin)} seconds ( 0.0 minutes ).")
    say("Running Phase 3")
    begin = time.monotonic()
    temps += _disk_temps(args, ["lp", "lp_map_0", "lp_map_1"])
    plot.write()
    for table in range(1, 7):
        say(f"Compressing tables {table} and {table + 1}.")
        say(f"Finished compressing tables {table} and {table + 1} in {secs(start)} seconds.")
    say("Writing P7 parks.")
    say(f"Finished writing P7 parks in {secs(start)} seconds.")
    say(f"Finished Phase 3 in {secs(begin)} seconds ( 0.0 minutes ).")
    say("Total plot I/O wait time: 0.00 seconds.")
    say("Waiting for plot file to complete pending writes...")
    final_name = plot.tmp.with_suffix("").name
    plot.finish()
    remove(temps)
    say(f"Completed pending writes in {secs(start)} seconds.")
    say(f"Finished writing plot {final_name}.")
    say(f"Finished plotting in {secs(start)} seconds ( 0.0 minutes ).")


def init_cuda(args: Args) -> None:
    say("[Bladebit CUDA Plotter]")
    say(" Host RAM            : 256 GiB")
    say(" Plot checks         : disabled")
    say("Selected cuda device 0 : Stand-in GPU")
    say("Allocating buffers (this may take a few seconds)...")
    say("Done.")


def _cuda_temps(args: Args) -> list[Path]:
    if not args.option_switches & {"disk128", "disk16"}:
        return []
    temp1 = Path(args.options["temp1"])
    temp2 = Path(args.options.get("temp2", args.options["temp1"]))
    paths = [temp1 / f"table_l_{t}.tmp" for t in range(1, 8)]
    paths += [temp2 / "p1y-p3index.tmp", temp2 / "p1meta-p3rmap.tmp", temp2 / "p1unsortedx-p1lpairs-p3lp-p3-lmap.tmp"]
    for path in paths:
        touch(path)
    return paths


def run_cuda(args: Args, plot: Plot) -> None:
    start = time.monotonic()
    touch(plot.tmp, 0)
    temps = _cuda_temps(args)
    begin = time.monotonic()
    say("Generating F1")
    say(f"Finished F1 in {secs(start)} seconds.")
    for table in range(2, 8):
        if table == 7:
            say("Finalizing Table 7")
        say(f"Table {table} completed in {secs(start)} seconds with 4294967296 entries.")
    say(f"Completed Phase 1 in {secs(begin)} seconds")
    begin = time.monotonic()
    for table in range(6, 1, -1):
        say(f"Marked Table {table} in {secs(start)} seconds.")
    say(f"Completed Phase 2 in {secs(begin)} seconds")
    begin = time.monotonic()
    plot.write()
    say("Compressing Table 1 and 2...")
    say(f"Completed table 1 in {secs(start)} seconds with 3429000000 / 4294967296 entries ( 79.84% ).")
    for table in range(2, 7):
        say(f"Compressing tables {table} and {table + 1}...")
        for step in (1, 2, 3):
            say(f" Step {step} completed step in {secs(start)} seconds.")
        say(f"Completed table {table} in {secs(start)} seconds with 3429000000 / 4294967296 entries ( 79.84% ).")
    say("Serializing P7 entries")
    say(f"Completed serializing P7 entries in {secs(start)} seconds.")
    say(f"Completed Phase 3 in {secs(begin)} seconds")
    say(f"Completed Plot 1 in {secs(start)} seconds ( 0.00 minutes )")
    say("")
    plot.finish()
    say(f"Completed writing plot in {secs(start)} seconds")
    remove(temps)


INIT: dict[str, Callable[[Args], None]] = {"ramplot": init_ram, "diskplot": init_disk, "cudaplot": init_cuda}
RUN: dict[str, Callable[[Args, Plot], None]] = {"ramplot": run_ram, "diskplot": run_disk, "cudaplot": run_cuda}
