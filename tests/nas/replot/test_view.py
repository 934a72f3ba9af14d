"""``drive-manager view``: the replot line under the drives, from real plots."""

from __future__ import annotations

from pathlib import Path

import pytest

from nas import config as nas_config
from nas.view import data, render
from tests.helpers import make_nas
from tests.nas.replot.farm import CopyPlots, make_farm

pytestmark = pytest.mark.slow


def test_view_shows_replot_progress(tmp_path: Path, copy_plots: CopyPlots, copy_pos2_plots: CopyPlots) -> None:
    farm = make_farm(tmp_path, copy_plots, copy_pos2_plots)
    snap = data.build(nas_config.load(farm.nas.ini), now=farm.now)
    assert snap.replot is not None and (snap.replot.v1_plots, snap.replot.v2_plots) == (3, 6)
    texts = [text for text, _ in render.screen(snap, 160, 40)]
    (line,) = [t for t in texts if t.startswith("replot: ")]
    assert "(6 plots, +" in line and "all-v2 in " in line and "v1 weight 0.914, ends " in line
    assert line.endswith(": on track") or ": behind by " in line
    narrow = [text for text, _ in render.screen(snap, 80, 24)]
    assert all(len(t) <= 80 for t in narrow)


def test_view_without_plots_has_no_replot_line(tmp_path: Path) -> None:
    snap = data.build(nas_config.load(make_nas(tmp_path, drives=1).ini))
    assert not [t for t, _ in render.screen(snap, 160, 40) if t.startswith("replot: ")]
