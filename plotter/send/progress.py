"""Progress of running transfers, published for ``status`` and shown live on a terminal.

Each transfer writes ``<state_dir>/running/<plot>.json`` (atomically, about once a second)
and removes it when it ends. The file is only a report: whether the transfer really runs is
the plot's lock (held by the sender for the whole transfer, dropped by the kernel when it dies),
so a file left by a killed sender is never shown as running.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

PUBLISH_EVERY = 1.0  # seconds between two writes of a progress file


@dataclass(frozen=True)
class Snapshot:
    """One transfer as ``status --json`` lists it under ``running``."""

    name: str
    nas: str
    drive: str
    bytes: int
    bytes_done: int
    mb_per_s: float
    eta_seconds: float | None
    started_at: float

    @property
    def percent(self) -> float:
        return 100.0 * self.bytes_done / self.bytes if self.bytes else 100.0


def measure(snapshot: Snapshot, done: int, now: float) -> Snapshot:
    """``snapshot`` at ``done`` bytes: the rate is the average since the start (what a farmer
    compares with the link speed), the ETA what is left at that rate."""
    elapsed = max(now - snapshot.started_at, 1e-6)
    rate = done / elapsed
    eta = (snapshot.bytes - done) / rate if rate > 0 else None
    return replace(snapshot, bytes_done=done, mb_per_s=round(rate / 1e6, 2),
                   eta_seconds=None if eta is None else round(eta, 1))


Listener = Callable[[Snapshot], None]


class TransferProgress:
    """Fed by the stream's progress callback; publishes to the state dir and to ``listener``."""

    def __init__(self, state_dir: Path, snapshot: Snapshot, listener: Listener | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = running_dir(state_dir) / f"{snapshot.name}.json"
        self.snapshot = snapshot
        self.listener = listener
        self.clock = clock
        self._published = 0.0

    def __call__(self, done: int) -> None:
        now = self.clock()
        self.snapshot = measure(self.snapshot, done, now)
        if self.listener is not None:
            self.listener(self.snapshot)
        if now - self._published >= PUBLISH_EVERY or done >= self.snapshot.bytes:
            self._published = now
            self._write()

    def start(self) -> None:
        self._published = self.clock()
        self._write()
        if self.listener is not None:
            self.listener(self.snapshot)

    def _write(self) -> None:
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        try:
            self.path.parent.mkdir(exist_ok=True)
            tmp.write_text(json.dumps(asdict(self.snapshot)))
            os.replace(tmp, self.path)
        except OSError:
            pass  # a report only: a full state dir must not fail the transfer itself

    def close(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def running_dir(state_dir: Path) -> Path:
    return state_dir / "running"


def read_published(state_dir: Path, name: str) -> dict[str, Any] | None:
    try:
        data = json.loads((running_dir(state_dir) / f"{name}.json").read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
