"""Helpers for the scheduler tests: a plotter.ini around the chia stand-in, passes until a condition."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from plotter import config as plotter_config
from plotter.config import PlotterConfig
from plotter.plotting.backends import command
from plotter.plotting.jobdb import JobRow, opened
from plotter.plotting.loop import Scheduler
from tests.helpers import wait_for
from tests.plotter.plotting.conftest import FARMER, POOL, spec_for

__all__ = ["make_config", "rows", "run_until", "start_by_hand", "wait_for"]

DEADLINE = 120.0


def make_config(root: Path, chia: Path, plotting: str = "", job: str = "", dst: str | None = None,
                tmp_dirs: str | None = None, k: int = 18, keys: tuple[str, str] = (FARMER, POOL)) -> PlotterConfig:
    dst = dst or str(root / "dst")
    tmp_dirs = tmp_dirs or f"{root / 't0'}, {root / 't1'}"
    for directory in (*dst.split(","), *tmp_dirs.split(",")):
        Path(directory.strip()).mkdir(parents=True, exist_ok=True)
    path = root / "plotter.ini"
    path.write_text(f"""[plotter]
plot_dirs = {dst}
state_dir = {root / 'state'}

[nas n]
transport = local

[plotting]
poll_interval = 0.1
{plotting}

[job a]
backend = chia
executable = {chia}
k = {k}
tmp_dirs = {tmp_dirs}
farmer_key = {keys[0]}
pool_key = {keys[1]}
{job}
""")
    return plotter_config.load(path)


def rows(cfg: PlotterConfig) -> list[JobRow]:
    with opened(cfg.plotter.state_dir) as db:
        return db.all()


def run_until(scheduler: Scheduler, done: Callable[[list[JobRow]], bool], pause: float = 0.1,
              deadline: float = DEADLINE) -> list[JobRow]:
    """Scheduling passes until ``done(rows)``; bounded."""
    end, last = time.monotonic() + deadline, "no pass"
    while time.monotonic() < end:
        decision, _ = scheduler.run_pass()
        last = f"paused {decision.paused!r}, waits {decision.waits}"
        found = rows(scheduler.cfg)
        if done(found):
            return found
        time.sleep(pause)
    raise AssertionError(f"not done within {deadline} s (last pass: {last}): {rows(scheduler.cfg)}")


def overlap(a: JobRow, b: JobRow) -> bool:
    a_end = a.ended_at if a.ended_at is not None else float("inf")
    b_end = b.ended_at if b.ended_at is not None else float("inf")
    return a.started_at < b_end and b.started_at < a_end


def temp_bytes(directory: Path) -> int:
    """Bytes in ``directory``'s temp files now (chiapos deletes sort buckets as it goes)."""
    total = 0
    for path in directory.glob("*.tmp"):
        try:
            total += path.stat().st_size
        except FileNotFoundError:
            continue
    return total


def start_by_hand(root: Path, standins: dict[str, Path], tmp: str = "t0",
                  dst: str = "dst") -> tuple[subprocess.Popen[bytes], Path]:
    """``chia plots create -t TMP -d DST > chia.log`` run in ``root`` (relative dirs), stopped in
    phase 1 once it has written temp bytes."""
    for name in (tmp, dst):
        (root / name).mkdir(parents=True, exist_ok=True)
    log = root / "chia.log"
    argv = command(spec_for("chia", root, standins, "chia", tmp_dir=Path(tmp), dst_dir=Path(dst)))
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, cwd=root, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    wait_for(lambda: "Starting phase 1/4" in log.read_text(), 60, "the hand job in phase 1")
    wait_for(lambda: temp_bytes(root / tmp), 60, "its temp files")
    proc.send_signal(signal.SIGSTOP)
    return proc, log
