"""A live plotter for the view tests: the scheduler (``plot-manager plot``) running the chia
stand-in (real chiapos plots), and a rate-limited ``send --once`` to a local-transport NAS."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from plotter import config as plotter_config
from plotter.config import PlotterConfig
from plotter.plotting.jobdb import JobRow, db_path, opened
from plotter.plotting.process import procs
from tests.helpers import ROOT, NasSetup, PlotterSetup, make_nas, make_plotter
from tests.plotter.plotting.conftest import FARMER, POOL

CopyPlots = Callable[..., list[Path]]
K = 19  # about twice as long as k18 (~12 s here): time to see phases change and to press keys


@dataclass
class Live:
    nas: NasSetup
    plotter: PlotterSetup
    cfg: PlotterConfig
    procs: list[subprocess.Popen[bytes]]

    def jobs(self) -> list[JobRow]:
        if not db_path(self.cfg.plotter.state_dir).exists():
            return []
        with opened(self.cfg.plotter.state_dir) as db:
            return db.all()

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.plotter.root / f"{args[0]}.log", "ab")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen([sys.executable, "-m", "plotter", "--config", str(self.plotter.ini), *args],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=ROOT)
        log.close()
        self.procs.append(proc)
        return proc


def make_live(root: Path, chia: Path, copy_plots: CopyPlots, plots: int = 3) -> Live:
    nas = make_nas(root / "nas", drives=1)
    (root / "t0").mkdir(parents=True)
    job = (f"[plotting]\npoll_interval = 0.3\nmax_waiting_plots = 50\n\n[job a]\nbackend = chia\n"
           f"executable = {chia}\nk = {K}\ntmp_dirs = {root / 't0'}\nfarmer_key = {FARMER}\npool_key = {POOL}\n"
           "max_plots = 1\nthreads = 2\n")
    plotter = make_plotter(root / "plotter", nas, None, extra_plotter="bwlimit = 1MB\n", more_nas=job)
    copy_plots(plotter.dst, plots)
    return Live(nas, plotter, plotter_config.load(plotter.ini), [])


def job_group(row: JobRow) -> list[procs.ProcStat]:
    return procs.group(row.pid) if row.pid is not None else []


@contextlib.contextmanager
def running(live: Live) -> Iterator[Live]:
    """Scheduler and sender running; on the way out both stop and no job process is left."""
    try:
        yield live
    finally:
        for proc in live.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in live.procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for row in live.jobs():
            if row.pid is not None and job_group(row):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(row.pid, signal.SIGKILL)
