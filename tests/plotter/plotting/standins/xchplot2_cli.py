"""The xchplot2 stand-in's command line: exactly the ``plot`` mode's options of tools/xchplot2/cli.cpp.

Like the real parser, each word is looked at in turn; a value option at the end of the line is
"Error: <opt> requires 1 arg(s)" and then, like any word it does not know, "Error: unknown
argument: <word>" with the usage, exit 1. Numbers are read like C's ``atoi`` (a bad one is 0).
After the loop, the same checks in the same order and with the same messages as cli.cpp.
Not copied: the usage text (the stand-in prints a short one), ``--config``/``@argfile``
expansion, and the other modes (``test``, ``batch``, ``verify``, ``devices``...), which the
stand-in refuses with its usage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# option -> field; cli.cpp "plot" mode, in its order
VALUE_OPTIONS = {
    "--k": "k", "-k": "k", "--num": "num", "-n": "num", "--strength": "strength", "-s": "strength",
    "--out": "out", "-o": "out", "--farmer-pk": "farmer", "-f": "farmer", "--pool-pk": "pool_pk", "-p": "pool_pk",
    "--pool-ph": "pool_ph", "--pool-contract-address": "pool_addr", "-c": "pool_addr",
    "--plot-index": "index", "-i": "index", "--meta-group": "meta", "-g": "meta", "--seed": "seed", "-S": "seed",
    "--pipeline-depth": "pipeline_depth", "--strategy": "strategy", "--pipeline-stage-tiers": "stage_tiers",
    "--tier": "tier", "--devices": "devices",
}
SWITCHES = {
    "--testnet": ("testnet", True), "-T": ("testnet", True), "--no-testnet": ("testnet", False),
    "-v": ("verbose", True), "--verbose": ("verbose", True), "--no-verbose": ("verbose", False),
    "--progress": ("progress", True), "--no-progress": ("progress", False),
    "--skip-existing": ("skip_existing", True), "--resume": ("skip_existing", True),
    "--no-skip-existing": ("skip_existing", False), "--no-resume": ("skip_existing", False),
    "--continue-on-error": ("continue_on_error", True), "--no-continue-on-error": ("continue_on_error", False),
    "--cpu": ("cpu", True), "--no-cpu": ("cpu", False), "--shard-plot": ("shard", True),
    "--no-shard-plot": ("shard", False), "--pipeline-plot": ("pipeline", True),
    "--no-pipeline-plot": ("pipeline", False), "--host-bounce": ("host_bounce", True),
    "--prefer-peer-copy": ("prefer_peer_copy", True),
}
TIERS = ("plain", "compact", "minimal", "tiny", "auto")
STRATEGIES = ("auto", "work-queue", "workqueue", "pipeline", "pipeline-plot", "shard", "shard-plot")


class Usage(Exception):
    """Exit 1 after the message lines (already printed) and the usage."""


class Fatal(Exception):
    """One "Error: ..." line, exit 1."""


@dataclass
class PlotArgs:
    values: dict[str, str] = field(default_factory=dict)
    switches: dict[str, bool] = field(default_factory=dict)

    def int(self, name: str, default: int) -> int:
        return atoi(self.values[name]) if name in self.values else default

    def on(self, name: str) -> bool:
        return self.switches.get(name, False)


def atoi(text: str) -> int:
    match = re.match(r"\s*([+-]?[0-9]+)", text)
    return int(match.group(1)) if match else 0


def parse(argv: list[str], err: list[str]) -> PlotArgs:
    """``argv`` after ``plot``; problems go to ``err`` as the real program's lines."""
    args = PlotArgs()
    i = 0
    while i < len(argv):
        word = argv[i]
        if word in VALUE_OPTIONS:
            if i + 1 >= len(argv):
                err.append(f"Error: {word} requires 1 arg(s)")
                err.append(f"Error: unknown argument: {word}")
                raise Usage
            args.values[VALUE_OPTIONS[word]] = argv[i + 1]
            _check_value(word, argv[i + 1])
            i += 2
            continue
        if word not in SWITCHES:
            err.append(f"Error: unknown argument: {word}")
            raise Usage
        name, value = SWITCHES[word]
        args.switches[name] = value
        i += 1
    return args


