"""A plotter started by hand in this config's dirs (the chia stand-in, really plotting, relative
dirs from its own cwd, its output in a log) is listed by ``jobs`` and counted by the scheduler's
limits and room; the scheduler's own job is never taken for one; a plotter in other dirs is not
this scheduler's business."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from plotter.cli.main import main
from plotter.config import PlotterConfig
from plotter.plotting import jobs
from plotter.plotting.jobdb import opened
from plotter.plotting.loop import Scheduler, hand_running
from plotter.plotting.phase import Phase
from plotter.plotting.process import byhand
from tests.plotter.plotting.scheduling import make_config, rows, start_by_hand


def listing(cfg: PlotterConfig, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert main(["--config", str(cfg.path), "jobs", "--json"]) == 0
    found: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["jobs"]
    return found


def end_jobs(cfg: PlotterConfig) -> None:
    with opened(cfg.plotter.state_dir) as db:
        for row in db.all(live_only=True):
            jobs.kill(db, row)


def test_a_job_started_by_hand_is_listed_and_counted(tmp_path: Path, standins: dict[str, Path],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "sched"
    cfg = make_config(root, standins["chia"], plotting="max_jobs = 2", k=20)
    hand, log = start_by_hand(root, standins, tmp="t0", dst="dst")
    try:
        scheduler = Scheduler(cfg)
        assert len(scheduler.run_pass()[1]) == 1  # max_jobs 2: one more fits beside the hand job
        with opened(cfg.plotter.state_dir) as db:
            [ours] = db.all()
            jobs.suspend(db, ours)  # both stay, whatever the machine's speed
        decision, started = scheduler.run_pass()
        assert started == [] and decision.waits["a"] == "max_jobs: 2 jobs (1 started by hand) running (limit 2)"

        listed = listing(cfg, capsys)
        [mine] = [r for r in listed if not r["by_hand"]]
        [found] = [r for r in listed if r["by_hand"]]
        assert mine["id"] == ours.id and mine["state"] == "suspended"
        assert (found["id"], found["job"], found["pid"], found["backend"], found["k"], found["state"]) == \
            (None, "(by hand)", hand.pid, "chia", 18, "suspended")
        assert (found["tmp_dir"], found["dst_dir"], found["log"]) == (str(root / "t0"), str(root / "dst"), str(log))
        assert Phase.parse(found["phase"]) >= Phase(1, 0) and re.fullmatch(r"[0-9a-f]{64}", found["plot"])

        [job] = [j for j in byhand.find({ours.pid or 0}) if j.pid == hand.pid]
        held = hand_running(job).place
        assert held.tmp_dir == root / "t0" and held.need.tmp > 0 and held.used[root / "t0"] > 0
    finally:
        hand.kill()
        hand.wait(timeout=10)
        end_jobs(cfg)
    assert [r.state for r in rows(cfg)] == ["failed"]


def test_the_global_stagger_counts_a_start_by_hand(tmp_path: Path, standins: dict[str, Path]) -> None:
    cfg = make_config(tmp_path, standins["chia"], plotting="max_jobs = 2\nstagger = 1h")
    hand, _ = start_by_hand(tmp_path, standins, tmp="t1", dst="dst")
    try:
        decision, started = Scheduler(cfg).run_pass()
    finally:
        hand.kill()
        hand.wait(timeout=10)
    assert started == [] and decision.waits["a"].startswith("stagger: ")


def test_a_plotter_in_other_dirs_is_neither_listed_nor_counted(tmp_path: Path, standins: dict[str, Path],
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    cfg = make_config(tmp_path / "sched", standins["chia"], plotting="max_jobs = 1\nstagger = 1h", k=20)
    hand, _ = start_by_hand(tmp_path / "elsewhere", standins, tmp="tmp", dst="dst")
    try:
        assert len(Scheduler(cfg).run_pass()[1]) == 1
        assert [r["by_hand"] for r in listing(cfg, capsys)] == [False]
    finally:
        hand.kill()
        hand.wait(timeout=10)
        end_jobs(cfg)
