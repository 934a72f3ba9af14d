"""A plotter started by hand (the chia stand-in, really plotting, relative dirs from its own cwd,
its output in a log) is listed by ``jobs`` and counted by the scheduler's limits and room; the
scheduler's own job is never taken for one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from plotter.cli import main
from plotter.plotting import byhand, jobs
from plotter.plotting.jobdb import opened
from plotter.plotting.loop import Scheduler, hand_running
from plotter.plotting.phase import Phase
from tests.plotter.plotting.scheduling import make_config, rows, start_by_hand


def test_a_job_started_by_hand_is_listed_and_counted(tmp_path: Path, standins: dict[str, Path],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    cfg = make_config(tmp_path / "sched", standins["chia"], plotting="max_jobs = 2", k=20)
    hand, log = start_by_hand(tmp_path / "hand", standins)
    try:
        scheduler = Scheduler(cfg)
        assert len(scheduler.run_pass()[1]) == 1  # max_jobs 2: one more fits beside the hand job
        with opened(cfg.plotter.state_dir) as db:
            [ours] = db.all()
            jobs.suspend(db, ours)  # both stay, whatever the machine's speed
        decision, started = scheduler.run_pass()
        assert started == [] and decision.waits["a"] == "max_jobs: 2 jobs (1 started by hand) running (limit 2)"

        capsys.readouterr()
        assert main(["--config", str(cfg.path), "jobs", "--json"]) == 0
        listed = json.loads(capsys.readouterr().out)["jobs"]
        [mine] = [r for r in listed if not r["by_hand"]]
        [found] = [r for r in listed if r["by_hand"]]
        assert mine["id"] == ours.id and mine["state"] == "suspended"
        root = tmp_path / "hand"
        assert (found["id"], found["job"], found["pid"], found["backend"], found["k"], found["state"]) == \
            (None, "(by hand)", hand.pid, "chia", 18, "suspended")
        assert (found["tmp_dir"], found["dst_dir"], found["log"]) == (str(root / "tmp"), str(root / "dst"), str(log))
        assert Phase.parse(found["phase"]) >= Phase(1, 0) and re.fullmatch(r"[0-9a-f]{64}", found["plot"])

        [job] = byhand.find({ours.pid or 0})
        held = hand_running(job).place
        assert held.tmp_dir == root / "tmp" and held.need.tmp > 0 and held.used[root / "tmp"] > 0
    finally:
        hand.kill()
        hand.wait(timeout=10)
        with opened(cfg.plotter.state_dir) as db:
            for row in db.all(live_only=True):
                jobs.kill(db, row)
    assert [r.state for r in rows(cfg)] == ["failed"]


def test_the_global_stagger_counts_a_start_by_hand(tmp_path: Path, standins: dict[str, Path]) -> None:
    cfg = make_config(tmp_path / "sched", standins["chia"], plotting="max_jobs = 2\nstagger = 1h")
    hand, _ = start_by_hand(tmp_path / "hand", standins)
    try:
        decision, started = Scheduler(cfg).run_pass()
    finally:
        hand.kill()
        hand.wait(timeout=10)
    assert started == [] and decision.waits["a"].startswith("stagger: ")
