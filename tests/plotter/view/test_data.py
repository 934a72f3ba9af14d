"""The view's snapshot builders and layout, without a terminal: phase progress, the scheduler's next
start, the NAS status cache (a real local NAS), alerts read back, and a screen that fits."""

from __future__ import annotations

import time
from pathlib import Path

from common.errors import ConnectError
from common.notify.base import Severity
from common.notify.dedupe import DedupeStore, Record
from plotter import config as plotter_config
from plotter.config import NasTarget, PlotterConfig
from plotter.plotting.loop import measure_rooms
from plotter.plotting.phase import Phase
from plotter.plotting.schedule import State
from plotter.view import data, nascache, render
from plotter.view.kinds import EventKind, LineState
from plotter.view.schedule import next_start, schedule_line
from tests.helpers import make_nas, make_plotter
from tests.plotter.plotting.conftest import FARMER, POOL
from tests.plotter.plotting.standins import install


def config(root: Path, plotting: str = "", job: str = "") -> PlotterConfig:
    nas = make_nas(root / "nas", drives=2)
    (root / "t0").mkdir(parents=True)
    chia = install(root / "bin")["chia"]  # the plotter must be there at load
    section = (f"[plotting]\n{plotting}\n\n[job a]\nbackend = chia\nexecutable = {chia}\nk = 18\n"
               f"tmp_dirs = {root / 't0'}\n"
               f"farmer_key = {FARMER}\npool_key = {POOL}\n{job}\n")
    return plotter_config.load(make_plotter(root / "plotter", nas, None, more_nas=section).ini)


def test_phase_fraction_grows_with_the_phase() -> None:
    phases = [Phase(0, 0), *(Phase(major, minor) for major in range(1, 5) for minor in range(8)), Phase(5, 0)]
    fractions = [data.phase_fraction(p) for p in phases]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions) and len(set(fractions)) > 20


def test_next_start_is_when_the_stagger_lets_go(tmp_path: Path) -> None:
    cfg = config(tmp_path, plotting="stagger = 30s")
    state = State(now=1000.0, started=0.0, last_start={"a": 990.0}, rooms=measure_rooms(cfg, []))
    line = schedule_line(cfg, state, scheduler_running=True)
    assert line.start is None and line.waits[0][1].startswith("stagger")
    assert next_start(cfg.plotting, state) == (20.0, "a") and line.next_in == 20.0
    text, _ = render.schedule_text(line, 80)
    assert text == "next start in 20 s: a"
    free = schedule_line(cfg, State(now=2000.0, started=0.0, rooms=measure_rooms(cfg, [])), scheduler_running=False)
    assert free.start is not None and free.start.startswith("a on ")
    assert render.schedule_text(free, 80)[0].startswith("no scheduler running (plot-manager plot); next start: now")


def test_nothing_starts_for_a_reason_that_time_does_not_end(tmp_path: Path) -> None:
    cfg = config(tmp_path, job="max_plots = 1")
    state = State(now=1000.0, started=0.0, made={"a": 1}, rooms=measure_rooms(cfg, []))
    line = schedule_line(cfg, state, scheduler_running=True)
    assert line.next_in is None and render.schedule_text(line, 80)[0].startswith("nothing starts: a: max_plots")


def test_the_nas_cache_keeps_the_last_status_when_the_nas_goes(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    state_dir, target = cfg.plotter.state_dir, cfg.nas[0]
    assert nascache.summarize("nas01", None).reachable is None
    nascache.refresh_all(state_dir, cfg.nas)  # the real local NAS: drive-manager status --json
    good = nascache.lines(state_dir, ["nas01"])[0]
    assert good.reachable and good.drives == 2 and good.error is None and good.ok_at is not None
    assert not nascache.due(state_dir, ["nas01"], time.time())

    def down(t: NasTarget) -> bytes:
        raise ConnectError(f"[nas {t.name}]: connection refused")

    nascache.refresh_one(state_dir, target, down)
    gone = nascache.lines(state_dir, ["nas01"])[0]
    assert gone.reachable is False and gone.error == "[nas nas01]: connection refused"
    assert gone.drives == 2 and gone.ok_at == good.ok_at  # the last known figures stay
    nascache.refresh_one(state_dir, target, lambda t: b'{"msg": "hello", "version": 1}\n')
    assert "receiver's hello" in (nascache.lines(state_dir, ["nas01"])[0].error or "")


def test_a_plotter_without_jobs_builds_a_snapshot_and_alerts_are_read_back(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    DedupeStore(cfg.plotter.state_dir).save([Record("k", "plot_failed", "plot job 3 (a) failed", Severity.WARNING,
                                                    False, False, 100.0, 100.0)])
    snap = data.build(cfg)
    assert snap.problems == () and snap.transfers == () and snap.jobs == ()
    assert [e.text for e in snap.events] == ["plot_failed: plot job 3 (a) failed"]
    assert [d.roles for d in snap.dirs] == [("tmp",), ("dst", "plots")]
    assert snap.nas[0].reachable is None  # not asked yet: the screen never waits for it


def test_the_screen_fits_and_keeps_the_selected_job_in_sight() -> None:
    now = time.time()
    jobs = tuple(data.JobLine(i, "a", "chia", 32, 1000 + i, Phase(1, i % 7), 60.0 * i, "/mnt/nvme0", "/mnt/dst0",
                              LineState.RUNNING) for i in range(1, 31))
    events = tuple(data.Event(now, EventKind.MADE, f"e{i}") for i in range(9))
    snap = data.Snapshot(now, "plotter1", jobs=jobs, events=events)
    for width, height in ((80, 24), (160, 50)):
        lines = render.screen(snap, width, height, selected=25)
        assert len(lines) <= height and all(len(text) <= width for text, _ in lines)
        assert next(text for text, style in lines if "reverse" in style).lstrip().startswith("25 ")
        assert any(text.startswith("… ") and text.endswith(" more") for text, _ in lines)
    assert "PID" in render.screen(snap, 160, 50)[2][0] and "PID" not in render.screen(snap, 80, 24)[2][0]


def test_other_commands_do_not_load_textual() -> None:
    import subprocess
    import sys

    code = ("import sys, plotter.cli.main, nas.cli.main; plotter.cli.main.build_parser(); nas.cli.main.build_parser(); "
            "sys.exit(any(m.split('.')[0] == 'textual' for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], timeout=60, check=False).returncode == 0


def test_the_view_waits_out_retry_delay_like_the_scheduler(tmp_path: Path) -> None:
    """The view decides on the scheduler's own pass state: a job that just failed waits retry_delay."""
    from plotter.plotting.jobdb import JobState, opened

    cfg = config(tmp_path, job="retry_delay = 10m")
    now = time.time()
    with opened(cfg.plotter.state_dir) as db:
        db.insert(job="a", backend="chia", k=18, compression=0, tmp_dir=str(tmp_path / "t0"),
                  dst_dir=str(cfg.plotter.plot_dirs[0]), log="", status_file="", started_at=now - 60,
                  state=JobState.FAILED, ended_at=now - 30, returncode=1)
    line = data.build(cfg, now=now).schedule
    assert line is not None and line.start is None
    assert line.waits[0][0] == "a" and line.waits[0][1].startswith("retry_delay")
