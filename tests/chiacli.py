"""The real ``chia`` CLI for tests about chia: chia-blockchain in a venv of its own, made once and
cached outside the checkout (``$PLOTYARD_TEST_CACHE``, default ``~/.cache/plotyard-tests``), and a
chia root of the test's own made by ``chia init``.

The venv is made at its final path (venvs do not move) and marked complete only after pip
finished, so an interrupted install is removed and made again by the next test run.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CHIA_VERSION = "2.7.5"
# Public keys the real chia accepts (points on the BLS12-381 G1 curve; the stand-ins' FARMER/POOL
# are not): AugSchemeMPL.key_gen(b"plotyard-test-farmer" / b"plotyard-test-pool", padded with "."
# to 32 bytes).get_g1(), made once with chia_rs.
FARMER_KEY = ("97de95af252b177264c4b56eeefc80a468b68fe1771226cd3e1cf2a9011e018d716a756ea41b043c821ef5f090b072b4")
POOL_KEY = ("974ddc36285f8480940374bbe3932aa327915b921958ee5d156311b6c34d0c00028bf2572e308c3e09819daa76a393a4")
INSTALL_TIMEOUT = 900.0
INIT_TIMEOUT = 120.0


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "plotyard-tests"
    return Path(os.environ.get("PLOTYARD_TEST_CACHE", str(default)))


def cached_venv(name: str, requirement: str) -> Path:
    """A venv ``<cache>/<name>`` holding ``requirement``, made (pip, a minute at most) when missing."""
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    venv = cache / name
    marker = venv / ".complete"
    with open(cache / ".lock", "w") as lock:  # two test processes never build it at once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.exists():
            shutil.rmtree(venv, ignore_errors=True)
            # The venv's Python is the one running the tests (Debian's python3 in CI).
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=INSTALL_TIMEOUT)
            subprocess.run([str(venv / "bin" / "pip"), "install", "-q", requirement],
                           check=True, timeout=INSTALL_TIMEOUT)
            marker.touch()
    return venv


def chia_venv() -> Path:
    """The venv holding chia-blockchain ``CHIA_VERSION``; made (about a minute) when missing."""
    return cached_venv(f"chia-blockchain-{CHIA_VERSION}", f"chia-blockchain=={CHIA_VERSION}")


@dataclass(frozen=True)
class ChiaRoot:
    executable: Path  # the real ``chia`` script
    root: Path  # CHIA_ROOT, initialised

    def env(self, **extra: str) -> dict[str, str]:
        return dict(os.environ, CHIA_ROOT=str(self.root), **extra)

    def run(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.executable), *args], env=self.env(), capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)


def init_root(root: Path) -> ChiaRoot:
    """A fresh chia root at ``root`` (``chia init``: config and SSL certificates, no keys)."""
    executable = chia_venv() / "bin" / "chia"
    found = ChiaRoot(executable, root)
    done = found.run("init", timeout=INIT_TIMEOUT)
    if done.returncode != 0 or not (root / "config" / "config.yaml").exists():
        raise RuntimeError(f"chia init failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    return found
