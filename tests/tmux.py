"""A private tmux server (its own socket) for tests of full-screen programs in a real terminal."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

TIMEOUT = 10


@dataclass
class Pane:
    socket: str
    target: str

    def tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True,
                              timeout=TIMEOUT, check=True)
        return done.stdout

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.target, *keys)

    def type(self, line: str) -> None:
        self.tmux("send-keys", "-t", self.target, "-l", line)
        self.keys("Enter")

    def capture(self, escapes: bool = False) -> str:
        return self.tmux("capture-pane", "-p", *(["-e"] if escapes else []), "-t", self.target)

    def wait(self, check: Callable[[str], object], deadline: float, what: str) -> str:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            screen = self.capture()
            if check(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{what} not in the pane within {deadline} s:\n{self.capture()}")


@contextmanager
def pane(width: int = 80, height: int = 24, env: dict[str, str] | None = None) -> Iterator[Pane]:
    """A bash (no rc files) in a ``width`` x ``height`` tmux pane."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    socket = f"plotyard-test-{uuid.uuid4().hex[:8]}"
    shell_env = {**os.environ, **(env or {}), "PS1": "$ "}
    subprocess.run(["tmux", "-L", socket, "-u", "-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", str(width),
                    "-y", str(height), "bash", "--norc", "--noprofile"], check=True, timeout=TIMEOUT, env=shell_env)
    try:
        yield Pane(socket, "t")
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], timeout=TIMEOUT, check=False, capture_output=True)


COLOUR_CODES = frozenset({*range(30, 39), *range(40, 49), *range(90, 98), *range(100, 108)})


def colours(captured: str) -> list[str]:
    """SGR sequences in a ``capture-pane -e`` that set a colour (bold, dim, reverse, resets do not)."""
    import re

    found = []
    for params in re.findall(r"\x1b\[([0-9;]*)m", captured):
        if any(p.isdigit() and int(p) in COLOUR_CODES for p in params.split(";")):
            found.append(params)
    return found
