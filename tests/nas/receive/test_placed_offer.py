"""An offered PoS2 group goes to the drive placed for its meta group; when that drive can no longer
take it, to one where its meta group is free, never refused for it (real receiver, local transport,
real chia_rs k18 groups)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from common.plotformat import read_header
from common.plotformat.plotgen import make_gplot
from plotter import config as plotter_config
from plotter.link.placement import place_group
from tests.helpers import make_nas, make_plotter, run_cli


def reserved(ini: Path) -> dict[str, list[int]]:
    result = run_cli("nas", "--config", str(ini), "status", "--json")
    assert result.returncode == 0, result.stderr
    return {Path(d["mountpoint"]).name: d["meta_groups_reserved"] for d in json.loads(result.stdout)["drives"]}


@pytest.mark.slow
def test_a_group_lands_on_its_placed_drive(tmp_path: Path) -> None:
    nas = make_nas(tmp_path / "nas", drives=3)
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    make_gplot(nas.drives[0], meta_group=0)
    placed = place_group(plotter_config.load(plotter.ini).nas, 10**6)
    assert (placed.drive, placed.meta_group) == (str(nas.drives[0]), 1)
    group = make_gplot(plotter.dst, meta_group=1)
    assert run_cli("plotter", "--config", str(plotter.ini), "send", "--once").returncode == 0
    assert (nas.drives[0] / group.name).is_file()
    assert reserved(nas.ini) == {"drive1": [], "drive2": [], "drive3": []}  # used up


@pytest.mark.slow
def test_a_group_whose_drive_went_offline_goes_where_its_meta_group_is_free(tmp_path: Path) -> None:
    nas = make_nas(tmp_path / "nas", drives=3)
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    placed = place_group(plotter_config.load(plotter.ini).nas, 10**6)
    assert (placed.drive, placed.meta_group) == (str(nas.drives[0]), 0)
    (nas.drives[0] / ".plotyard-offline").touch()
    make_gplot(nas.drives[1], meta_group=0)  # drive2, next in fill order, has a group of meta group 0
    group = make_gplot(plotter.dst, meta_group=0)
    sent = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")
    assert sent.returncode == 0, sent.stderr
    landed = nas.drives[2] / group.name
    assert landed.is_file() and read_header(landed).meta_group == 0
    assert reserved(nas.ini)["drive1"] == []


def test_a_group_no_drive_has_a_free_meta_group_for_still_lands(tmp_path: Path) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    make_gplot(nas.drives[0], meta_group=3)
    group = make_gplot(plotter.dst, meta_group=3)
    assert run_cli("plotter", "--config", str(plotter.ini), "send", "--once").returncode == 0
    assert (nas.drives[0] / group.name).is_file()  # recommended against, but never refused
