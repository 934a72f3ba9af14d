"""``plot-manager view`` shows a plotter started by hand among the jobs (no id, its pid, its phase)
and refuses to act on it: only the scheduler's own jobs are suspended, resumed or killed."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from plotter.plotting.process import procs
from plotter.view.app import PlotView
from tests.plotter.plotting.scheduling import make_config, start_by_hand
from tests.viewpilot import until

DEADLINE = 60.0


def test_a_job_started_by_hand_is_shown_and_left_alone(tmp_path: Path, standins: dict[str, Path]) -> None:
    cfg = make_config(tmp_path, standins["chia"], plotting="max_jobs = 1")
    hand, _ = start_by_hand(tmp_path, standins, tmp="t1", dst="dst")
    row = re.compile(rf"^\s*- +{hand.pid} +\(by hand\) +chia +18 +1:\d .* suspended\s*$", re.M)

    async def drive(app: PlotView) -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await until(app, row.search, "the hand job's row", DEADLINE)
            await until(app, lambda s: "max_jobs: 1 jobs (1 started by hand)" in s, "why nothing starts", DEADLINE)
            await pilot.press("s")
            await until(app, lambda s: f"pid {hand.pid} was started by hand" in s, "the refusal", DEADLINE)
            await pilot.press("q")

    try:
        app = PlotView(cfg, refresh=0.3)
        asyncio.run(drive(app))
        found = procs.stat(hand.pid)
        assert found is not None and found.state == "T"  # untouched: still as the test left it
    finally:
        hand.kill()
        hand.wait(timeout=10)
    assert app.return_code == 0
