"""A job whose plotter makes no progress: stalled in ``jobs`` (table and --json), the view and a
plot_stalled alert naming the full directory; cleared when it moves again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from plotter import config as plotter_config
from plotter.config import PlotterConfig
from plotter.plotting.jobs import read_status
from plotter.plotting.loop import Scheduler
from plotter.plotting.process import procs
from plotter.plotting.stall import Stall, blocked_file, judge
from plotter.view import data, render
from tests.helpers import run_cli
from tests.notify_servers import HttpCapture
from tests.plotter.plotting.scheduling import make_config, rows, wait_for

# What the chia stand-in (chiapos) printed on a 3 MiB tmpfs that filled up during phase 1.
CHIAPOS_FULL = ('Only wrote 8192 of 90475 bytes at offset 0 to "/mnt/t/plot-k18-2026-12-06-22-35-6114.plot.p1.t2.'
                'sort_bucket_028.tmp" with length 8192. Error 1. Retrying in five minutes.')
DIRS = [("tmp", Path("/mnt/t")), ("dst", Path("/mnt/d"))]
STALL_AFTER = 10.0  # the least stall_after allows
TIMEOUT = 30


def test_a_retry_line_names_the_blocked_file_only_at_the_end_of_the_log() -> None:
    assert blocked_file(["Computing table 2", CHIAPOS_FULL, ""]) == Path(
        "/mnt/t/plot-k18-2026-12-06-22-35-6114.plot.p1.t2.sort_bucket_028.tmp")
    assert blocked_file([CHIAPOS_FULL, "Computing table 3"]) is None  # it wrote again and went on
    copy = "Copy to /mnt/d/plot-k32-x.plot failed with: fwrite() failed"  # madMAx's final copy
    assert blocked_file([copy]) == Path("/mnt/d/plot-k32-x.plot")
    assert blocked_file([]) is None


def test_judge() -> None:
    blocked = Path("/mnt/t/x.tmp")
    assert judge(100.0, 60.0, 50.0, blocked, DIRS, 0) is None  # not long enough
    full = judge(1000.0, 60.0, 100.0, blocked, DIRS, 0)
    assert full == Stall(100.0, "no progress for 15:00: tmp dir /mnt/t is full (0 B free); the plotter retries "
                                "every 5 minutes", Path("/mnt/t"))
    room = judge(1000.0, 60.0, 100.0, Path("/mnt/d/y.plot"), DIRS, 10**12)
    assert room is not None and room.directory == Path("/mnt/d") and "cannot write in dst dir /mnt/d" in room.reason
    quiet = judge(1000.0, 60.0, 100.0, None, DIRS, None)
    assert quiet == Stall(100.0, "no progress for 15:00 (its log and temp files did not change)")


def config_with_alerts(root: Path, chia: Path, push: HttpCapture, tmp_dirs: str | None = None) -> PlotterConfig:
    cfg = make_config(root, chia, plotting=f"stall_after = {STALL_AFTER:.0f}s", tmp_dirs=tmp_dirs,
                      job="retry_delay = 1h\nthreads = 1\n")
    cfg.path.write_text(cfg.path.read_text() + "[notify]\nplot_stalled = pushbullet\ndefault = none\n"
                        f"[pushbullet]\napi_key = key\napi_url = {push.url}\n")
    cfg.path.chmod(0o600)
    return plotter_config.load(cfg.path)


def listed(cfg_path: Path) -> dict[str, object]:
    done = run_cli("plotter", "--config", str(cfg_path), "jobs", "--json")
    assert done.returncode == 0, done.stderr
    job: dict[str, object] = json.loads(done.stdout)["jobs"][0]
    return job


def pushes(push: HttpCapture, resolved: bool = False) -> list[str]:
    """Bodies of the plot_stalled pushes (or of their resolutions)."""
    found = [r.json() for r in push.requests if r.path == "/v2/pushes"]
    return [p["body"] for p in found if "is stalled" in p["title"] and ("Resolved: " in p["title"]) == resolved]


@pytest.mark.slow
def test_a_stopped_plotter_is_stalled_until_it_moves_again(tmp_path: Path, standins: dict[str, Path],
                                                           http_capture: HttpCapture) -> None:
    cfg = config_with_alerts(tmp_path, standins["chia"], http_capture, tmp_dirs=str(tmp_path / "t0"))
    scheduler = Scheduler(cfg)
    scheduler.run_pass()
    [row] = rows(cfg)
    wait_for(lambda: "Starting phase 1/4" in Path(row.log).read_text(), TIMEOUT, "phase 1")
    plotter = read_status(row).get("plotter_pid")
    assert isinstance(plotter, int) and procs.stat(plotter) is not None
    os.kill(plotter, signal.SIGSTOP)  # stuck, as far as anyone can tell; its state stays "running"
    try:
        def stalled() -> bool:
            scheduler.run_pass()
            return bool(pushes(http_capture))
        wait_for(stalled, STALL_AFTER + TIMEOUT, "the plot_stalled alert")
        job = listed(cfg.path)
        assert job["state"] == "running" and job["stalled_since"] is not None
        assert str(job["reason"]).startswith("stalled: no progress for ")
        table = run_cli("plotter", "--config", str(cfg.path), "jobs").stdout
        assert f"job {row.id}: stalled: no progress for " in table
        snap = data.build(cfg)
        assert snap.jobs[0].state == "stalled" and snap.jobs[0].stalled_since is not None
        section = render.jobs_section(snap, 120, None)
        assert any(text.startswith(f"job {row.id} stalled since ") for text, _ in section.tail)
    finally:
        os.kill(plotter, signal.SIGCONT)

    def moving() -> bool:
        scheduler.run_pass()
        return bool(pushes(http_capture, resolved=True))
    wait_for(moving, TIMEOUT, "the plot_stalled alert resolved once the plotter moves again")
    assert len(pushes(http_capture)) == 1  # one alert while it stood, then its resolution
    job = listed(cfg.path)
    assert job["stalled_since"] is None or job["state"] != "running"
    if job["state"] == "running":
        assert run_cli("plotter", "--config", str(cfg.path), "jobs", "kill", str(row.id)).returncode == 0


def fill(directory: Path) -> None:
    """Take the rest of a file system's room, as another writer would (bounded by its size)."""
    chunk = b"\0" * (1 << 20)
    with open(directory / "ballast", "wb", buffering=0) as out:
        for _ in range(1024):
            try:
                out.write(chunk)
            except OSError:
                break
    for _ in range(1024):  # the last, partial MiB
        try:
            with open(directory / "ballast", "ab", buffering=0) as out:
                out.write(b"\0" * 4096)
        except OSError:
            return


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to mount a small tmpfs")
def test_a_full_tmp_dir_is_named(tmp_path: Path, standins: dict[str, Path], http_capture: HttpCapture) -> None:
    tmp = tmp_path / "small"
    tmp.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(tmp)], check=True, timeout=TIMEOUT)
    try:
        cfg = config_with_alerts(tmp_path, standins["chia"], http_capture, tmp_dirs=str(tmp))
        scheduler = Scheduler(cfg)
        scheduler.run_pass()
        [row] = rows(cfg)
        wait_for(lambda: "Computing table 2" in Path(row.log).read_text(), TIMEOUT, "phase 1, table 2")
        fill(tmp)  # the tmp dir fills up under the running job

        def stalled() -> bool:
            scheduler.run_pass()
            return bool(pushes(http_capture))
        wait_for(stalled, STALL_AFTER + 2 * TIMEOUT, "the plot_stalled alert")
        assert "Retrying in five minutes" in Path(row.log).read_text()  # chiapos, waiting for room
        [body] = pushes(http_capture)
        assert f"tmp dir {tmp} is full" in body
        job = listed(cfg.path)
        assert job["stalled_since"] is not None and f"tmp dir {tmp} is full" in str(job["reason"])
        assert run_cli("plotter", "--config", str(cfg.path), "jobs", "kill", str(row.id)).returncode == 0
    finally:
        subprocess.run(["umount", "-l", str(tmp)], check=False, timeout=TIMEOUT)
