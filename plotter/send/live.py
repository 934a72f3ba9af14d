"""A live progress bar per transfer on a terminal (rich): plot, NAS:drive, bytes, %, MB/s, ETA.

Only on a terminal and without ``-q``: under cron or into a pipe the one log line per finished
plot stays the whole output. Log lines are printed above the bars while they run.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from plotter.send.progress import Listener, Snapshot

if TYPE_CHECKING:
    from rich.progress import TaskID


def wanted(quiet: bool, stream: TextIO = sys.stderr) -> bool:
    return not quiet and stream.isatty()


def label(snapshot: Snapshot) -> str:
    """``plot-k32-2025-01-02-03-04-ab12cd… -> nas01:drive7``."""
    short = snapshot.name if len(snapshot.name) <= 40 else snapshot.name[:39] + "…"
    return f"{short} -> {snapshot.nas}:{Path(snapshot.drive).name or snapshot.drive}"


@contextmanager
def live_transfers(enabled: bool) -> Iterator[Listener | None]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TaskProgressColumn(),
                        TransferSpeedColumn(), TimeRemainingColumn(), console=Console(stderr=True),
                        redirect_stderr=True, refresh_per_second=4)
    tasks: dict[str, TaskID] = {}
    lock = threading.Lock()

    def listener(snapshot: Snapshot) -> None:
        with lock:
            task = tasks.get(snapshot.name)
            if task is None:
                task = tasks[snapshot.name] = progress.add_task(label(snapshot), total=snapshot.bytes)
            progress.update(task, completed=snapshot.bytes_done)
            if snapshot.bytes_done >= snapshot.bytes:  # its "sent ..." log line takes over
                progress.remove_task(tasks.pop(snapshot.name))

    with progress, _logs_above():
        yield listener


@contextmanager
def _logs_above() -> Iterator[None]:
    """Point the stderr log handlers at rich's proxy while the bars run, so a log line is
    printed above them instead of through them."""
    handlers = [h for h in logging.getLogger().handlers
                if isinstance(h, logging.StreamHandler) and h.stream in (sys.__stderr__, sys.stderr)]
    old = [h.setStream(sys.stderr) for h in handlers]
    try:
        yield
    finally:
        for handler, previous in zip(handlers, old, strict=True):
            if previous is not None:
                handler.setStream(previous)
