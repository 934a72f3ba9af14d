"""The generated plot unit lets real chia (2.7.5) write what it writes: its root, where it locks
config.yaml on every ``plots create``. Reproduced in a mount namespace: the unit's read-only home
with its ReadWritePaths, parsed from what ``plot-manager install systemd`` writes."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from plotter.plotting.logs.errors import last_error
from tests.chiacli import FARMER_KEY, POOL_KEY, chia_venv
from tests.helpers import ROOT, run_cli

UNIT_USER = "plotyardunit"  # a user this machine does not have: the unit's home is /home/<user>
STARTED = "Starting phase 1/4"
RUN_TIMEOUT = 120.0


def namespaces_available() -> str | None:
    if os.geteuid() != 0:
        return "needs root (unshare --mount, mount)"
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return "needs unshare and mount (util-linux)"
    try:
        pwd.getpwnam(UNIT_USER)
    except KeyError:
        return None
    return f"a user {UNIT_USER!r} exists on this machine"


pytestmark = pytest.mark.skipif(namespaces_available() is not None, reason=str(namespaces_available()))


def unit_paths(tmp_path: Path, chia: Path) -> list[str]:
    """The ReadWritePaths of the generated plot unit for a chia job (without their '-')."""
    (tmp_path / "tmp").mkdir()
    ini = tmp_path / "plotter.ini"
    ini.write_text(f"[plotter]\nplot_dirs = {tmp_path}/dst\nstate_dir = {tmp_path}/state\n"
                   "[nas n]\ntransport = local\n"
                   f"[plotting]\nlog_dir = {tmp_path}/logs\n"
                   f"[job a]\nbackend = chia\nexecutable = {chia}\nk = 25\ntmp_dirs = {tmp_path}/tmp\n"
                   f"farmer_key = {FARMER_KEY}\npool_key = {POOL_KEY}\n")
    out = tmp_path / "units"
    done = run_cli("plotter", "install", "systemd", "--config", str(ini), "--user", UNIT_USER, "--write", str(out))
    assert done.returncode == 0, done.stderr
    lines = (out / "plotyard-plotter-plot.service").read_text().splitlines()
    assert "ProtectHome=read-only" in lines
    words = next(line for line in lines if line.startswith("ReadWritePaths=")).split("=", 1)[1].split()
    return [word.lstrip("-") for word in words]


def plot_under_unit(tmp_path: Path, chia: Path, writable: list[str], log: Path) -> str:
    """Real ``chia plots create -k 25 --override-k`` as the unit would run it, the home protected."""
    (tmp_path / "dst").mkdir(exist_ok=True)
    plot = [str(chia), "plots", "create", "-k", "25", "--override-k", "-n", "1", "-t", str(tmp_path / "tmp"),
            "-d", str(tmp_path / "dst"), "-r", "1", "-b", "512", "-f", FARMER_KEY, "-p", POOL_KEY, "-x"]
    argv = ["unshare", "--mount", "--propagation", "private", "--", sys.executable,
            str(ROOT / "tests/plotter/cli/unitns.py"),
            "--home", "/home", "--user-home", f"/home/{UNIT_USER}", "--init", str(chia),
            *(f"--rw={path}" for path in writable), "--log", str(log), "--until", STARTED,
            "--timeout", str(RUN_TIMEOUT), "--", *plot]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT + 60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture(scope="module")
def chia() -> Path:
    """The real ``chia`` script (chia-blockchain 2.7.5, cached venv)."""
    return chia_venv() / "bin" / "chia"


@pytest.mark.slow
def test_real_chia_plots_under_the_generated_unit(tmp_path: Path, chia: Path) -> None:
    writable = unit_paths(tmp_path, chia)
    home = f"/home/{UNIT_USER}"  # the user is unknown here: the unit takes /home/<user>
    assert f"{home}/.chia/mainnet" in writable and f"{home}/.chia_keys" in writable
    log = tmp_path / "chia.log"
    assert plot_under_unit(tmp_path, chia, writable, log) == "started", log.read_text()
    assert list((tmp_path / "tmp").glob("plot-k25-*.tmp"))  # it is plotting


@pytest.mark.slow
def test_the_old_units_paths_make_real_chia_fail_on_its_config_lock(tmp_path: Path, chia: Path) -> None:
    writable = unit_paths(tmp_path, chia)
    old = [path for path in writable if not path.startswith("/home/")]  # the unit as it was made before
    log = tmp_path / "chia.log"
    assert plot_under_unit(tmp_path, chia, old, log) == "exited 1", log.read_text()
    text = log.read_text()
    assert f"Read-only file system: '/home/{UNIT_USER}/.chia/mainnet/config/config.yaml.lock'" in text
    # chia's own last word, which a failed job's reason now carries
    assert last_error(text.splitlines()) == "RuntimeError: Was not able to read config file successfully"
