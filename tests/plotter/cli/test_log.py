"""``plot-manager log phases FILE [--backend B]`` as a user runs it: no config file anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from common.errors import LogFormatError, UsageError
from plotter.plotting.logs import phases
from tests.helpers import ROOT
from tests.plotter.plotting.conftest import Run


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    return subprocess.run([sys.executable, "-m", "plotter", "log", "phases", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=60, check=False)


def test_one_line_per_input_line(tmp_path: Path, chia_run: Run) -> None:
    done = run_cli(tmp_path, str(chia_run.log))
    assert done.returncode == 0, done.stderr
    out = done.stdout.split("\n")
    assert out[-1] == "" and len(out) - 1 == len(chia_run.lines)
    assert out[:-1] == [str(p) for p in phases(chia_run.lines, "chia")]


def test_crlf_file_without_final_newline(tmp_path: Path, chia_run: Run) -> None:
    log = tmp_path / "crlf.log"
    log.write_bytes("\r\n".join(chia_run.lines).encode())
    done = run_cli(tmp_path, str(log), "--backend", "chia")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [str(p) for p in phases(chia_run.lines, "chia")]


def test_backend_given_reads_a_log_with_no_signature(tmp_path: Path) -> None:
    log = tmp_path / "tail.log"
    log.write_text("Computing table 3\n\nbackpropagating\nBackpropagating on table 7\n")
    done = run_cli(tmp_path, str(log), "--backend", "chia")
    assert done.stdout == "1:3\n1:3\n1:3\n2:1\n"


def test_unknown_log_is_one_line_and_its_own_exit_code(tmp_path: Path) -> None:
    log = tmp_path / "other.log"
    log.write_text("hello\nworld\n")
    done = run_cli(tmp_path, str(log))
    assert done.returncode == LogFormatError.exit_code == 17
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "not a log of a known plotter" in done.stderr


def test_missing_file_and_bad_backend_are_usage_errors(tmp_path: Path) -> None:
    done = run_cli(tmp_path, str(tmp_path / "nope.log"))
    assert done.returncode == UsageError.exit_code
    assert done.stderr.strip() == f"plot-manager: error: cannot read {tmp_path / 'nope.log'}: No such file or directory"
    done = run_cli(tmp_path, str(tmp_path / "nope.log"), "--backend", "plotman")
    assert done.returncode == 2 and "invalid choice: 'plotman'" in done.stderr
