"""Placement before plotting, for real: the scheduler runs the ``pos2`` backend (k18 groups by chia_rs)
with ``meta_group = auto``; each job asks the NAS (over the private sshd) for a drive and meta group,
the NAS reserves them, the sender delivers each group to its drive; no two groups on a drive share a
meta group, and ``drive-manager status --json`` lists them."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from common.plotformat import read_header
from common.plotformat.plotgen import make_gplot
from plotter import config as plotter_config
from plotter.plotting.jobdb import JobState
from plotter.plotting.loop import Scheduler
from tests.chiacli import FARMER_KEY, POOL_KEY
from tests.helpers import make_nas, make_plotter, run_cli
from tests.plotter.plotting.pos2.farmable import Keys, check_farmable
from tests.plotter.plotting.scheduling import run_until
from tests.sshd import LocalSshd

GROUPS = 5


def status(ini: Path) -> dict[str, dict[str, list[int]]]:
    result = run_cli("nas", "--config", str(ini), "status", "--json")
    assert result.returncode == 0, result.stderr
    return {Path(d["mountpoint"]).name: {"used": d["meta_groups"], "reserved": d["meta_groups_reserved"]}
            for d in json.loads(result.stdout)["drives"]}


@pytest.mark.slow
def test_auto_meta_groups_are_placed_and_land_on_their_drives(tmp_path: Path, sshd: LocalSshd) -> None:
    nas = make_nas(tmp_path / "nas", drives=3, extra_nas="policy = spread\nplacement_ttl = 1h\n")
    taken = make_gplot(nas.drives[0], meta_group=0)  # a group already there: meta group 0 is in use on drive1
    plotter = make_plotter(tmp_path / "plotter", nas, sshd)
    (tmp_path / "t0").mkdir()
    plotter.ini.write_text(plotter.ini.read_text() + f"""
[plotting]
poll_interval = 0.1
max_jobs = 2
max_waiting_plots = {GROUPS}

[job auto]
backend = pos2
k = 18
tmp_dirs = {tmp_path / 't0'}
dst_dirs = {plotter.dst}
farmer_key = {FARMER_KEY}
pool_key = {POOL_KEY}
max_jobs = 2
max_plots = {GROUPS}
""")
    # The groups wait in dst until the send below. With the default max_waiting_plots (2 x max_jobs:
    # 4) the fifth job paused for good whenever the third and fourth ended in the same pass.
    cfg = plotter_config.load(plotter.ini)
    begun = time.monotonic()
    # Ends once GROUPS rows or more have ended (a sixth row fails the assertion below with its reason),
    # and before pytest's own timeout, so that a row stuck live is reported with every row.
    found = run_until(Scheduler(cfg), lambda rs: len(rs) >= GROUPS and not any(r.live for r in rs), deadline=240)
    plotted = time.monotonic() - begun
    assert [r.state for r in found] == [JobState.DONE] * GROUPS, [r.reason for r in found]
    metas = {str(r.plot_id): r.meta_group if r.meta_group is not None else -1 for r in found}  # -1: none recorded
    made = [Path(r.plot_path or "") for r in found]
    assert check_farmable(made, Keys(FARMER_KEY, pool=POOL_KEY)) == [metas[str(r.plot_id)] for r in found]

    listed = run_cli("plotter", "--config", str(plotter.ini), "jobs", "--json")
    assert {j["plot"].split("-")[-1].removesuffix(".gplot"): j["meta_group"]
            for j in json.loads(listed.stdout)["jobs"]} == metas  # kept on the job rows

    before = status(nas.ini)  # every placement still reserved, on its drive
    placed = {m: drive for drive, groups in before.items() for m in groups["reserved"]}
    assert sorted(placed) == sorted(metas.values()) and len(placed) == GROUPS  # one meta group per placement
    assert 0 not in {m for m, drive in placed.items() if drive == "drive1"}
    assert len(set(placed.values())) == 3  # spread: the groups are placed on all three drives

    begun = time.monotonic()
    sent = run_cli("plotter", "--config", str(plotter.ini), "send", "--once", timeout=300)
    took = time.monotonic() - begun
    assert sent.returncode == 0, sent.stderr
    assert plotter.plots() == []
    landed = {p.name.split("-")[-1].removesuffix(".gplot"): p for p in nas.plots() if p != taken}
    assert sorted(landed) == sorted(metas)
    for plot_id, path in landed.items():
        assert read_header(path).meta_group == metas[plot_id]
        assert path.parent.name == placed[metas[plot_id]]  # where it was placed
    per_drive: dict[str, list[int]] = {}
    for path in nas.plots():
        per_drive.setdefault(path.parent.name, []).append(read_header(path).meta_group or 0)
    assert all(len(groups) == len(set(groups)) for groups in per_drive.values()), per_drive

    after = status(nas.ini)
    assert {d: g["used"] for d, g in after.items()} == {d: sorted(per_drive.get(d, [])) for d in after}
    assert all(g["reserved"] == [] for g in after.values())  # each placement used up when its group landed
    print(f"\n{GROUPS} k18 groups placed and plotted in {plotted:.1f} s, sent over ssh in {took:.1f} s")
