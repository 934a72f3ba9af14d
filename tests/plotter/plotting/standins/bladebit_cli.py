"""The command line of bladebit / bladebit_cuda (src/main.cpp ``ParseCommandLine``, diskplot's
src/plotdisk/DiskPlotter.cpp and cudaplot's cuda/CudaPlotter.cu ``ParseCLI``) and its checks.

``bladebit [GLOBAL_OPTIONS] <command> [COMMAND_OPTIONS] <out_dirs>``; an unknown argument is
"Fatal Error:  Unexpected argument '<arg>'" (stderr, exit 1), like every other refusal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

GLOBAL_VALUES = {"-t": "threads", "--threads": "threads", "-n": "count", "--count": "count",
                 "-f": "farmer", "--farmer-key": "farmer", "-p": "pool", "--pool-key": "pool",
                 "-c": "contract", "--pool-contract": "contract", "-i": "plot_id", "--plot-id": "plot_id",
                 "--memo": "memo"}
GLOBAL_SWITCHES = {"-w": "warm", "--warm-start": "warm", "--no-direct-io": "no_direct_io",
                   "--show-memo": "show_memo", "-m": "no_numa", "--no-numa": "no_numa",
                   "--no-cpu-affinity": "no_cpu_affinity", "-v": "verbose", "--verbose": "verbose",
                   "--benchmark": "benchmark", "--dry-run": "benchmark"}
COMMAND_VALUES = {
    "ramplot": {},
    "diskplot": {"-b": "buckets", "--buckets": "buckets", "-t1": "temp1", "--temp1": "temp1", "-t2": "temp2",
                 "--temp2": "temp2", "--cache": "cache", "--f1-threads": "f1", "--fp-threads": "fp",
                 "--c-threads": "c", "--p2-threads": "p2", "--p3-threads": "p3"},
    "cudaplot": {"-d": "device", "--device": "device", "-t1": "temp1", "--temp1": "temp1", "-t2": "temp2",
                 "--temp2": "temp2", "--check": "check", "--check-threshold": "check_threshold"},
}
COMMAND_SWITCHES = {
    "ramplot": {},
    "diskplot": {"--unbounded": "unbounded", "-a": "alternate", "--alternate": "alternate",
                 "--no-t1-direct": "no_t1_direct", "--no-t2-direct": "no_t2_direct"},
    "cudaplot": {"--disk-128": "disk128", "--disk-16": "disk16", "--no-t1-direct": "no_t1_direct",
                 "--no-t2-direct": "no_t2_direct", "--json": "json", "-l": "list", "--list": "list"},
}


class Fatal(Exception):
    pass


@dataclass
class Args:
    command: str = ""
    level: int = 0
    values: dict[str, str] = field(default_factory=dict)
    switches: set[str] = field(default_factory=set)
    options: dict[str, str] = field(default_factory=dict)
    option_switches: set[str] = field(default_factory=set)
    out_dirs: list[str] = field(default_factory=list)

    def int(self, name: str, default: int) -> int:
        text = self.values.get(name)
        if text is None:
            return default
        if not text.isdigit():
            raise Fatal(f"Invalid value '{text}' for {name}.")
        return int(text)


def parse(argv: list[str], cuda: bool) -> Args:
    args, i = Args(), 0
    while i < len(argv):
        arg = argv[i]
        if arg in GLOBAL_VALUES:
            if i + 1 >= len(argv):
                raise Fatal(f"Expected a value for parameter '{arg}'.")
            args.values[GLOBAL_VALUES[arg]] = argv[i + 1]
            i += 2
        elif arg in GLOBAL_SWITCHES:
            args.switches.add(GLOBAL_SWITCHES[arg])
            i += 1
        elif arg in ("-z", "--compress"):
            args.level, i = _compress_level(argv, i + 1)
        elif arg in COMMAND_VALUES and (arg != "cudaplot" or cuda):
            args.command = arg
            _command_rest(args, argv[i + 1:])
            return args
        else:
            raise Fatal(f"Unexpected argument '{arg}'")
    return args


def _compress_level(argv: list[str], i: int) -> tuple[int, int]:
    if i < len(argv) and argv[i].isdigit():  # main.cpp: "The next parameter is potentially the compression level"
        return int(argv[i]), i + 1
    return 1, i


def _command_rest(args: Args, rest: list[str]) -> None:
    values, switches = COMMAND_VALUES[args.command], COMMAND_SWITCHES[args.command]
    i = 0
    while i < len(rest) and rest[i] in {**values, **switches}:
        if rest[i] in switches:
            args.option_switches.add(switches[rest[i]])
            i += 1
            continue
        if i + 1 >= len(rest):
            raise Fatal(f"Expected a value for parameter '{rest[i]}'.")
        args.options[values[rest[i]]] = rest[i + 1]
        i += 2
    for out in rest[i:]:
        if out.startswith("-"):
            raise Fatal(f"Unrecognized argument '{out}'.")
        args.out_dirs.append(out if out.endswith(("/", "\\")) else out + "/")


def check(args: Args) -> None:
    """main.cpp's checks, then the command's own (same messages)."""
    if not args.command:
        raise Fatal("No plotter type chosen.")
    if args.command == "diskplot" and args.level > 0:
        raise Fatal("diskplot is currently disabled for compressed plotting due to a bug.")
    if args.command == "ramplot" and args.level > 7:
        raise Fatal("ramplot currently does not support compression levels greater than 7")
    if "farmer" not in args.values:
        raise Fatal("A farmer public key must be specified.")
    if "contract" not in args.values and "pool" not in args.values:
        raise Fatal("Error: Either a pool public key or a pool contract address must be specified.")
    if args.level > 9:
        raise Fatal("Invalid compression level. Please specify a compression level between 0 and 9 (inclusive).")
    if args.level == 8:
        raise Fatal("Compression level 8 is not currently supported.")
    _check_command(args)
    if not args.out_dirs:
        raise Fatal("At least one output folder must be specified.")


def _check_command(args: Args) -> None:
    if args.command == "diskplot" and "temp1" not in args.options:
        raise Fatal("At least 1 temporary path (--temp) must be specified.")
    if args.command == "cudaplot" and args.option_switches & {"disk128", "disk16"}:
        if args.level <= 0:
            raise Fatal("Error: Cannot plot classic (uncompressed) plots in 128G or 64G mode.")
        if "temp1" not in args.options:
            raise Fatal("(stand-in) --disk-128/--disk-16 needs a temporary directory: -t1 and/or -t2.")
