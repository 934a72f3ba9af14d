"""The plotter's sqlite history: every transfer, and plot files reported as bad."""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from common.state import connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS transfers (
    id INTEGER PRIMARY KEY,
    plot TEXT NOT NULL, bytes INTEGER NOT NULL, nas TEXT, drive TEXT, path TEXT,
    seconds REAL NOT NULL, mb_per_s REAL NOT NULL, hash TEXT,
    result TEXT NOT NULL, error TEXT, finished_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS transfers_finished ON transfers(finished_at);
CREATE TABLE IF NOT EXISTS reported (path TEXT PRIMARY KEY, reason TEXT, at REAL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value REAL NOT NULL);
"""


class TransferResult(StrEnum):
    """How one attempt to send a plot ended; the values are those in the ``transfers`` table, the
    JSON and the metrics' ``result`` label. Only ok, verified, failed and differs are recorded."""

    OK = "ok"  # sent and stored; the source deleted
    VERIFIED = "verified"  # the NAS already held the same plot; the source deleted
    FAILED = "failed"  # not stored; the source kept
    DIFFERS = "differs"  # the NAS holds another file under this name; kept, a person must look
    BUSY = "busy"  # the NAS is receiving this name from another sender; kept, retried next run
    UNREACHABLE = "unreachable"  # no NAS could be asked: never attempted, not a failed transfer


@dataclass(frozen=True)
class Transfer:
    plot: str
    bytes: int
    nas: str | None
    drive: str | None
    path: str | None
    seconds: float
    mb_per_s: float
    hash: str | None
    result: TransferResult
    error: str | None
    finished_at: float


def db_path(state_dir: Path) -> Path:
    return state_dir / "plotter.sqlite"


class History:
    def __init__(self, state_dir: Path) -> None:
        self.path = db_path(state_dir)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            with self._lock:
                if self._conn is None:
                    self._conn = connect(self.path, SCHEMA)
        return self._conn

    def record(self, transfer: Transfer) -> None:
        fields = asdict(transfer)
        names = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        with self._lock:
            self.conn.execute(f"INSERT INTO transfers ({names}) VALUES ({marks})", tuple(fields.values()))

    def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT * FROM transfers ORDER BY finished_at DESC, id DESC LIMIT ?", (limit,))
        return [{k: row[k] for k in row.keys() if k != "id"} for row in rows]  # noqa: SIM118 (sqlite3.Row)

    def first_report(self, path: Path, reason: str) -> bool:
        """True the first time ``path`` is reported with ``reason`` (so it is logged once)."""
        row = self.conn.execute("SELECT reason FROM reported WHERE path = ?", (str(path),)).fetchone()
        if row is not None and row["reason"] == reason:
            return False
        self.conn.execute("INSERT OR REPLACE INTO reported VALUES (?, ?, ?)", (str(path), reason, time.time()))
        return True

    def set_last_run(self, when: float) -> None:
        """When a ``send`` run (or a ``--watch`` round) ended: the metrics' last-run time."""
        with self._lock, self.conn:
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('last_run_end', ?)", (when,))

    def last_run(self) -> float | None:
        with self._lock:
            row = self.conn.execute("SELECT value FROM meta WHERE key = 'last_run_end'").fetchone()
        return None if row is None else float(row["value"])

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
