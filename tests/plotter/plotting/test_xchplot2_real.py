"""The xchplot2 stand-in (real chia_rs k18 plots through ``<name>.partial`` and a rename) under the
real scheduler: plots reach a NAS (local transport) and the ``.partial`` never does; a killed
job's ``.partial`` is removed while another job's, still being written, is left alone."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from plotter import config as plotter_config
from plotter.plotting.backends import command
from plotter.plotting.loop import Scheduler
from plotter.plotting.phase import Phase
from plotter.plotting.process import byhand
from tests.helpers import make_nas, make_plotter, pids_holding, popen_cli, run_cli, wait_for
from tests.plotter.plotting.conftest import CONTRACT_BECH32M, CONTRACT_HASH, FARMER, spec_for
from tests.plotter.plotting.scheduling import rows, run_until

PLOTS = 2


def job_sections(standin: Path, changes: str = "") -> str:
    return f"""[plotting]
max_jobs = 2
poll_interval = 0.2

[job g]
backend = xchplot2
executable = {standin}
k = 18
farmer_key = {FARMER}
pool_contract = {CONTRACT_BECH32M}
meta_group = 5
{changes}
"""


class DirWatch:
    """Every name seen in some directories, sampled every few ms while a test runs."""

    def __init__(self, *dirs: Path) -> None:
        self.dirs = dirs
        self.seen: set[str] = set()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            for directory in self.dirs:
                try:
                    self.seen.update(p.name for p in directory.iterdir())
                except OSError:
                    continue
            self.stop.wait(0.005)

    def __enter__(self) -> DirWatch:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(5)


def stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    return proc.returncode, stderr


@pytest.mark.slow
def test_plots_reach_the_nas_and_the_partial_never_does(tmp_path: Path, standins: dict[str, Path],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLOTYARD_STANDIN_HOLD", "1")  # each .partial stays open 1 s before its rename
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None,
                           more_nas=job_sections(standins["xchplot2"], f"max_plots = {PLOTS}\nmax_jobs = 1"))
    scheduler = popen_cli("plotter", "--config", str(plotter.ini), "plot")
    sender = popen_cli("plotter", "--config", str(plotter.ini), "send", "--watch")
    with DirWatch(plotter.dst) as in_dst, DirWatch(*nas.drives) as on_nas:
        try:
            wait_for(lambda: len(nas.plots()) == PLOTS, 120, f"{PLOTS} xchplot2 plots stored on the NAS")
        finally:
            (sched_code, sched_err), (send_code, send_err) = stop(scheduler), stop(sender)
    assert sched_code == 0, sched_err
    assert send_code == 0, send_err
    assert [n for n in in_dst.seen if n.endswith(".plot2.partial")], in_dst.seen  # it was there to send...
    assert not [n for n in on_nas.seen if "partial" in n], on_nas.seen  # ...and was never sent
    for copy in nas.plots():
        raw = copy.read_bytes()
        # pos2 version 1 (today's xchplot2): k18, meta group 5 (-g 5), then the memo after its length at 42
        assert raw[:5] == b"pos2\x01" and raw[37] == 18 and raw[41] == 5
        assert raw[43:75] == CONTRACT_HASH and raw[75:123] == bytes.fromhex(FARMER)  # memo: pool ph, farmer
        assert copy.name == f"plot-k18-{raw[5:37].hex()}.plot2"
    assert list(plotter.dst.iterdir()) == []
    jobs = json.loads(run_cli("plotter", "--config", str(plotter.ini), "jobs", "--json").stdout)["jobs"]
    assert sorted(j["plot"] for j in jobs) == sorted(p.name for p in nas.plots())
    assert [j["state"] for j in jobs] == ["done"] * PLOTS and {j["backend"] for j in jobs} == {"xchplot2"}
    assert all(j["tmp_dir"] is None for j in jobs)
    analyze = run_cli("plotter", "--config", str(plotter.ini), "analyze", "--json")
    assert analyze.returncode == 0, analyze.stderr
    (row,) = json.loads(analyze.stdout)
    assert (row["backend"], row["job"], row["tmp_dir"], row["made"]) == ("xchplot2", "g", None, PLOTS)
    assert 1.0 <= row["total_min"] <= row["total_max"] < 60  # "[plot] wrote 1 plots in X s", each held 1 s
    assert row["phase1_mean"] is None  # xchplot2 reports no phase times


def test_dry_run_starts_a_job_without_a_tmp_dir(tmp_path: Path, standins: dict[str, Path]) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None, more_nas=job_sections(standins["xchplot2"]))
    done = run_cli("plotter", "--config", str(plotter.ini), "plot", "--dry-run")
    assert done.returncode == 0, done.stderr
    # room: one k18 PoS2 plot, 2^18 entries of 20 bits plus 15 %: 754 KB; no temp space at all
    assert done.stdout.startswith(f"would start: g on tmp - -> dst {plotter.dst} (needs tmp 0 B, dst ")
    assert not list(plotter.dst.iterdir())


@pytest.mark.slow
def test_a_killed_jobs_partial_is_removed_and_a_running_ones_is_not(tmp_path: Path, standins: dict[str, Path],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    release = tmp_path / "release"
    monkeypatch.setenv("PLOTYARD_STANDIN_HOLD", "120")
    monkeypatch.setenv("PLOTYARD_STANDIN_RELEASE", str(release))
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None,
                           more_nas=job_sections(standins["xchplot2"], "max_plots = 2\nmax_jobs = 2\nretry_delay = 1h"))
    scheduler = Scheduler(plotter_config.load(plotter.ini))
    run_until(scheduler, lambda rs: len(rs) == 2)
    partials = wait_for(lambda: (found := sorted(plotter.dst.glob("*.plot2.partial"))) and len(found) == 2 and found,
                        60, "both jobs writing their .partial")
    assert isinstance(partials, list)
    killed = run_cli("plotter", "--config", str(plotter.ini), "jobs", "kill", "1", timeout=60)
    assert killed.returncode == 0, killed.stderr
    left = list(plotter.dst.glob("*.partial"))
    assert len(left) == 1 and left[0] in partials and pids_holding(left[0])  # the live job's, open
    first = rows(scheduler.cfg)[0]
    assert first.state == "failed" and first.reason == "killed by plot-manager jobs kill"
    # xchplot2 finishes the current plot on a first SIGTERM (Cancel.cpp): the SIGKILL after the wait ended it
    assert "[xchplot2] cancel requested" in Path(first.log).read_text()
    release.touch()
    found = run_until(scheduler, lambda rs: rs[1].state == "done")
    (plot,) = plotter.dst.glob("*.plot2")
    assert found[1].plot_path == str(plot) and plot.name == left[0].name.removesuffix(".partial")
    assert list(plotter.dst.glob("*.partial")) == []


@pytest.mark.slow
def test_an_xchplot2_started_by_hand_is_read_back_from_proc(tmp_path: Path, standins: dict[str, Path],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    release = tmp_path / "release"
    monkeypatch.setenv("PLOTYARD_STANDIN_HOLD", "60")
    monkeypatch.setenv("PLOTYARD_STANDIN_RELEASE", str(release))
    argv = command(spec_for("xchplot2", tmp_path, standins, "xchplot2", tmp_dir=None, threads=None,
                            dst_dir=Path("out"), k=20))  # relative: read back against the process's cwd
    log = tmp_path / "hand.log"
    with open(log, "wb") as out:
        hand = subprocess.Popen(argv, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        wait_for(lambda: list((tmp_path / "out").glob("*.plot2.partial")), 60, "the hand job's .partial")
        [found] = [job for job in byhand.find(set()) if job.pid == hand.pid]
        assert (found.spec.backend, found.spec.k, found.spec.dst_dir, found.spec.tmp_dir) == \
            ("xchplot2", 20, tmp_path / "out", None)
        assert found.log == log and found.phase == Phase(4, 0) and found.plot_id is None  # written, not renamed
    finally:
        release.touch()
        assert hand.wait(60) == 0
    assert len(list((tmp_path / "out").glob("plot-k20-*.plot2"))) == 1
