"""A job runs at its section's nice level and CPU affinity: read back from the running processes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from plotter.plotting.loop import Scheduler
from tests.plotter.plotting.scheduling import make_config, rows, run_until, wait_for


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split()]


@pytest.mark.slow
def test_nice_and_cpu_affinity_reach_the_plotter(tmp_path: Path, standins: dict[str, Path]) -> None:
    cpu = min(os.sched_getaffinity(0))
    cfg = make_config(tmp_path, standins["chia"], job=f"nice = 7\ncpu_affinity = {cpu}\n", k=19)
    scheduler = Scheduler(cfg)
    scheduler.run_pass()
    wait_for(lambda: bool(rows(cfg)) and rows(cfg)[0].pid is not None, what="the job to start")
    parent = rows(cfg)[0].pid
    assert parent is not None
    wait_for(lambda: bool(children(parent)), what="the plotter under the job's parent")
    for pid in [parent, *children(parent)]:
        assert os.getpriority(os.PRIO_PROCESS, pid) == 7
        assert os.sched_getaffinity(pid) == {cpu}
    found = run_until(scheduler, lambda rs: not rs[0].live)
    assert found[0].state == "done"
