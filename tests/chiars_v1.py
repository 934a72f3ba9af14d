"""Real ``.plot2`` plots (``pos2`` version 1, one plot per file) for the tests: chia_rs 0.52, the last
release that writes them, in a venv of its own (the test extra pins 0.53, which writes only ``.gplot``
groups, and one process cannot import two chia_rs). Made once and cached like chia-blockchain's venv
(:mod:`tests.chiacli`): at its final path, marked complete only after pip finished.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.chiacli import cached_venv

CHIA_RS_V1 = "0.52.0"
PLOT_TIMEOUT = 120.0
# Runs in the 0.52 venv: argv = directory, k, count; prints one path per plot made.
_MAKE = """
import secrets, sys
from pathlib import Path
from chia_rs import create_v2_plot
from chia_rs.sized_bytes import bytes32
from chia_rs.sized_ints import uint8, uint16
directory, k, count = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for _ in range(count):
    plot_id = secrets.token_bytes(32)
    path = directory / f"plot-k{k}-{plot_id.hex()}.plot2"
    create_v2_plot(str(path), k, 2, bytes32(plot_id), uint16(0), uint8(0), secrets.token_bytes(112), False)
    print(path)
"""


def chia_rs_v1_venv() -> Path:
    """The venv holding chia_rs ``CHIA_RS_V1``; made (a few seconds) when missing."""
    return cached_venv(f"chia_rs-{CHIA_RS_V1}", f"chia_rs=={CHIA_RS_V1}")


def make_plot2_v1(directory: Path, k: int = 18, count: int = 1) -> list[Path]:
    """``count`` real ``.plot2`` plots (``pos2`` version 1) of size ``k`` in ``directory`` (k18 ~0.2 s each)."""
    directory.mkdir(parents=True, exist_ok=True)
    python = chia_rs_v1_venv() / "bin" / "python"
    done = subprocess.run([str(python), "-c", _MAKE, str(directory), str(k), str(count)], capture_output=True,
                          text=True, timeout=PLOT_TIMEOUT, stdin=subprocess.DEVNULL, check=True)
    return [Path(line) for line in done.stdout.splitlines()]


_MAKE_AT = """
import sys
from chia_rs import create_v2_plot
from chia_rs.sized_bytes import bytes32
from chia_rs.sized_ints import uint8, uint16
path, k, strength, plot_id, meta, memo = sys.argv[1:]
create_v2_plot(path, int(k), int(strength), bytes32(bytes.fromhex(plot_id)), uint16(0), uint8(int(meta)),
               bytes.fromhex(memo), False)
"""


def make_plot2_v1_at(path: Path, k: int, strength: int, plot_id: bytes, meta_group: int, memo: bytes) -> None:
    """One real ``pos2`` version 1 plot at ``path`` (any name) with the given id, meta group and memo."""
    python = chia_rs_v1_venv() / "bin" / "python"
    subprocess.run([str(python), "-c", _MAKE_AT, str(path), str(k), str(strength), plot_id.hex(), str(meta_group),
                    memo.hex()], capture_output=True, text=True, timeout=PLOT_TIMEOUT, stdin=subprocess.DEVNULL,
                   check=True)

