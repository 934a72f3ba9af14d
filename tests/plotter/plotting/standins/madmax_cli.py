"""The command line of madMAx ``chia_plot`` (src/chia_plot.cpp ``main``): options and checks.

cxxopts syntax: ``-k 32``, ``-k32``, ``--size 32``, ``--size=32``. The real plotter is built with
``allow_unrecognised_options()`` and silently ignores unknown options; the stand-in refuses them
the way chia_plot refuses bad values (message on stdout, exit code -2), so that a wrong flag in
a backend's argv fails a test instead of passing unnoticed.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

VALUE_OPTIONS = {"k": "size", "x": "port", "i": "id", "n": "count", "r": "threads", "u": "buckets",
                 "v": "buckets3", "t": "tmpdir", "2": "tmpdir2", "d": "finaldir", "s": "stagedir",
                 "p": "poolkey", "c": "contract", "f": "farmerkey", "K": "rmulti2"}
FLAG_OPTIONS = {"w": "waitforcopy", "G": "tmptoggle", "D": "directout", "Z": "unique"}
LONG_ONLY_FLAGS = ("version", "help")
INT_OPTIONS = ("size", "port", "count", "threads", "buckets", "buckets3", "rmulti2")
EXIT_USAGE = 254  # chia_plot returns -2


class UsageProblem(Exception):
    pass


@dataclass
class Options:
    values: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    def int(self, name: str, default: int) -> int:
        return int(self.values[name]) if name in self.values else default

    def text(self, name: str) -> str:
        return self.values.get(name, "")


def parse(argv: list[str]) -> Options:
    opts = Options()
    i = 0
    while i < len(argv):
        name, value, used = _one(argv, i)
        if name in FLAG_OPTIONS.values() or name in LONG_ONLY_FLAGS:
            opts.flags.add(name)
        else:
            if value is None:
                raise UsageProblem(f"Option '{name}' is missing an argument, see `chia_plot --help`.")
            if name in INT_OPTIONS and not value.lstrip("-").isdigit():
                raise UsageProblem(f"Argument '{value}' failed to parse, see `chia_plot --help`.")
            opts.values[name] = value
        i += used
    return opts


def _one(argv: list[str], i: int) -> tuple[str, str | None, int]:
    """(long name, value, how many argv items it used)."""
    arg = argv[i]
    following = argv[i + 1] if i + 1 < len(argv) else None
    if arg.startswith("--"):
        name, eq, value = arg[2:].partition("=")
        if name not in VALUE_OPTIONS.values() and name not in FLAG_OPTIONS.values() and name not in LONG_ONLY_FLAGS:
            raise UsageProblem(f"Unknown option: '{arg}', see `chia_plot --help`.")
        if eq or name in FLAG_OPTIONS.values() or name in LONG_ONLY_FLAGS:
            return name, value if eq else None, 1
        return name, following, 2
    if arg.startswith("-") and len(arg) > 1:
        short, rest = arg[1], arg[2:]
        if short in FLAG_OPTIONS and not rest:
            return FLAG_OPTIONS[short], None, 1
        if short in VALUE_OPTIONS:
            return (VALUE_OPTIONS[short], rest, 1) if rest else (VALUE_OPTIONS[short], following, 2)
    raise UsageProblem(f"Unknown option: '{arg}', see `chia_plot --help`.")


@dataclass(frozen=True)
class Config:
    k: int
    port: int
    count: int
    threads: int
    log_buckets: int
    log_buckets3: int
    tmp: str
    tmp2: str
    final: str
    stage: str
    directout: bool
    pool_key: bytes
    puzzle_hash: bytes
    farmer_key: bytes


def _log2_buckets(n: int) -> int:
    return int(math.log2(n)) if n >= 16 else n


def _dirs(opts: Options) -> tuple[str, str, str, str]:
    tmp = opts.text("tmpdir")
    if not tmp:
        raise UsageProblem("tmpdir needs to be specified via -t path/")
    tmp2, final = opts.text("tmpdir2") or tmp, opts.text("finaldir") or tmp
    stage = opts.text("stagedir")
    if stage and "tmptoggle" in opts.flags:
        raise UsageProblem("Stagedir and tmptoggle are mutually exclusive options.")
    for label, path in (("stagedir", stage), ("tmpdir", tmp), ("tmpdir2", tmp2), ("finaldir", final)):
        if path and not path.endswith(("/", "\\")):
            raise UsageProblem(f"Invalid {label}: {path} (needs trailing '/' or '\\')")
    for label, path in (("tmpdir", tmp), ("tmpdir2", tmp2), ("finaldir", final), ("stagedir", stage or tmp)):
        if not (os.path.isdir(path) and os.access(path, os.W_OK)):
            raise UsageProblem(f"Failed to write to {label} directory: '{path}'")
    return tmp, tmp2, final, stage or tmp


def _keys(opts: Options) -> tuple[bytes, bytes, bytes]:
    from tests.plotter.plotting.standins.base import contract_hash, key_bytes

    pool_text, contract, farmer_text = opts.text("poolkey"), opts.text("contract"), opts.text("farmerkey")
    if not contract and not pool_text:
        raise UsageProblem("Pool Public Key (for solo farming) or Pool Contract Address (for pool farming) "
                           "needs to be specified via -p or -c, see `chia_plot --help`.")
    if contract and pool_text:
        raise UsageProblem("Choose either Pool Public Key (for solo farming) or Pool Contract Address "
                           "(for pool farming), see `chia_plot --help`.")
    if not farmer_text:
        raise UsageProblem("Farmer Public Key (48 bytes) needs to be specified via -f, see `chia keys show`.")
    farmer = key_bytes(farmer_text)
    if farmer is None:
        raise UsageProblem(f"Invalid farmerkey: '{farmer_text}' (needs to be 48 bytes, see `chia keys show`)")
    if contract:
        return b"", contract_hash(contract), farmer
    pool = key_bytes(pool_text)
    if pool is None:
        raise UsageProblem(f"Invalid poolkey: '{pool_text}' (needs to be 48 bytes, see `chia keys show`)")
    return pool, b"", farmer


def configure(opts: Options, kmax: int) -> Config:
    k, threads = opts.int("size", 32), opts.int("threads", 4)
    if k > kmax or k < 16:
        raise UsageProblem(f"Invalid k option: {k}")
    pool, puzzle, farmer = _keys(opts)
    tmp, tmp2, final, stage = _dirs(opts)
    buckets = opts.int("buckets", 256)
    log_buckets = _log2_buckets(buckets)
    log_buckets3 = _log2_buckets(opts.int("buckets3", 0) or buckets)
    if not 1 <= threads <= 1024:
        raise UsageProblem(f"Invalid threads parameter: {threads} (supported: [1..1024])")
    for flag, value in (("-u", log_buckets), ("-v", log_buckets3)):
        if not 4 <= value <= 16:
            raise UsageProblem(f"Invalid buckets parameter {flag}: 2^{value} (supported: 2^[4..16])")
    return Config(k, opts.int("port", 8444), opts.int("count", 1), threads, log_buckets, log_buckets3,
                  tmp, tmp2, final, stage, "directout" in opts.flags, pool, puzzle, farmer)


def plot_dir(cfg: Config) -> Path:
    return Path(cfg.final if cfg.directout else cfg.stage)
