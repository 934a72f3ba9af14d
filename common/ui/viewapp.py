"""The textual App both live views share: one body redrawn from the latest snapshot, snapshots
built in a background thread about once a second (a slow disk or database never freezes the keys),
a help screen and a yes/no question. Imported only by the ``view`` commands.

Textual draws only the lines that changed (no flicker), follows terminal resizes, reads keys the
same over SSH and in tmux, and turns colours off when ``NO_COLOR`` is set.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from typing import ClassVar, Generic, TypeVar

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import Static

from common.errors import AppError
from common.ui.viewtext import Line

S = TypeVar("S")
REFRESH = 1.0


ATTRIBUTES = frozenset({"bold", "dim", "reverse", "underline", "italic"})


def styled(lines: list[Line], colour: bool = True) -> Text:
    """The lines as one text; without ``colour`` only bold, dim, reverse and the like are kept."""
    text = Text(no_wrap=True, overflow="crop", end="")
    for index, (line, style) in enumerate(lines):
        if index:
            text.append("\n")
        if not colour:
            style = " ".join(word for word in style.split() if word in ATTRIBUTES)
        text.append(line, style=style or None)
    return text


class HelpScreen(ModalScreen[None]):
    """The keys; any key closes it."""

    DEFAULT_CSS = "HelpScreen { align: center middle; } #help { width: auto; height: auto; border: round; }"

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        yield Static(self.text, id="help", markup=False)

    def on_key(self, event: events.Key) -> None:
        event.stop()
        self.dismiss(None)


class Confirm(ModalScreen[bool]):
    """A question answered by ``y`` (anything else is no)."""

    DEFAULT_CSS = "Confirm { align: center middle; } #question { width: auto; height: auto; border: round; }"

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        yield Static(f"{self.question}  [y/N]", id="question", markup=False)

    def on_key(self, event: events.Key) -> None:
        event.stop()
        self.dismiss(event.key in ("y", "Y"))


class LiveView(App[int], Generic[S]):
    """Subclasses give :meth:`collect` (runs in a thread) and :meth:`lines` (pure layout)."""

    CSS = "Screen { overflow: hidden; } #body { width: 100%; height: 100%; }"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit_view", "quit"),
                                             Binding("question_mark", "help", "help")]
    HELP_TEXT = "q  quit\n?  this help"

    def __init__(self, refresh: float = REFRESH) -> None:
        # NO_COLOR: the terminal's own colours (ANSI theme) and no colour of ours; textual's
        # monochrome filter alone would still paint its greys.
        self.colour = "NO_COLOR" not in os.environ
        super().__init__(ansi_color=not self.colour)
        self.snapshot: S | None = None
        self.message: str | None = None
        self.every = refresh
        self.stopping = threading.Event()
        self.wake = threading.Event()
        self.snapshots = 0  # drawn so far (tests wait on it)

    def collect(self) -> S:
        raise NotImplementedError

    def lines(self, snapshot: S, width: int, height: int) -> list[Line]:
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        yield Static(id="body", markup=False)

    def on_mount(self) -> None:
        self.background(self._collector, "view-collect")

    def background(self, target: Callable[[], None], name: str) -> None:
        threading.Thread(target=target, name=name, daemon=True).start()

    def _collector(self) -> None:
        while not self.stopping.is_set():
            try:
                snapshot = self.collect()
            except (AppError, OSError, sqlite3.Error) as exc:  # shown; the last good snapshot stays
                if self.stopping.is_set() or not self.is_running:
                    return
                self.call_from_thread(self.say, f"cannot read the state: {exc}")
            else:
                if self.stopping.is_set() or not self.is_running:
                    return
                self.call_from_thread(self.show, snapshot)
            self.wake.wait(self.every)
            self.wake.clear()

    def refresh_soon(self) -> None:
        self.wake.set()

    def show(self, snapshot: S) -> None:
        self.snapshot = snapshot
        self.snapshots += 1
        self.redraw()

    def say(self, message: str | None) -> None:
        self.message = message
        self.redraw()

    def redraw(self) -> None:
        size = self.size
        if self.snapshot is None:
            shown = [(self.message or "reading…", "bold")]
        else:
            shown = self.lines(self.snapshot, size.width, size.height)
        self.query_one("#body", Static).update(styled(shown, self.colour))

    def on_resize(self, event: events.Resize) -> None:
        self.redraw()

    def action_quit_view(self) -> None:
        self.stopping.set()
        self.wake.set()
        self.exit(0)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.HELP_TEXT))
