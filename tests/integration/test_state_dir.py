"""A state dir that cannot be used: one line naming it and StateDirError's exit code, on both roles,
before any plot moves; the receiver answers the plotter why.

Root ignores permission bits, so "not writable" is a real read-only tmpfs mount when we are root,
and a 0o500 directory for an unprivileged user (run through setpriv) as well.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from common.errors import SomeFailedError, StateDirError
from common.transfer import protocol
from tests.helpers import ROOT, NasSetup, make_nas, make_plotter, run_cli

CopyPlots = Callable[..., list[Path]]
NOBODY = 65534


@pytest.fixture(params=["file-parent", "read-only", "read-only-not-creatable"])
def bad_state_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """An unusable state_dir and the reason its one line must give."""
    if request.param == "file-parent":
        blocker = tmp_path / "not-a-dir"
        blocker.write_text("a regular file\n")
        yield blocker / "state", f"cannot be created: {blocker} is not a directory"
        return
    if os.geteuid() != 0:
        pytest.skip("mounting a read-only tmpfs needs root")
    mount = tmp_path / "ro"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(mount)], check=True, timeout=30)
    try:
        yield (mount if request.param == "read-only" else mount / "state"), "is on a read-only filesystem"
    finally:
        subprocess.run(["umount", str(mount)], check=True, timeout=30)


def set_state_dir(ini: Path, state_dir: Path) -> None:
    lines = [f"state_dir = {state_dir}" if line.startswith("state_dir =") else line
             for line in ini.read_text().splitlines()]
    ini.write_text("\n".join(lines) + "\n")


def assert_one_line(result: subprocess.CompletedProcess[str], prog: str, state_dir: Path, reason: str) -> None:
    assert result.returncode == StateDirError.exit_code == 9, result.stderr
    assert result.stderr.splitlines() == [f"{prog}: error: state_dir {state_dir} {reason}"]


def test_plotter_state_dir(tmp_path: Path, copy_plots: CopyPlots, bad_state_dir: tuple[Path, str]) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    (source,) = copy_plots(plotter.dst, 1)
    state_dir, reason = bad_state_dir
    set_state_dir(plotter.ini, state_dir)

    for command in (["send", "--once"], ["status"]):
        result = run_cli("plotter", "--config", str(plotter.ini), *command)
        assert_one_line(result, "plot-manager", state_dir, reason)
    assert source.exists() and nas.plots() == []


@pytest.mark.slow
def test_nas_state_dir(tmp_path: Path, copy_plots: CopyPlots, bad_state_dir: tuple[Path, str]) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    state_dir, reason = bad_state_dir
    set_state_dir(nas.ini, state_dir)

    for command in (["check"], ["status"]):
        assert_one_line(run_cli("nas", "--config", str(nas.ini), *command), "drive-manager", state_dir, reason)
    _assert_receiver_answers(nas, state_dir, reason)

    plotter = make_plotter(tmp_path / "plotter", nas, None)
    (source,) = copy_plots(plotter.dst, 1)
    result = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")
    assert result.returncode == SomeFailedError.exit_code
    assert f"not sent, kept on the plotter: state_dir {state_dir} {reason}" in result.stderr
    assert "Traceback" not in result.stderr
    assert source.exists() and nas.plots() == [] and nas.parts() == []


def _assert_receiver_answers(nas: NasSetup, state_dir: Path, reason: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "nas", "--config", str(nas.ini), "receive"], cwd=ROOT,
                          input=protocol.encode("space", size=1), capture_output=True, timeout=60)
    replies = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["msg"] for r in replies] == ["hello", "error"]
    assert replies[1]["code"] == "state_dir" and replies[1]["error"] == f"state_dir {state_dir} {reason}"
    assert proc.returncode == StateDirError.exit_code
    assert b"Traceback" not in proc.stderr


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A directory an unprivileged user can reach (pytest's own tmp dirs are 0700 root)."""
    path = Path(tempfile.mkdtemp(prefix="plotyard-perm-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path)


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="switching to an unprivileged user needs root and setpriv")
def test_state_dir_without_write_permission(shared_tmp: Path) -> None:
    """chmod 0o500 bites only a non-root user: run plot-manager as uid 65534 (nobody)."""
    state_dir = shared_tmp / "state"
    state_dir.mkdir(mode=0o500)
    os.chown(state_dir, NOBODY, NOBODY)
    state_dir.chmod(0o500)  # mkdir's mode is masked by the umask
    (shared_tmp / "dst").mkdir()
    ini = shared_tmp / "plotter.ini"
    ini.write_text(f"[plotter]\nplot_dirs = {shared_tmp / 'dst'}\nstate_dir = {state_dir}\n\n"
                   "[nas nas01]\ntransport = local\ncommand = true\n")
    ini.chmod(0o644)

    result = subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
         sys.executable, "-m", "plotter", "--config", str(ini), "send", "--once"],
        capture_output=True, text=True, timeout=60, cwd=ROOT, stdin=subprocess.DEVNULL)

    assert_one_line(result, "plot-manager", state_dir, f"is not writable by this user (uid {NOBODY})")
