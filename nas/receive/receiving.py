"""How far each running receive has got, for ``drive-manager view``.

A ``.part`` is preallocated to the plot's full size (fallocate), so neither its size nor its
blocks say how much has arrived. The receiver publishes the bytes it has received in
``<state_dir>/receiving/<plot>.json`` (atomically, about once a second) and removes the file when
it ends. The file is only a report: whether a receive really runs is its drive's lock.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

PUBLISH_EVERY = 1.0  # seconds between two writes of a record


def record_path(state_dir: Path, name: str) -> Path:
    return state_dir / "receiving" / f"{name}.json"


class ReceiveProgress:
    """The stream's progress callback: publishes the bytes received so far."""

    def __init__(self, state_dir: Path, name: str, size: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = record_path(state_dir, name)
        self.size = size
        self._clock = clock
        self._last: float | None = None

    def start(self) -> None:
        """Publish 0 bytes: a record left by a killed receive of the same name is replaced at once."""
        self._publish(0)

    def __call__(self, received: int) -> None:
        now = self._clock()
        if self._last is None or now - self._last >= PUBLISH_EVERY or received >= self.size:
            self._publish(received)

    def _publish(self, received: int) -> None:
        self._last = self._clock()
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps({"bytes": self.size, "bytes_received": received}))
            os.replace(tmp, self.path)
        except OSError as exc:  # only a report: the plot matters more
            log.debug("cannot publish the progress of %s: %s", self.path.name, exc.strerror)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()


def bytes_received(state_dir: Path, name: str) -> int | None:
    """What the receiver of ``name`` has published, None when it has not (yet) or the record is bad."""
    try:
        record = json.loads(record_path(state_dir, name).read_text())
    except (OSError, ValueError):
        return None
    value = record.get("bytes_received") if isinstance(record, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
