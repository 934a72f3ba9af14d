"""Stand-in for ``chia plots create`` that really plots with chiapos.DiskPlotter.

Options are those of chia-blockchain chia/cmds/plots.py ``create_cmd``; unknown ones get click's
usage error (exit 2). chia's logging lines (chia/plotting/create_plots.py, format from
chia/util/chia_logging.py, on stderr) surround chiapos's own progress output on stdout.
Deviations: k down to 18 is allowed with --override-k (chia refuses < 25), the stripe size shrinks
with k so that chiapos accepts small plots, and keys are not looked up in a keychain.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import NoReturn

from tests.plotter.plotting.standins.base import contract_hash, hold, key_bytes, new_plot

VERSION = "2.4.4"
MIN_K = 18
log = logging.getLogger("chia.plotting.create_plots")


class _ClickLike(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sys.stderr.write("Usage: chia plots create [OPTIONS]\nTry 'chia plots create -h' for help.\n\n"
                         f"Error: {message}\n")
        sys.exit(2)


def _parser() -> argparse.ArgumentParser:
    p = _ClickLike(prog="chia plots create", add_help=True)
    p.add_argument("-k", "--size", type=int, default=32)
    p.add_argument("--override-k", action="store_true")
    p.add_argument("-n", "--num", type=int, default=1)
    p.add_argument("-b", "--buffer", type=int, default=3389)
    p.add_argument("-r", "--num_threads", type=int, default=2)
    p.add_argument("-u", "--buckets", type=int, default=128)
    p.add_argument("-a", "--alt_fingerprint", type=int)
    p.add_argument("-c", "--pool_contract_address")
    p.add_argument("-f", "--farmer_public_key")
    p.add_argument("-p", "--pool_public_key")
    p.add_argument("-t", "--tmp_dir", default=".")
    p.add_argument("-2", "--tmp2_dir")
    p.add_argument("-d", "--final_dir", default=".")
    p.add_argument("-i", "--plotid")
    p.add_argument("-m", "--memo")
    p.add_argument("-e", "--nobitfield", action="store_true")
    p.add_argument("-x", "--exclude_final_dir", action="store_true")
    p.add_argument("-D", "--connect_to_daemon", action="store_true")
    return p


def _logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(
        f"%(asctime)s.%(msecs)03d {VERSION}  %(name)-33s: %(levelname)-8s %(message)s", "%Y-%m-%dT%H:%M:%S"))
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.INFO)


def _keys(args: argparse.Namespace) -> tuple[bytes, bytes, str] | str:
    """(pool key or puzzle hash, farmer key, description) or an error message."""
    farmer = key_bytes(args.farmer_public_key)
    if farmer is None:
        return "No keys, please run 'chia keys add', 'chia keys generate' or provide a public key with -f"
    if args.pool_public_key is not None:
        pool = key_bytes(args.pool_public_key)
        if pool is None:
            return f"Invalid pool public key: {args.pool_public_key}"
        return pool, farmer, f"pool public key:  {pool.hex()} farmer public key: {farmer.hex()}"
    if args.pool_contract_address is None:
        return "No pool public key or pool contract address given (-p or -c)"
    return (contract_hash(args.pool_contract_address), farmer,
            f"pool contract address:  {args.pool_contract_address} farmer public key: {farmer.hex()}")


def _check_size(k: int, override_k: bool) -> str | None:
    if k < 32 and not override_k:
        return ("k=32 is the minimum size for farming.\n"
                "If you are testing and you want to use smaller size please add the --override-k flag.")
    if k < MIN_K:
        return f"Error: The minimum k size allowed from the cli is k={MIN_K}."
    return None


def create(args: argparse.Namespace, pool: bytes, farmer: bytes) -> list[Path]:
    from chiapos import DiskPlotter

    tmp, final = Path(args.tmp_dir), Path(args.final_dir)
    tmp2 = Path(args.tmp2_dir) if args.tmp2_dir else tmp
    for directory in (tmp, tmp2, final):
        directory.mkdir(parents=True, exist_ok=True)
    # Test sizes (k < 25, which real chia refuses): chiapos needs a smaller stripe ("Stripe size too
    # large"), fewer buckets and a smaller buffer ("Triggering bucket too early") for them.
    small = args.size < 25
    stripe = 2000 if small else 65536
    buckets, buffer = (min(args.buckets, 32), min(args.buffer, 200)) if small else (args.buckets, args.buffer)
    created = []
    for i in range(args.num):
        plot_id, memo = new_plot(pool, farmer)
        name = f"plot-k{args.size}-{datetime.now().strftime('%Y-%m-%d-%H-%M')}-{plot_id.hex()}.plot"
        log.info(f"Starting plot {i + 1}/{args.num}")
        sys.stderr.flush()
        DiskPlotter().create_plot_disk(str(tmp), str(tmp2), str(final), name, args.size, memo, plot_id,
                                       buffer, buckets, stripe, args.num_threads, args.nobitfield)
        created.append(final / name)
    return created


def main(argv: list[str]) -> int:
    if argv[:2] != ["plots", "create"]:
        sys.stderr.write("Usage: chia [OPTIONS] COMMAND [ARGS]...\nTry 'chia -h' for help.\n\n"
                         "Error: this stand-in only knows 'chia plots create'\n")
        return 2
    args = _parser().parse_args(argv[2:])
    problem = _check_size(args.size, args.override_k)
    if problem:
        print(problem)
        return 1
    keys = _keys(args)
    if isinstance(keys, str):
        print(keys)
        return 1
    pool, farmer, described = keys
    _logging()
    log.info(f"Creating {args.num} plots of size {args.size}, {described}")
    created = create(args, pool, farmer)
    hold()  # a test acting on a running job keeps it running (tests: PLOTYARD_STANDIN_HOLD/_RELEASE)
    log.info("Summary:")
    log.info(f"Created a total of {len(created)} new plots")
    for path in created:
        log.info(path.name)
    return 0
