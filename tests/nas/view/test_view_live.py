"""``drive-manager view`` while a rate-limited transfer writes to the NAS (drives are plain
directories): the receive drive, the receiver running and its growing ``.part``, then the receipt;
under textual's pilot and in a real 80x24 terminal (tmux)."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from common.ui.viewapp import HelpScreen
from nas import config as nas_config
from nas.view.app import DriveView
from tests.helpers import ROOT, NasSetup, make_nas, make_plotter, popen_cli, run_cli
from tests.tmux import pane
from tests.viewpilot import body, until

CopyPlots = Callable[..., list[Path]]
PART = re.compile(r"^drive1: (plot-k18-\S+)\s+([\d.]+[KMGT]?B?)/([\d.]+[KMGT]) received", re.M)


@contextmanager
def receiving(tmp_path: Path, copy_plots: CopyPlots, plots: int = 2, extra_nas: str = "") -> Iterator[NasSetup]:
    nas = make_nas(tmp_path / "nas", drives=2, extra_nas=extra_nas)
    assert run_cli("nas", "--config", str(nas.ini), "check").returncode == 0  # picks the receive drive
    plotter = make_plotter(tmp_path / "plotter", nas, None, extra_plotter="bwlimit = 1MB\n")
    copy_plots(plotter.dst, plots)
    sender = popen_cli("plotter", "--config", str(plotter.ini), "send", "--once")
    try:
        yield nas
    finally:
        _, err = sender.communicate(timeout=120)
        assert sender.returncode == 0, err


async def follow(app: DriveView, nas: NasSetup) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await until(app, lambda s: re.search(r"^\*R drive1 .* active$", s, re.M), "drive1: receive drive, receiving")
        first = await until(app, PART.search, "the .part being written")
        assert isinstance(first, re.Match) and "Receivers running (1)" in body(app)
        await until(app, lambda s: (m := PART.search(s)) and m.groups() != first.groups(), "the .part growing")
        await pilot.press("j")
        assert app.selected == str(nas.drives[0])
        await pilot.press("j", "j")
        assert app.selected == str(nas.drives[1])  # stops at the last drive
        await pilot.press("k")
        assert app.selected == str(nas.drives[0])
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("x")
        assert not isinstance(app.screen, HelpScreen)
        await until(app, lambda s: re.search(rf"drive1 +\S+ {re.escape(first.group(1)[:30])}", s), "the plot received")
        await pilot.press("q")
    assert app.return_code == 0


@pytest.mark.slow
def test_drive_view_shows_the_receiver_and_its_progress(tmp_path: Path, copy_plots: CopyPlots) -> None:
    with receiving(tmp_path, copy_plots, plots=4) as nas:
        app = DriveView(nas_config.load(nas.ini), refresh=0.3)
        asyncio.run(follow(app, nas))


@pytest.mark.slow
def test_drive_view_shows_bytes_received_not_the_preallocated_size(tmp_path: Path, copy_plots: CopyPlots) -> None:
    """The .part is preallocated to the plot's full size from its first byte; the view shows what the
    receiver has received (64 KiB buffers, so it reports several times during a 1 MB/s transfer)."""
    with receiving(tmp_path, copy_plots, plots=1, extra_nas="buffer_size = 64KiB\n") as nas:
        app = DriveView(nas_config.load(nas.ini), refresh=0.2)
        asyncio.run(follow_received(app, nas))


async def follow_received(app: DriveView, nas: NasSetup) -> None:
    def part_under_way(screen: str) -> re.Match[str] | None:
        found = PART.search(screen)
        return found if found and found.group(2) != found.group(3) else None

    async with app.run_test(size=(80, 24)):
        first = await until(app, part_under_way, "a .part partly received")
        assert isinstance(first, re.Match)
        (part,) = nas.parts()
        plot_size = first.group(3)
        assert part.stat().st_size >= 3_000_000  # preallocated: what the old view showed as "written"
        later = await until(app, lambda s: (m := part_under_way(s)) and m.group(2) != first.group(2) and m,
                            "the bytes received growing")
        assert isinstance(later, re.Match) and later.group(3) == plot_size and "written" not in body(app)
        await until(app, lambda s: "Receivers running" not in s or not PART.search(s), "the receive finished")


@pytest.mark.slow
def test_drive_view_fits_80x24_and_q_exits_0(tmp_path: Path, copy_plots: CopyPlots) -> None:
    with receiving(tmp_path, copy_plots, plots=1) as nas, pane(80, 24) as p:
        p.type("echo READY")
        p.wait(lambda s: "\nREADY" in s, 10, "the shell")
        p.type(f"cd {ROOT} && {sys.executable} -m nas --config {nas.ini} view; echo EXIT=$?")
        screen = p.wait(lambda s: PART.search(s), 60, "the receiver's .part")
        lines = screen.rstrip("\n").split("\n")
        assert len(lines) <= 24 and max(len(line) for line in lines) <= 80
        assert "── Drives (2)" in screen and "receive: " in screen and "q quit" in lines[-1]
        print(screen)  # the README's capture
        p.keys("q")
        p.wait(lambda s: "EXIT=0" in s, 20, "the view's exit status 0")
