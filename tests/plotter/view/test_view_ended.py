"""``K`` in ``plot-manager view`` offers a kill only for a job that runs now (its runjob parent alive
by pid and start time): for one that has ended, recorded or not yet, it says so and asks nothing."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from common.ui.viewapp import Confirm
from plotter.plotting.loop import Scheduler
from plotter.plotting.process import procs
from plotter.view.app import PlotView
from tests.plotter.plotting.scheduling import make_config, rows, run_until, wait_for
from tests.viewpilot import until

DEADLINE = 60.0


async def press_kill(app: PlotView, shown: str, said: str) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await until(app, lambda s: shown in s, "the job's row", DEADLINE)
        await pilot.press("K")
        await until(app, lambda s: said in s, "why there is nothing to kill", DEADLINE)
        assert not isinstance(app.screen, Confirm)
        await pilot.press("q")


@pytest.mark.slow
def test_k_on_a_finished_job_says_it_has_ended(tmp_path: Path, standins: dict[str, Path]) -> None:
    cfg = make_config(tmp_path, standins["chia"], job="max_plots = 1")
    [row] = run_until(Scheduler(cfg), lambda rs: len(rs) == 1 and not rs[0].live)
    assert row.state == "done"
    app = PlotView(cfg, refresh=0.3)
    asyncio.run(press_kill(app, " done", f"job {row.id} has ended (done): nothing to kill"))
    assert app.return_code == 0


def test_k_on_a_job_whose_processes_are_gone_says_it_has_ended(tmp_path: Path, standins: dict[str, Path]) -> None:
    cfg = make_config(tmp_path, standins["chia"], k=19, job="max_plots = 1")
    scheduler = Scheduler(cfg)
    scheduler.run_pass()
    [row] = rows(cfg)
    assert row.pid is not None
    wait_for(lambda: len(procs.group(row.pid or 0)) == 2, DEADLINE, "the plotter under its parent")
    os.killpg(row.pid, signal.SIGKILL)  # no scheduler pass follows: the database still says running
    scheduler.handles[row.id].wait(DEADLINE)
    wait_for(lambda: not procs.group(row.pid or 0), DEADLINE, "the job's processes gone")
    app = PlotView(cfg, refresh=0.3)
    asyncio.run(press_kill(app, " ended", f"job {row.id} has ended: nothing to kill"))
    [after] = rows(cfg)
    assert after.state == "running"  # the view records nothing; the next scheduler pass does
