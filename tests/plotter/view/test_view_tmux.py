"""``plot-manager view`` in a real terminal (tmux, 80x24) while a job plots and a transfer runs:
everything fits, ``q`` exits 0 and leaves the terminal as it was; NO_COLOR leaves no colour."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.plotter.plotting.standins import install
from tests.plotter.view.live import CopyPlots, make_live, running
from tests.tmux import Pane, colours, pane

SECTIONS = ("── Jobs ", "── Transfers (", "── Directories ", "── NAS ", "── Recent events ")
JOB = re.compile(r"^\s*1 a\s+chia\s+19 \d:\d", re.M)


@pytest.fixture(scope="module")
def chia(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install(tmp_path_factory.mktemp("standin-bin"))["chia"]


def stty(p: Pane, path: Path) -> str:
    p.type(f"stty -a > {path}; echo STTY-DONE-{path.name}")
    p.wait(lambda s: f"STTY-DONE-{path.name}\n" in s + "\n" and path.exists() and path.stat().st_size, 10, "stty")
    return path.read_text()


@pytest.mark.slow
def test_view_fits_80x24_and_q_leaves_the_terminal_sane(tmp_path: Path, chia: Path, copy_plots: CopyPlots) -> None:
    live = make_live(tmp_path, chia, copy_plots)
    with running(live), pane(80, 24) as p:
        live.start("plot")
        live.start("send", "--once")
        before = stty(p, tmp_path / "before")
        p.type(f"cd {ROOT} && {sys.executable} -m plotter --config {live.plotter.ini} view; echo EXIT=$?")
        screen = p.wait(lambda s: JOB.search(s) and "MB/s" in s and "nas01 ok" in s, 90,
                        "the job, the transfer and the NAS")
        lines = screen.rstrip("\n").split("\n")
        assert len(lines) <= 24 and max(len(line) for line in lines) <= 80
        assert all(title in screen for title in SECTIONS), screen
        assert "q quit" in lines[-1]
        print(screen)  # the README's capture
        p.keys("q")
        p.wait(lambda s: "EXIT=0" in s, 20, "the view's exit status 0")
        assert stty(p, tmp_path / "after") == before  # echo, icanon, ... as they were
        p.type("echo still-here")
        p.wait(lambda s: "\nstill-here" in s, 10, "the shell answering")


def test_no_colour_with_no_color(tmp_path: Path, chia: Path, copy_plots: CopyPlots) -> None:
    live = make_live(tmp_path, chia, copy_plots, plots=1)
    with pane(100, 30, env={"NO_COLOR": "1"}) as p, pane(100, 30) as q:
        for one in (p, q):
            one.type(f"cd {ROOT} && {sys.executable} -m plotter --config {live.plotter.ini} view")
            one.wait(lambda s: "── Recent events" in s, 30, "the view")
        assert colours(p.capture(escapes=True)) == []
        assert colours(q.capture(escapes=True)) != []  # the check does see colours when there are some
        for one in (p, q):
            one.keys("q")
