"""Jobs against the real ``chia plots create`` (chia-blockchain 2.7.5): the loader refuses the k
sizes real chia refuses, a k25 job starts under the real scheduler, and a job real chia fails
carries chia's own error line in its reason."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from plotter.plotting.jobdb import JobRow
from plotter.plotting.jobs import read_status
from plotter.plotting.loop import Scheduler
from tests.chiacli import FARMER_KEY, POOL_KEY, ChiaRoot
from tests.helpers import ROOT, run_cli
from tests.plotter.plotting.scheduling import make_config, rows, run_until, wait_for

CHIA_MIN_K = "Error: The minimum k size allowed from the cli is k=25."
STARTED = "Starting phase 1/4"
CLI_TIMEOUT = 120.0


def real_sizes_env(chia: ChiaRoot) -> dict[str, str]:
    """A farm's environment: no test sizes."""
    env = chia.env()
    env.pop("PLOTYARD_TEST_SIZES", None)
    return env


@pytest.mark.slow
@pytest.mark.parametrize(("k", "refused"), [(20, True), (24, True), (25, False)])
def test_the_loader_refuses_the_sizes_real_chia_refuses(tmp_path: Path, chia_root: ChiaRoot, k: int,
                                                        refused: bool) -> None:
    cfg = make_config(tmp_path, chia_root.executable, k=25, keys=(FARMER_KEY, POOL_KEY))
    cfg.path.write_text(cfg.path.read_text().replace("k = 25\n", f"k = {k}\n"))
    dry = subprocess.run([sys.executable, "-m", "plotter", "--config", str(cfg.path), "plot", "--dry-run"],
                         capture_output=True, text=True, timeout=CLI_TIMEOUT, cwd=ROOT, env=real_sizes_env(chia_root),
                         stdin=subprocess.DEVNULL)
    if refused:
        assert dry.returncode == 3 and "Traceback" not in dry.stderr
        assert dry.stderr.strip() == (f"plot-manager: error: {cfg.path}: [job a] k: chia cannot make k{k} plots "
                                      "(it accepts k25..k50)")
        # real chia, given the same size the way plotyard would pass it, refuses it too
        refusal = chia_root.run("plots", "create", "-k", str(k), "--override-k", "-n", "1", "-t", str(tmp_path / "t0"),
                                "-d", str(tmp_path / "dst"), "-f", FARMER_KEY, "-p", POOL_KEY, "-x")
        assert refusal.returncode == 1 and CHIA_MIN_K in refusal.stdout + refusal.stderr
    else:
        assert dry.returncode == 0, dry.stderr
        assert "would start: a on tmp" in dry.stdout


def _log_shows(row: JobRow, text: str) -> bool:
    return bool(row.log) and text in Path(row.log).read_text(errors="replace")


@pytest.mark.slow
def test_a_k25_job_starts_under_the_scheduler_and_is_killed(tmp_path: Path, chia_root: ChiaRoot,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHIA_ROOT", str(chia_root.root))
    monkeypatch.delenv("PLOTYARD_TEST_SIZES")  # the job's own size: real chia's smallest
    cfg = make_config(tmp_path, chia_root.executable, k=25, keys=(FARMER_KEY, POOL_KEY), tmp_dirs=str(tmp_path / "t0"),
                      job="threads = 1\nbuffer = 512\n")
    Scheduler(cfg).run_pass()
    [row] = rows(cfg)
    wait_for(lambda: _log_shows(row, STARTED), 120, "real chia plotting")
    plotter = read_status(row).get("plotter_pid")
    assert isinstance(plotter, int)
    assert b"--override-k" in Path(f"/proc/{plotter}/cmdline").read_bytes().split(b"\0")  # chia needs it below k32
    assert list((tmp_path / "t0").glob("plot-k25-*.tmp"))
    killed = run_cli("plotter", "--config", str(cfg.path), "jobs", "kill", str(row.id))
    assert killed.returncode == 0, killed.stderr
    [after] = rows(cfg)
    assert after.state == "failed" and after.reason == "killed by plot-manager jobs kill"
    assert not list((tmp_path / "t0").glob("*.tmp"))  # its temp files removed


@pytest.mark.slow
def test_a_job_real_chia_fails_records_chias_error_line(tmp_path: Path, chia_root: ChiaRoot,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # Test sizes let the loader take k20; real chia then refuses it, as it did on a farm before
    # the loader knew chia's range.
    assert os.environ.get("PLOTYARD_TEST_SIZES") == "1"
    monkeypatch.setenv("CHIA_ROOT", str(chia_root.root))
    cfg = make_config(tmp_path, chia_root.executable, k=20, keys=(FARMER_KEY, POOL_KEY), job="retry_delay = 1h")
    [row] = run_until(Scheduler(cfg), lambda rs: len(rs) == 1 and not rs[0].live)
    assert row.state == "failed" and row.returncode == 1
    assert row.reason == f"exit code 1 ({CHIA_MIN_K})"
    listing = run_cli("plotter", "--config", str(cfg.path), "jobs")
    assert CHIA_MIN_K in listing.stdout
