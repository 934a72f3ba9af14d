"""The plotter's placement question (``place_group``, protocol 3) against real NAS receivers over the
local transport, an old NAS (protocol 3: meta group 0, warned once per NAS) and one that is down."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from plotter import config as plotter_config
from plotter.link import placement
from plotter.link.placement import place_group
from tests.helpers import make_nas, make_plotter, nas_section

GROUP = 10**6

# A NAS peer that speaks protocol 3: the plotter refuses it.
OLD_PEER = """\
import json, sys
out = sys.stdout
out.write(json.dumps({"msg": "hello", "v": 2, "max_v": 3, "host": "old", "version": "0"}) + "\\n"); out.flush()
for line in sys.stdin:
    if json.loads(line)["msg"] == "bye":
        break
    out.write(json.dumps({"msg": "error", "code": "protocol", "error": "unexpected message"}) + "\\n")
    break
"""


def test_a_nas_places_groups_with_distinct_meta_groups(tmp_path: Path) -> None:
    nas = make_nas(tmp_path / "nas", drives=2)
    cfg = plotter_config.load(make_plotter(tmp_path / "plotter", nas, None).ini)
    first, second = place_group(cfg.nas, GROUP), place_group(cfg.nas, GROUP)
    assert (first.nas, first.drive, first.meta_group) == ("nas01", str(nas.drives[0]), 0)
    assert (second.nas, second.meta_group) == ("nas01", 1)  # fill: same drive, so another meta group


def test_an_old_nas_means_meta_group_0_warned_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    peer = tmp_path / "old.py"
    peer.write_text(OLD_PEER)
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None, nas_name="oldnas")
    plotter.ini.write_text(plotter.ini.read_text().replace(nas.command, f"{sys.executable} {peer}"))
    cfg = plotter_config.load(plotter.ini)
    placement._warned.discard("oldnas")
    with caplog.at_level(logging.INFO):
        answers = [place_group(cfg.nas, GROUP) for _ in range(2)]
    assert [(a.nas, a.meta_group) for a in answers] == [(None, 0)] * 2
    warned = [r for r in caplog.records if r.levelno == logging.WARNING and "oldnas" in r.getMessage()]
    assert len(warned) == 1 and "NAS speaks protocol 3, we speak 4: upgrade both ends" in warned[0].getMessage()


def test_a_nas_that_is_down_passes_to_the_next(tmp_path: Path) -> None:
    down = make_nas(tmp_path / "down", drives=1)
    up = make_nas(tmp_path / "up", drives=1)
    plotter = make_plotter(tmp_path / "plotter", down, None, nas_name="down", more_nas=nas_section("up", up, None))
    plotter.ini.write_text(plotter.ini.read_text().replace(down.command, f"{sys.executable} -c pass"))
    cfg = plotter_config.load(plotter.ini)
    placed = place_group(cfg.nas, GROUP)
    assert (placed.nas, placed.drive, placed.meta_group) == ("up", str(up.drives[0]), 0)


def test_no_room_anywhere_falls_back(tmp_path: Path) -> None:
    nas = make_nas(tmp_path / "nas", drives=1, extra_nas="", drive_sections="")
    nas.ini.write_text(nas.ini.read_text().replace("reserve = 0", "reserve = 1PiB"))
    cfg = plotter_config.load(make_plotter(tmp_path / "plotter", nas, None).ini)
    assert place_group(cfg.nas, GROUP) == placement.Placement(None, None, 0)
