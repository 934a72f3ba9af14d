"""``drive-manager view``: the textual App."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from common.ui.viewapp import LiveView
from common.ui.viewtext import Line
from nas.config import NasConfig
from nas.view import data, render

HELP = """drive-manager view

q          quit
↑ ↓ j k    select a drive
?          this help (any key closes it)

*  the receive drive      R  a receiver is writing to it now
SMART figures are the cached ones (drive-manager check refreshes them);
the view never wakes a sleeping disk."""


class DriveView(LiveView[data.NasSnapshot]):
    BINDINGS: ClassVar[list[BindingType]] = [
        *LiveView.BINDINGS,
        Binding("up,k", "move(-1)", "up", show=False),
        Binding("down,j", "move(1)", "down", show=False),
    ]
    HELP_TEXT = HELP

    def __init__(self, cfg: NasConfig, refresh: float = 2.0) -> None:
        super().__init__(refresh)
        self.cfg = cfg
        self.selected: str | None = None

    def collect(self) -> data.NasSnapshot:
        return data.build(self.cfg)

    def lines(self, snapshot: data.NasSnapshot, width: int, height: int) -> list[Line]:
        return render.screen(snapshot, width, height, self.selected, self.message)

    def action_move(self, step: int) -> None:
        if self.snapshot is None or not self.snapshot.drives:
            return
        mounts = [d.mountpoint for d in self.snapshot.drives]
        at = mounts.index(self.selected) if self.selected in mounts else -1 if step > 0 else 0
        self.selected = mounts[min(max(at + step, 0), len(mounts) - 1)]
        self.redraw()


def run(cfg: NasConfig) -> int:
    result = DriveView(cfg).run()
    return 0 if result is None else result
