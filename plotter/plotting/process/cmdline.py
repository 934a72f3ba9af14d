"""A plotter's command line -> what it plots where: the reverse of the backends' argv, for jobs
started by hand (see :mod:`plotter.plotting.process.byhand`). Pure.

The option names are the plotters' own (the same sources the backends cite): chia-blockchain
``create_cmd`` (click), madMAx ``chia_plot.cpp`` (cxxopts), bladebit ``main.cpp`` and the
diskplot/cudaplot ``ParseCLI``, xchplot2 tools/xchplot2/cli.cpp (``plot`` mode). Each takes
``-x VALUE``; click and cxxopts also ``--long=VALUE``, and click ``-xVALUE``. The answer is a
:class:`JobSpec` without keys (file names and room do not depend on them); a relative directory is
left relative: the caller knows the process's cwd.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePath

from plotter.plotting.backends import JobSpec, keyless

_INTERPRETER = re.compile(r"python[0-9.]*")
MADMAX_NAMES = ("chia_plot", "chia_plot_k34")
BLADEBIT_COMMANDS = {"ramplot": "bladebit", "diskplot": "bladebit-disk", "cudaplot": "bladebit-cuda"}
POS2_MODULE = "plotter.plotting.pos2.plotter"  # run as ``python -m`` (plotter.plotting.backends.pos2)


# Per plotter: option -> field, for the options whose value matters here or would otherwise be
# taken for a positional argument.
_CHIA = {"-k": "k", "--size": "k", "-t": "tmp", "--tmp_dir": "tmp", "-2": "tmp2", "--tmp2_dir": "tmp2",
         "-d": "dst", "--final_dir": "dst", **dict.fromkeys(
             ("-n", "--num", "-b", "--buffer", "-r", "--num_threads", "-u", "--buckets", "-a", "--alt_fingerprint",
              "-c", "--pool_contract_address", "-f", "--farmer_public_key", "-p", "--pool_public_key",
              "-i", "--plotid", "-m", "--memo"), "")}
_MADMAX = {"-k": "k", "--size": "k", "-t": "tmp", "--tmpdir": "tmp", "-2": "tmp2", "--tmpdir2": "tmp2",
           "-d": "dst", "--finaldir": "dst", **dict.fromkeys(
               ("-n", "--count", "-r", "--threads", "-u", "--buckets", "-v", "--buckets3", "-s", "--stagedir",
                "-w", "--waitforcopy", "-c", "--contract", "-p", "--poolkey", "-f", "--farmerkey"), "")}
_BLADEBIT_GLOBAL = {"-z": "level", "--compress": "level", **dict.fromkeys(
    ("-t", "--threads", "-n", "--count", "-f", "--farmer-key", "-p", "--pool-key", "-c", "--pool-contract",
     "-i", "--plot-id", "--memo", "--memory"), "")}
_POS2 = {"-k": "k", "-t": "tmp", "--tmp-dir": "tmp", "-d": "dst", "--dst-dir": "dst", **dict.fromkeys(
    ("--strength", "--meta-group", "-f", "--farmer-key", "-p", "--pool-key", "-c", "--pool-contract", "--check"), "")}
_BLADEBIT_COMMAND = {"-t1": "tmp", "--temp1": "tmp", "-t2": "tmp2", "--temp2": "tmp2", **dict.fromkeys(
    ("-b", "--buckets", "--cache", "-a", "--alternate", "-d", "--device", "--f1-threads", "--fp-threads",
     "--c-threads", "--p2-threads", "--p3-threads"), "")}
# xchplot2 plot (tools/xchplot2/cli.cpp): each option takes its value as the next word.
_XCHPLOT2 = {"-k": "k", "--k": "k", "-o": "dst", "--out": "dst", **dict.fromkeys(
    ("-n", "--num", "-s", "--strength", "-f", "--farmer-pk", "-p", "--pool-pk", "--pool-ph", "-c",
     "--pool-contract-address", "-i", "--plot-index", "-g", "--meta-group", "-S", "--seed", "--pipeline-depth",
     "--strategy", "--pipeline-stage-tiers", "--tier", "--devices", "--config"), "")}


def program(argv: Sequence[str]) -> tuple[str, list[str]]:
    """The program's base name and its arguments, past an interpreter running it as a script."""
    words = list(argv)
    if len(words) > 1 and _INTERPRETER.fullmatch(PurePath(words[0]).name):
        words = words[1:]
    return (PurePath(words[0]).name, words[1:]) if words else ("", [])


