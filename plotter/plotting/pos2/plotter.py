"""plotyard's PoS2 plotter, the program the ``pos2`` backend runs:
``python -m plotter.plotting.pos2.plotter -k K [--strength S] [--meta-group M] -f FARMER_PK
(-p POOL_PK | -c POOL_CONTRACT) -t TMP_DIR -d DST_DIR [--check N] [--heartbeat SECONDS]``.

One single-plot group per run (chia_rs 0.53 ``create_v2_single_plot_group``, plot index 0): keys
derived as chia does (:mod:`.keys`), the group written as ``<tmp>/<final name>.tmp``, read back and
checked (header fields, memo, proofs of N challenges solved and validated), then renamed into the
dst dir (copied to ``<dst>/<final name>.tmp`` first when tmp is another file system), the file and
the dir fsynced. The chia_rs call runs in a child process (:mod:`.worker`) so that this one can say,
while it works, that it still uses CPU: the scheduler's stall check sees progress in the log. A
killed run leaves only ``.tmp`` files named by the group id, which the log names before plotting
starts. Exit 0: the plot is in dst; 1: it failed (the reason on a line of its own);
2: bad arguments.

Log lines (every one starts ``pos2: ``; :mod:`plotter.plotting.logs.pos2` reads them): the header, the
group line with the group id, "phase 1: plotting ...", the heartbeat "plotting, N s so far, M CPU s",
"phase 1 finished in X s", "checking ...", "moving to ...", "renamed final plot to ...", "total time X s".
"""

from __future__ import annotations

import argparse
import errno
import os
import shutil
import sys
import time
from pathlib import Path

from common.fsync import fsync_path
from plotter.plotting.backends.base import META_GROUPS, STRENGTHS, V2_K_VALUES
from plotter.plotting.pos2 import check, worker
from plotter.plotting.pos2.keys import GroupKeys, derive

PREFIX = "pos2: "
DEFAULT_CHECKS = 4
MAX_CHECKS = 1000


def say(text: str) -> None:
    print(PREFIX + text, flush=True)


def final_name(k: int, group_id: bytes) -> str:
    return f"plot-k{k}-{group_id.hex()}.gplot"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pos2plot", description="plotyard's PoS2 plotter (one group per run)")
    parser.add_argument("-k", type=int, required=True, choices=V2_K_VALUES, metavar="K")
    parser.add_argument("--strength", type=int, default=STRENGTHS[0], choices=STRENGTHS, metavar="S")
    parser.add_argument("--meta-group", type=int, default=0, choices=META_GROUPS, metavar="M")
    parser.add_argument("-f", "--farmer-key", required=True)
    pool = parser.add_mutually_exclusive_group(required=True)
    pool.add_argument("-p", "--pool-key")
    pool.add_argument("-c", "--pool-contract")
    parser.add_argument("-t", "--tmp-dir", type=Path, required=True)
    parser.add_argument("-d", "--dst-dir", type=Path, required=True)
    parser.add_argument("--check", type=int, default=DEFAULT_CHECKS, choices=range(0, MAX_CHECKS + 1),
                        metavar="N", help="challenges whose proofs are solved and validated before the move")
    parser.add_argument("--heartbeat", type=_heartbeat, default=worker.HEARTBEAT, metavar="SECONDS",
                        help="a log line this often while plotting uses CPU (0.1..3600)")
    return parser.parse_args(argv)


def _heartbeat(text: str) -> float:
    value = float(text)
    if not 0.1 <= value <= 3600:
        raise ValueError(text)
    return value


def plot(args: argparse.Namespace) -> Path:
    started = time.monotonic()
    say(f"plotyard PoS2 plotter, chia_rs {_version()}")
    keys = derive(args.farmer_key, args.pool_key, args.pool_contract, args.strength)
    name = final_name(args.k, keys.group_id)
    say(f"group 1/1: k{args.k}, strength {args.strength}, meta group {args.meta_group}, 1 plot; "
        f"group id {keys.group_id.hex()}")
    say(f"{_pool_text(args, keys)}; farmer key {keys.farmer_pk.hex()}; plot key {keys.plot_pk.hex()}")
    temp = args.tmp_dir / (name + ".tmp")
    try:
        final = make(args, keys, temp, args.dst_dir / name)
    except BaseException:  # anything that stops it, even ^C: no partial file stays under a plot name
        for leftover in (temp, args.dst_dir / (name + ".tmp")):
            leftover.unlink(missing_ok=True)
        raise
    say(f"renamed final plot to {final}")
    say(f"total time {time.monotonic() - started:.2f} s")
    return final


def make(args: argparse.Namespace, keys: GroupKeys, temp: Path, final: Path) -> Path:
    """Plot into ``temp``, check it, move it to ``final``."""
    say(f"phase 1: plotting into {temp}")
    begun = time.monotonic()
    worker.plot_with_heartbeat(temp, args.k, args.strength, keys.group_id, args.meta_group, keys.memo, say,
                               args.heartbeat)
    say(f"phase 1 finished in {time.monotonic() - begun:.2f} s")
    expected = check.Expected(args.k, args.strength, args.meta_group, keys.group_id, keys.memo)
    say(f"checking: header, memo and the proofs of {args.check} challenges")
    proofs = check.check_group(temp, expected, args.check)
    say(f"checked: {proofs} proofs valid")
    return move(temp, final)


def move(temp: Path, final: Path) -> Path:
    """``temp`` to ``final``, durably: fsync the file, rename, fsync the dir; a copy through
    ``<final>.tmp`` when they are on different file systems."""
    say(f"moving to {final}")
    fsync_path(temp)
    if final.exists():
        raise FileExistsError(f"{final} exists already")
    try:
        os.rename(temp, final)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        staged = final.with_name(final.name + ".tmp")
        say(f"copying to {staged} (another file system)")
        shutil.copyfile(temp, staged)
        fsync_path(staged)
        os.rename(staged, final)
        temp.unlink()
    fsync_path(final.parent)
    return final


def _pool_text(args: argparse.Namespace, keys: GroupKeys) -> str:
    if args.pool_contract is not None:
        return f"pool contract {args.pool_contract} (puzzle hash {keys.pool_info.hex()})"
    return f"pool key {keys.pool_info.hex()}"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chia_rs")
    except PackageNotFoundError:
        return "unknown"


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        plot(args)
    except ImportError as exc:
        say(f"error: chia_rs is not installed ({exc}): pip install 'plotyard[pos2]'")
        return 1
    except (ValueError, OSError, check.CheckError, worker.PlotError) as exc:
        say(f"error: {exc}")
        return 1
    except KeyboardInterrupt:  # ^C by hand: its files are gone already (plot's cleanup)
        say("error: interrupted")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
