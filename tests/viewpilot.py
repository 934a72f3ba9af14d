"""Driving a live view with textual's pilot: the screen's text, and waiting (bounded) for it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.widgets import Static


def body(app: App[Any]) -> str:
    """What the view shows now, as plain text (both views draw into one ``#body``)."""
    content = app.query_one("#body", Static).content
    return getattr(content, "plain", str(content))


async def until(app: App[Any], check: Callable[[str], object], what: str, deadline: float = 60.0) -> object:
    """Let the app run until ``check(screen text)`` is truthy (bounded)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        found = check(body(app))
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what} not on screen within {deadline} s:\n{body(app)}")
