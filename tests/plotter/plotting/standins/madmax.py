"""Stand-in for madMAx ``chia_plot`` / ``chia_plot_k34``.

Prints the log lines of src/chia_plot.cpp and include/chia/phase1-4.hpp (numbers made up, the
format kept), creates and removes temp files under the real names, writes a real chiapos plot as
``<stage>/<name>.plot.tmp`` in phase 3, renames it to ``.plot`` at the end of phase 4 and, when
the final directory differs, copies it there through ``<final>/<name>.plot.tmp`` (include/chia/copy.h).
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import datetime
from pathlib import Path

from tests.plotter.plotting.standins.base import date_string, new_plot, remove, say, touch, write_real_plot
from tests.plotter.plotting.standins.madmax_cli import EXIT_USAGE, Config, UsageProblem, configure, parse, plot_dir

WARNING_K = (
    "**   WARNING ! WARNING ! WARNING ! WARNING ! WARNING ! WARNING ! WARNING ! WARNING    **",
    "**                   !! k < 32 is not supported on chia network !!                    **",
    "**                  (If you want to plot for chives specify -x 9699)                  **",
)
STARS = "*" * 88


def main(argv: list[str]) -> int:
    return run(argv, kmax=32)


def main_k34(argv: list[str]) -> int:
    return run(argv, kmax=34)


def run(argv: list[str], kmax: int) -> int:
    try:
        opts = parse(argv)
        if "help" in opts.flags or not argv:
            say(f"Multi-threaded pipelined Chia k{kmax} plotter\n\nUsage:\n  chia_plot [OPTION...]")
            return 0
        if "version" in opts.flags:
            say("1.1.8")
            return 0
        cfg = configure(opts, kmax)
    except UsageProblem as problem:
        say(str(problem))
        return EXIT_USAGE
    _banner(cfg, kmax)
    for i in range(cfg.count):
        say(f"Crafting plot {i + 1} out of {cfg.count} ({datetime.now().strftime('%Y/%m/%d %H:%M:%S')})")
        name, made = create_plot(cfg)
        if cfg.final != cfg.stage and not cfg.directout:
            _final_copy(made, Path(cfg.final) / f"{name}.plot")
    return 0


def _banner(cfg: Config, kmax: int) -> None:
    if cfg.k < 32 and cfg.port == 8444:
        for line in ("", STARS, *WARNING_K, STARS, ""):
            say(line)
    say(f"Multi-threaded pipelined Chia k{kmax} plotter")
    say(f"Network Port: {cfg.port}" + (" [chia]" if cfg.port == 8444 else ""))
    say(f"Final Directory: {cfg.final}")
    if cfg.final != cfg.stage:
        say(f"Stage Directory: {cfg.stage}")
    say(f"Number of Plots: {cfg.count}")


def create_plot(cfg: Config) -> tuple[str, Path]:
    begin = time.monotonic()
    say(f"Process ID: {os.getpid()}")
    say(f"Number of Threads: {cfg.threads}")
    say(f"Number of Buckets P1:    2^{cfg.log_buckets} ({1 << cfg.log_buckets})")
    say(f"Number of Buckets P3+P4: 2^{cfg.log_buckets3} ({1 << cfg.log_buckets3})")
    if cfg.puzzle_hash:
        say(f"Pool Puzzle Hash:  {cfg.puzzle_hash.hex()}")
    else:
        say(f"Pool Public Key:   {cfg.pool_key.hex()}")
    say(f"Farmer Public Key: {cfg.farmer_key.hex()}")
    plot_id, memo = new_plot(cfg.pool_key or cfg.puzzle_hash, cfg.farmer_key)
    name = f"plot-k{cfg.k}-{date_string()}-{plot_id.hex()}"
    say(f"Working Directory:   {cfg.tmp}")
    say(f"Working Directory 2: {cfg.tmp2}")
    say(f"Plot Name: {name}")
    temps = _phase1(cfg, name)
    temps = _phase2(cfg, name, temps)
    plot_tmp = plot_dir(cfg) / f"{name}.plot.tmp"
    _phase3(cfg, name, temps, plot_tmp, plot_id, memo)
    made = _phase4(plot_tmp)
    took = time.monotonic() - begin
    say(f"Total plot creation time was {took:.3f} sec ({took / 60:.4f} min)")
    return name, made


def _phase1(cfg: Config, name: str) -> list[Path]:
    begin = time.monotonic()
    temps = [Path(cfg.tmp2) / f"{name}.p1.t1.sort_bucket_{b}.tmp" for b in range(4)]
    for path in temps:
        touch(path)
    say(f"[P1] Table 1 took {time.monotonic() - begin:.3f} sec")
    for table in range(2, 8):
        directory = cfg.tmp2 if table == 7 else cfg.tmp
        path = Path(directory) / f"{name}.p1.table{table - 1 if table < 7 else 7}.tmp"
        touch(path)
        temps.append(path)
        say(f"[P1] Table {table} took {time.monotonic() - begin:.3f} sec, found {4294000000 + table} matches")
    say(f"Phase 1 took {time.monotonic() - begin:.3f} sec")
    return temps


def _phase2(cfg: Config, name: str, temps: list[Path]) -> list[Path]:
    begin = time.monotonic()
    say("[P2] max_table_size = 4294967296")
    for table in range(7, 1, -1):
        say(f"[P2] Table {table} scan took {time.monotonic() - begin:.3f} sec")
        sort = Path(cfg.tmp2 if table == 2 else cfg.tmp) / f"{name}.p2.t{table}.sort_bucket_0.tmp"
        touch(sort)
        temps.append(sort)
        say(f"[P2] Table {table} rewrite took {time.monotonic() - begin:.3f} sec, "
            f"dropped 1116000000 entries (25.98 %)")
    say(f"Phase 2 took {time.monotonic() - begin:.3f} sec")
    return temps


def _phase3(cfg: Config, name: str, temps: list[Path], plot_tmp: Path, plot_id: bytes, memo: bytes) -> None:
    begin = time.monotonic()
    write_real_plot(plot_tmp, cfg.k, plot_id, memo)
    say("Wrote plot header with 252 bytes")
    for table in range(2, 8):
        lp = Path(cfg.tmp2) / f"{name}.p3s1.t{table}.sort_bucket_0.tmp"
        touch(lp)
        temps.append(lp)
        say(f"[P3-1] Table {table} took {time.monotonic() - begin:.3f} sec, wrote 3429000000 right entries")
        say(f"[P3-2] Table {table} took {time.monotonic() - begin:.3f} sec, wrote 3429000000 left entries, "
            "3429000000 final")
    remove(temps)
    say(f"Phase 3 took {time.monotonic() - begin:.3f} sec, wrote 21877000000 entries to final plot")


def _phase4(plot_tmp: Path) -> Path:
    begin = time.monotonic()
    say("[P4] Starting to write C1 and C3 tables")
    say("[P4] Finished writing C1 and C3 tables")
    say("[P4] Writing C2 table")
    say("[P4] Finished writing C2 table")
    final = plot_tmp.with_suffix("")  # <name>.plot.tmp -> <name>.plot
    os.rename(plot_tmp, final)
    say(f"Phase 4 took {time.monotonic() - begin:.3f} sec, final plot size is {final.stat().st_size} bytes")
    return final


def _final_copy(src: Path, dst: Path) -> None:
    say(f"Started copy to {dst}")
    begin = time.monotonic()
    tmp_dst = Path(f"{dst}.tmp")
    try:
        os.rename(src, tmp_dst)
    except OSError:
        shutil.copyfile(src, tmp_dst)
        src.unlink()
    os.rename(tmp_dst, dst)
    took = time.monotonic() - begin
    if took > 1:
        say(f"Copy to {dst} finished, took {took:.3f} sec, {dst.stat().st_size / took / 1048576:.1f} MB/s avg.")
    else:
        say(f"Renamed final plot to {dst}")