def _check_value(option: str, value: str) -> None:
    if option == "--pipeline-depth" and atoi(value) < 1:
        raise Fatal("--pipeline-depth must be >= 1")
    if option == "--strategy" and value not in STRATEGIES:
        raise Fatal(f"--strategy expects auto|work-queue|pipeline|shard (got '{value}')")
    if option == "--tier" and value not in TIERS:
        raise Fatal(f"--tier expects 'plain', 'compact', 'minimal', 'tiny', or 'auto' (got '{value}')")


def check(args: PlotArgs) -> None:
    """cli.cpp's checks after the option loop, in its order."""
    if not args.values.get("farmer"):
        raise Fatal("--farmer-pk is required")
    pools = sum(1 for name in ("pool_pk", "pool_ph", "pool_addr") if args.values.get(name))
    if pools == 0:
        raise Fatal("a pool destination is required — pick one of --pool-pk, --pool-ph, --pool-contract-address")
    if pools > 1:
        raise Fatal(f"--pool-pk, --pool-ph, and --pool-contract-address are mutually exclusive (saw {pools})")
    num, base = args.int("num", 1), args.int("index", 0)
    if num < 1:
        raise Fatal("--num must be >= 1")
    if not 0 <= base <= 0xFFFF:
        raise Fatal("--plot-index must be in [0, 65535]")
    if base + num - 1 > 0xFFFF:
        raise Fatal(f"--plot-index + (--num - 1) exceeds 65535 (base={base}, num={num})")
    if not 0 <= args.int("meta", 0) <= 0xFF:
        raise Fatal("--meta-group must be in [0, 255]")


def hex_bytes(text: str) -> bytes | None:
    """cli.cpp ``parse_hex_bytes``: an even number of hex digits, no prefix."""
    if len(text) % 2 or not re.fullmatch(r"[0-9a-fA-F]*", text):
        return None
    return bytes.fromhex(text)


_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32M = 0x2BC830A3


def decode_address(address: str) -> tuple[int, bytes]:
    """(keygen rc, puzzle hash) for an ``xch1``/``txch1`` bech32m address (BIP-350), the way
    keygen-rs ``pos2_keygen_decode_address`` answers: 0 OK, -6 bad address, -7 bad prefix."""
    hrp, sep, data = address.lower().rpartition("1")
    if not sep or address not in (address.lower(), address.upper()) or any(c not in _CHARSET for c in data):
        return -6, b""
    values = [_CHARSET.index(c) for c in data]
    if len(values) < 7 or _polymod([ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + values) != _BECH32M:
        return -6, b""
    if hrp not in ("xch", "txch"):
        return -7, b""
    out, acc, bits = bytearray(), 0, 0
    for value in values[:-6]:
        acc, bits = (acc << 5) | value, bits + 5
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    return (0, bytes(out)) if len(out) == 32 else (-6, b"")


def _polymod(values: list[int]) -> int:
    generators = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i, generator in enumerate(generators):
            check ^= generator if (top >> i) & 1 else 0
    return check


def encode_address(puzzle_hash: bytes, hrp: str = "xch") -> str:
    """The bech32m address of a puzzle hash (for tests that need a valid pool contract)."""
    out, acc, bits = [], 0, 0
    for byte in puzzle_hash:
        acc, bits = (acc << 8) | byte, bits + 8
        while bits >= 5:
            bits -= 5
            out.append((acc >> bits) & 31)
    if bits:
        out.append((acc << (5 - bits)) & 31)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + out
    check = _polymod(expanded + [0] * 6) ^ _BECH32M
    return hrp + "1" + "".join(_CHARSET[v] for v in out + [(check >> 5 * (5 - i)) & 31 for i in range(6)])
