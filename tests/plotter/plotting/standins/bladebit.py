"""Stand-in for bladebit (``ramplot``, ``diskplot``) and bladebit_cuda (``cudaplot``).

Prints the lines of src/main.cpp, src/plotmem (RAM), src/plotdisk (disk) and cuda/ (GPU) with
made-up numbers, writes a real chiapos plot through ``<out>/<name>.plot.tmp`` and the plot writer's
rename (src/plotting/PlotWriter.cpp). Deviation: the real bladebit only makes k32 and names every
plot ``plot-k32-...``; the stand-in makes a real k``PLOTYARD_STANDIN_K`` (18) plot and names it so.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tests.plotter.plotting.standins import bladebit_flows as flows
from tests.plotter.plotting.standins.base import contract_hash, date_string, key_bytes, new_plot, say, standin_k
from tests.plotter.plotting.standins.bladebit_cli import Args, Fatal, check, parse

VERSION = "3.1.0"


def main(argv: list[str]) -> int:
    return run(argv, cuda=False)


def main_cuda(argv: list[str]) -> int:
    return run(argv, cuda=True)


def run(argv: list[str], cuda: bool) -> int:
    try:
        args = parse(argv, cuda)
        check(args)
        pool, farmer = _keys(args)
    except Fatal as problem:
        sys.stdout.flush()
        sys.stderr.write(f"\nFatal Error:  {problem}\n")
        return 1
    _global_summary(args)
    say("")
    flows.INIT[args.command](args)
    say("")
    count = args.int("count", 1)
    for i in range(count):
        plot_id, memo = new_plot(pool, farmer)
        out_dir = Path(args.out_dirs[i % len(args.out_dirs)])
        level = f"c{args.level:02d}-" if args.level else ""
        tmp = out_dir / f"plot-k{standin_k()}-{level}{date_string()}-{plot_id.hex()}.plot.tmp"
        say(f"Generating plot {i + 1} / {count}: {plot_id.hex()}")
        say(f"Plot temporary file: {tmp}")
        say("")
        flows.RUN[args.command](args, flows.Plot(tmp, standin_k(), plot_id, memo))
    return 0


def _keys(args: Args) -> tuple[bytes, bytes]:
    farmer = key_bytes(args.values["farmer"])
    if farmer is None:
        raise Fatal(f"Invalid farmer public key '{args.values['farmer']}'")
    if "contract" in args.values:
        return contract_hash(args.values["contract"]), farmer
    pool = key_bytes(args.values["pool"])
    if pool is None:
        raise Fatal(f"Invalid pool public key '{args.values['pool']}'")
    return pool, farmer


def _global_summary(args: Args) -> None:
    if args.level > 7:
        say("WARNING: Compression levels greater than 7 are only for testing purposes and are not configured "
            "to the final plot size.")
    threads = min(args.int("threads", 0) or os.cpu_count() or 1, os.cpu_count() or 1)
    for line in ("", "Bladebit Chia Plotter", f"Version      : {VERSION}", "Git Commit   : 0000000",
                 "Compiled With: gcc 12.2.0", "", "[Global Plotting Config]",
                 f" Will create {args.int('count', 1)} plots.", f" Thread count          : {threads}",
                 f" Warm start enabled    : {'true' if 'warm' in args.switches else 'false'}",
                 f" NUMA disabled         : {'true' if 'no_numa' in args.switches else 'false'}",
                 f" CPU affinity disabled : {'true' if 'no_cpu_affinity' in args.switches else 'false'}",
                 f" Farmer public key     : {args.values['farmer']}"):
        say(line)
    if "contract" in args.values:
        say(f" Pool contract address : {args.values['contract']}")
    else:
        say(f" Pool public key       : {args.values['pool']}")
    if args.level:
        say(f" Compression Level     : {args.level}")
    say(f" Benchmark mode        : {'enabled' if 'benchmark' in args.switches else 'disabled'}")
