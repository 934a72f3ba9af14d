"""``plot-manager view`` driven by textual's pilot while the scheduler runs a real chiapos job and a
rate-limited transfer runs: phases and rates appear and change; s, r and K act on the job's processes."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from common.ui.viewapp import Confirm
from plotter.view import nascache
from plotter.view.app import PlotView
from tests.plotter.plotting.standins import install
from tests.plotter.view.live import CopyPlots, Live, job_group, make_live, running
from tests.viewpilot import until as wait_on_screen

DEADLINE = 90.0
JOB_ROW = re.compile(r"^\s*(\d+) a\s+chia\s+19 (\d:\d)\s+\S+\s+\S+ .* (running|suspended|starting)\s*$", re.M)
TRANSFER = re.compile(r"→ nas01:drive1 \S+\s+(\d+)%\s+([\d.]+) MB/s ETA (\S+)")


@pytest.fixture(scope="module")
def chia(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install(tmp_path_factory.mktemp("standin-bin"))["chia"]


async def until(app: PlotView, check: Callable[[str], object], what: str, deadline: float = DEADLINE) -> object:
    return await wait_on_screen(app, check, what, deadline)


def states(live: Live) -> list[str]:
    (row,) = [r for r in live.jobs() if r.live]
    return [p.state for p in job_group(row)]


async def wait_states(live: Live, check: Callable[[list[str]], bool], what: str) -> list[str]:
    end = time.monotonic() + 30
    while time.monotonic() < end:
        found = states(live)
        if found and check(found):
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"{what}: {states(live)}")


async def follow(app: PlotView, live: Live) -> None:
    async with app.run_test(size=(100, 40)) as pilot:
        first = await until(app, JOB_ROW.search, "a running job with its phase")
        assert isinstance(first, re.Match)
        await until(app, lambda s: (m := JOB_ROW.search(s)) and m.group(2) != first.group(2), "the phase moving on")
        seen = await until(app, lambda s: (m := TRANSFER.search(s)) and float(m.group(2)) > 0 and m,
                           "a running transfer with its rate")
        assert isinstance(seen, re.Match) and 0 < float(seen.group(2)) < 5  # bwlimit 1 MB/s
        await until(app, lambda s: (m := TRANSFER.search(s)) and m.group(1) != seen.group(1), "the transfer moving")
        await until(app, lambda s: "nas01 ok" in s, "the NAS status (asked in the background)")

        await pilot.press("s")
        await wait_states(live, lambda st: all(s == "T" for s in st), "suspended: every process stopped")
        await until(app, lambda s: " suspended" in s, "the job shown suspended")
        await pilot.press("r")
        await wait_states(live, lambda st: "T" not in st, "resumed: no process stopped")
        await until(app, lambda s: (m := JOB_ROW.search(s)) and m.group(3) == "running", "the job shown running")

        await pilot.press("s")  # a stopped job cannot finish before the kill is confirmed
        await wait_states(live, lambda st: all(s == "T" for s in st), "suspended again")
        live.procs[0].terminate()  # the scheduler: it would start the next job once this one fails
        live.procs[0].wait(timeout=30)
        await pilot.press("K")
        await until(app, lambda s: True, "")
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")
        assert not isinstance(app.screen, Confirm) and states(live)  # not killed
        await pilot.press("K")
        await pilot.press("y")
        await until(app, lambda s: "killed by plot-manager jobs kill" in s, "the kill in the recent events")
        (row,) = live.jobs()
        assert row.state == "failed" and job_group(row) == []
        await pilot.press("q")
    assert app.return_code == 0


@pytest.mark.slow
def test_view_follows_a_job_and_a_transfer_and_acts_on_the_job(tmp_path: Path, chia: Path, copy_plots: CopyPlots,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # The job stays running once its plot is made (until the test kills it): on a fast machine a
    # k19 plot could otherwise be done before the keys are pressed.
    monkeypatch.setenv("PLOTYARD_STANDIN_HOLD", str(DEADLINE))
    monkeypatch.setenv("PLOTYARD_STANDIN_RELEASE", str(tmp_path / "never"))
    live = make_live(tmp_path, chia, copy_plots)
    with running(live):
        live.start("plot")
        live.start("send", "--once")
        app = PlotView(live.cfg, refresh=0.3)
        asyncio.run(follow(app, live))
    cached = nascache.read_cached(live.cfg.plotter.state_dir, "nas01")
    assert cached is not None and cached["error"] is None and cached["status"]["drives"]
