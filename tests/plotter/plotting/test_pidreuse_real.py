"""A job's pid given to an unrelated session leader while no scheduler ran (issue 16, item 2): no
signalling path touches the stranger, and the job is recorded failed. Run in a pid namespace of its
own (``unshare --pid --fork --mount-proc``, as root) where ``ns_last_pid`` places the reused pid;
the scenario itself is tests/plotter/plotting/pidreuse.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

TIMEOUT = 120


def unshare_refusal() -> str | None:
    """Why a pid namespace cannot be made here (None: it can)."""
    if os.geteuid() != 0:
        return "needs root: unshare --pid and writing ns_last_pid"
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    try:
        done = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "sh", "-c",
                               "echo 100 > /proc/sys/kernel/ns_last_pid"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unshare failed: {exc}"
    return None if done.returncode == 0 else f"unshare --pid is not permitted here: {done.stderr.decode().strip()}"


@pytest.mark.slow
def test_a_reused_pid_leaves_the_stranger_alone(tmp_path: Path, standins: dict[str, Path]) -> None:
    refusal = unshare_refusal()
    if refusal is not None:
        pytest.skip(refusal)
    done = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-m",
                           "tests.plotter.plotting.pidreuse", str(tmp_path), str(standins["chia"])],
                          capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["stranger"] == seen["pid"]  # the job's pid really went to the stranger
    assert seen["before"] == ["S", "S"]  # its leader and a member of its group, both asleep
    assert (seen["suspend"], seen["resume"], seen["kill"]) == (18, 18, 18)  # "not running"
    assert seen["after_commands"] == ["S", "S"]  # none stopped by suspend
    assert seen["stranger_alive"] and seen["after_pass"] == ["S", "S"]  # not killed by the pass
    assert seen["state"] == "failed" and "without an exit status" in seen["reason"]
    assert "killed what was left" not in done.stderr