def parse(argv: Sequence[str]) -> JobSpec | None:
    """What the command line plots, or None when it is not a plotter making plots."""
    name, args = program(argv)
    try:
        if name == "chia" and args[:2] == ["plots", "create"]:
            return _chia(args[2:])
        if name in MADMAX_NAMES:
            return _madmax(args)
        if name in ("bladebit", "bladebit_cuda"):
            return _bladebit(args)
        if name == "-m" and args[:1] == [POS2_MODULE]:
            return _pos2(args[1:])
        if name == "xchplot2" and args[:1] == ["plot"]:
            return _xchplot2(args[1:])
    except ValueError:
        return None  # a value that is not a number where one belongs: not a job we can count
    return None


def options(args: Sequence[str], table: dict[str, str], attached: bool = False) -> tuple[dict[str, str], list[str]]:
    """(field -> value for the options in ``table``, the positional words); options not in the
    table are taken to have no value. ``attached``: ``-tVALUE`` is ``-t VALUE`` (click)."""
    found: dict[str, str] = {}
    positional: list[str] = []
    words = list(args)
    i = 0
    while i < len(words):
        word = words[i]
        flag, eq, value = word.partition("=")
        if eq and flag.startswith("--") and flag in table:
            found[table[flag]] = value
        elif word in table:
            if i + 1 < len(words):
                found[table[word]] = words[i + 1]
            i += 1
        elif attached and len(word) > 2 and word[:2] in table and not word.startswith("--"):
            found[table[word[:2]]] = word[2:]
        elif not word.startswith("-"):
            positional.append(word)
        i += 1
    found.pop("", None)
    return found, positional


def _chia(args: Sequence[str]) -> JobSpec:
    got, _ = options(args, _CHIA, attached=True)
    # click defaults in create_cmd: -k 32, -t and -d the current directory
    return keyless("chia", int(got.get("k", 32)), got.get("dst", "."), got.get("tmp", "."), got.get("tmp2"))


def _madmax(args: Sequence[str]) -> JobSpec:
    got, _ = options(args, _MADMAX)
    # chia_plot: empty tmpdir and finaldir mean the current directory
    return keyless("madmax", int(got.get("k", 32)), got.get("dst") or ".", got.get("tmp") or ".", got.get("tmp2"))


def _pos2(args: Sequence[str]) -> JobSpec | None:
    got, _ = options(args, _POS2)
    if "k" not in got or "tmp" not in got or "dst" not in got:
        return None  # the program refuses to start without them
    return keyless("pos2", int(got["k"]), got["dst"], got["tmp"], None)


def _bladebit(args: Sequence[str]) -> JobSpec | None:
    at = _first_positional(args, _BLADEBIT_GLOBAL)
    if at is None or args[at] not in BLADEBIT_COMMANDS:
        return None
    head, _ = options(args[:at], _BLADEBIT_GLOBAL)
    tail, positional = options(args[at + 1:], _BLADEBIT_COMMAND)
    if not positional:
        return None  # no out dir: bladebit would refuse to start
    # bladebit makes k32 only (the backends say so too)
    return keyless(BLADEBIT_COMMANDS[args[at]], 32, positional[-1], tail.get("tmp"), tail.get("tmp2"),
                   int(head.get("level", 0)))


def _xchplot2(args: Sequence[str]) -> JobSpec:
    got, _ = options(args, _XCHPLOT2)
    # cli.cpp defaults: k 28, out "."; it plots in GPU memory (no temp dir) and writes into out
    return keyless("xchplot2", int(got.get("k", 28)), got.get("dst") or ".", None, None)


def _first_positional(args: Sequence[str], table: dict[str, str]) -> int | None:
    i = 0
    while i < len(args):
        if args[i] in table:
            i += 2
        elif args[i].startswith("-"):
            i += 1
        else:
            return i
    return None
