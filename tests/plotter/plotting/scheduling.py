"""Helpers for the scheduler tests: a plotter.ini around the chia stand-in, passes until a condition."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from plotter import config as plotter_config
from plotter.config import PlotterConfig
from plotter.plotting.jobdb import JobRow, opened
from plotter.plotting.loop import Scheduler
from tests.helpers import wait_for
from tests.plotter.plotting.conftest import FARMER, POOL

__all__ = ["make_config", "rows", "run_until", "wait_for"]

DEADLINE = 120.0


def make_config(root: Path, chia: Path, plotting: str = "", job: str = "", dst: str | None = None,
                tmp_dirs: str | None = None, k: int = 18) -> PlotterConfig:
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
farmer_key = {FARMER}
pool_key = {POOL}
{job}
""")
    return plotter_config.load(path)


def rows(cfg: PlotterConfig) -> list[JobRow]:
    with opened(cfg.plotter.state_dir) as db:
        return db.all()


def run_until(scheduler: Scheduler, done: Callable[[list[JobRow]], bool], pause: float = 0.1,
              deadline: float = DEADLINE) -> list[JobRow]:
    """Scheduling passes until ``done(rows)``; bounded."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        scheduler.run_pass()
        found = rows(scheduler.cfg)
        if done(found):
            return found
        time.sleep(pause)
    raise AssertionError(f"not done within {deadline} s: {rows(scheduler.cfg)}")


def overlap(a: JobRow, b: JobRow) -> bool:
    a_end = a.ended_at if a.ended_at is not None else float("inf")
    b_end = b.ended_at if b.ended_at is not None else float("inf")
    return a.started_at < b_end and b.started_at < a_end
