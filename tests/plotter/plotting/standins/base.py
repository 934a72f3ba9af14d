"""What the plotter stand-ins share: pacing, log output, real k18 plots, key and id handling.

A stand-in prints its plotter's log lines (formats from the plotter's source) at a brisk pace and
writes a real chiapos plot through the plotter's own temp-then-rename names. Environment:
``PLOTYARD_STANDIN_PACE`` seconds between log lines (default 0.002) and, for bladebit which has no
-k option, ``PLOTYARD_STANDIN_K`` (default 18). ``PLOTYARD_STANDIN_HOLD`` seconds at most (default 0)
that a stand-in waits, at the end of its plot, for the file ``PLOTYARD_STANDIN_RELEASE`` to exist:
a test that acts on a running job keeps it running as long as it needs.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

from common.plotformat.plotgen import _stdout_silenced

KEY_HEX = re.compile(r"(?:0x)?([0-9a-fA-F]{96})")
DEFAULT_K = 18


def pace() -> float:
    try:
        return max(0.0, float(os.environ.get("PLOTYARD_STANDIN_PACE", "0.002")))
    except ValueError:
        return 0.002


def hold() -> None:
    """Wait, at most ``PLOTYARD_STANDIN_HOLD`` seconds, until ``PLOTYARD_STANDIN_RELEASE`` exists."""
    deadline = time.monotonic() + float(os.environ.get("PLOTYARD_STANDIN_HOLD", "0"))
    release = Path(os.environ.get("PLOTYARD_STANDIN_RELEASE", "/nonexistent/release"))
    while time.monotonic() < deadline and not release.exists():
        time.sleep(0.05)


def standin_k() -> int:
    return int(os.environ.get("PLOTYARD_STANDIN_K", str(DEFAULT_K)))


def say(line: str = "") -> None:
    """One log line on stdout, flushed (a plotter's output is read while it runs)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    if line:
        time.sleep(pace())


def key_bytes(text: str | None) -> bytes | None:
    if text is None:
        return None
    match = KEY_HEX.fullmatch(text)
    return bytes.fromhex(match.group(1)) if match else None


def contract_hash(address: str) -> bytes:
    """Stands in for the bech32m decode of a pool contract address: 32 bytes derived from it."""
    return hashlib.sha256(address.encode()).digest()


def new_plot(pool: bytes, farmer: bytes) -> tuple[bytes, bytes]:
    """(plot id, memo) laid out like the real ones: pool key or puzzle hash, farmer key, a secret."""
    secret = secrets.token_bytes(32)
    return hashlib.sha256(pool + farmer + secret).digest(), pool + farmer + secret


def date_string() -> str:
    return time.strftime("%Y-%m-%d-%H-%M")


def write_real_plot(target: Path, k: int, plot_id: bytes, memo: bytes) -> None:
    """A real chiapos plot written to ``target`` (the plotter's temp name). chiapos's own temp
    files stay in a private directory outside the job's directories."""
    with tempfile.TemporaryDirectory(prefix="standin-") as work, _stdout_silenced(True):
        from chiapos import DiskPlotter

        DiskPlotter().create_plot_disk(work, work, work, "p.plot", k, memo, plot_id, 200, 32, 2000, 2, False)
        with open(Path(work) / "p.plot", "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
            dst.flush()
            os.fsync(dst.fileno())


def touch(path: Path, size: int = 4096) -> None:
    path.write_bytes(b"\0" * size)


def remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
