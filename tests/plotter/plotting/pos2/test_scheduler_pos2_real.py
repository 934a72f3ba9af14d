"""plot-manager's scheduler running pos2 jobs for real (k18 groups by chia_rs): the groups land in
the dst dirs, farmable with each section's keys and meta group; a job killed while its group is in
the tmp dir leaves no file under a plot name and no temp file."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from plotter import config as plotter_config
from plotter.cli.main import main
from plotter.config import PlotterConfig
from plotter.plotting.jobdb import JobState
from plotter.plotting.jobs import observe
from plotter.plotting.loop import Scheduler
from plotter.plotting.phase import Phase
from plotter.plotting.pos2.address import encode
from plotter.plotting.process import procs
from tests.chiacli import FARMER_KEY, POOL_KEY
from tests.plotter.plotting.pos2.farmable import Keys, check_farmable
from tests.plotter.plotting.scheduling import rows, run_until, wait_for

CONTRACT = encode("xch", bytes.fromhex("ab" * 32))
PLOTS_EACH = 3


def pos2_config(root: Path, jobs: str) -> PlotterConfig:
    for name in ("dst0", "dst1", "t0", "t1"):
        (root / name).mkdir(parents=True, exist_ok=True)
    path = root / "plotter.ini"
    path.write_text(f"""[plotter]
plot_dirs = {root / 'dst0'}, {root / 'dst1'}
state_dir = {root / 'state'}

[nas n]
transport = local

[plotting]
poll_interval = 0.1
max_jobs = 3
{jobs}
""")
    return plotter_config.load(path)


def job(name: str, pool: str, extra: str = "") -> str:
    return f"""
[job {name}]
backend = pos2
k = 18
tmp_dirs = {{root}}/t0, {{root}}/t1
farmer_key = {FARMER_KEY}
{pool}
{extra}
"""


@pytest.mark.slow
def test_pos2_jobs_make_farmable_groups(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sections = (job("solo", f"pool_key = {POOL_KEY}", f"meta_group = 9\nmax_jobs = 2\nmax_plots = {PLOTS_EACH}")
                + job("pool", f"pool_contract = {CONTRACT}", f"max_jobs = 2\nmax_plots = {PLOTS_EACH}"))
    cfg = pos2_config(tmp_path, sections.replace("{root}", str(tmp_path)))
    begun = time.monotonic()
    found = run_until(Scheduler(cfg), lambda rs: len(rs) == 2 * PLOTS_EACH and not any(r.live for r in rs))
    took = time.monotonic() - begun
    assert [r.state for r in found] == [JobState.DONE] * 2 * PLOTS_EACH, [r.reason for r in found]
    for name, keys, meta in (("solo", Keys(FARMER_KEY, pool=POOL_KEY), 9), ("pool", Keys(FARMER_KEY, contract=CONTRACT),
                                                                           0)):
        made = [Path(r.plot_path or "") for r in found if r.job == name]
        assert all(path.is_file() and path.parent.name in ("dst0", "dst1") for path in made)
        assert [path.name.split("-")[-1].removesuffix(".gplot") for path in made] == \
               [r.plot_id for r in found if r.job == name]
        assert check_farmable(made, keys) == [meta] * PLOTS_EACH
    leftovers = [p for d in ("t0", "t1", "dst0", "dst1") for p in (tmp_path / d).iterdir() if p.suffix != ".gplot"]
    assert leftovers == []
    # plot-manager analyze reads the plotter's own timings from the real logs
    assert main(["--config", str(cfg.path), "analyze", "--json"]) == 0
    groups = json.loads(capsys.readouterr().out)
    assert {(g["backend"], g["job"]) for g in groups if g["made"]} == {("pos2", "pool"), ("pos2", "solo")}
    assert sum(g["made"] for g in groups) == 2 * PLOTS_EACH
    assert all(g["phase1_mean"] is not None and g["total_mean"] >= g["phase1_mean"] for g in groups if g["made"])
    assert all(g["phase2_mean"] is None for g in groups)
    with capsys.disabled():
        print(f"\npos2 scheduler run: {2 * PLOTS_EACH} k18 groups in {took:.1f} s")


@pytest.mark.slow
def test_a_killed_pos2_job_leaves_no_partial_group(tmp_path: Path) -> None:
    # 1000 challenges to check keep the finished group in the tmp dir for seconds: the kill lands then
    sections = job("slow", f"pool_key = {POOL_KEY}", "max_plots = 1\nextra_args = --check 1000")
    cfg = pos2_config(tmp_path, sections.replace("{root}", str(tmp_path)))
    Scheduler(cfg).run_pass()
    [row] = rows(cfg)
    wait_for(lambda: observe(rows(cfg)[0]).phase >= Phase(5, 0), 60, "the job checking its group")
    temps = [p for d in ("t0", "t1") for p in (tmp_path / d).glob("plot-k18-*.gplot.tmp")]
    assert len(temps) == 1 and temps[0].stat().st_size > 0
    assert main(["--config", str(cfg.path), "jobs", "kill", str(row.id)]) == 0
    [after] = rows(cfg)
    assert after.state == JobState.FAILED and after.reason == "killed by plot-manager jobs kill"
    assert after.plot_id is not None and after.plot_id in temps[0].name
    assert [p for d in ("t0", "t1", "dst0", "dst1") for p in (tmp_path / d).iterdir()] == []


@pytest.mark.slow
def test_a_pos2_job_killed_while_plotting_leaves_nothing(tmp_path: Path) -> None:
    # k22 plots for seconds in its child process; the kill must reach that child too
    sections = job("big", f"pool_key = {POOL_KEY}", "max_plots = 1").replace("k = 18", "k = 22")
    cfg = pos2_config(tmp_path, sections.replace("{root}", str(tmp_path)))
    Scheduler(cfg).run_pass()
    [row] = rows(cfg)
    wait_for(lambda: observe(rows(cfg)[0]).phase == Phase(1, 0), 60, "the job plotting")
    assert row.pid is not None
    pgid = row.pid
    # runjob, the plotter, its plotting child (and multiprocessing's resource tracker)
    wait_for(lambda: len([p for p in procs.table() if p.pgid == pgid]) >= 3, 60, "the plotting child")
    assert main(["--config", str(cfg.path), "jobs", "kill", str(row.id)]) == 0
    assert [p for p in procs.table() if p.pgid == row.pid and p.state != "Z"] == []  # the parent: reaped later
    [after] = rows(cfg)
    assert after.state == JobState.FAILED and after.plot_id is not None
    assert [p for d in ("t0", "t1", "dst0", "dst1") for p in (tmp_path / d).iterdir()] == []
