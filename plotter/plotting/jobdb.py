"""The plot jobs table (``plot-jobs.sqlite`` in the state dir): what the scheduler started, where,
which process, and how it ended. With the process table it lets any later scheduler (or
``plot-manager jobs``) find the jobs again; rows are never deleted, so plots made per job and the
figures measured on this machine survive restarts.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path

from common.state import connect
from plotter.plotting.phase import Phase
from plotter.plotting.sizes import Measured, SizeKey

SCHEMA = """
CREATE TABLE IF NOT EXISTS plot_jobs (
    id INTEGER PRIMARY KEY,
    job TEXT NOT NULL, backend TEXT NOT NULL, k INTEGER NOT NULL, compression INTEGER NOT NULL,
    tmp_dir TEXT, tmp2_dir TEXT, dst_dir TEXT NOT NULL, log TEXT NOT NULL, status_file TEXT NOT NULL,
    pid INTEGER, proc_start INTEGER, started_at REAL NOT NULL, state TEXT NOT NULL,
    phase TEXT NOT NULL DEFAULT '0:0', plot_id TEXT, plot_path TEXT, plot_bytes INTEGER,
    tmp_peak INTEGER NOT NULL DEFAULT 0, returncode INTEGER, ended_at REAL, reason TEXT, meta_group INTEGER
);
CREATE INDEX IF NOT EXISTS plot_jobs_state ON plot_jobs(state);
CREATE TABLE IF NOT EXISTS plotting_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)
"""


class JobState(StrEnum):
    """A plot job's state; the values are those in the ``state`` column and in ``jobs --json``."""

    STARTING = "starting"  # a row exists, the process not yet
    RUNNING = "running"
    SUSPENDED = "suspended"  # stopped by ``jobs suspend``
    DONE = "done"  # exited 0 and made its plot
    FAILED = "failed"


LIVE = (JobState.STARTING, JobState.RUNNING, JobState.SUSPENDED)
ENDED = (JobState.DONE, JobState.FAILED)
_LIVE_SQL = f"state IN ({', '.join('?' for _ in LIVE)})"


@dataclass(frozen=True)
class JobRow:
    id: int
    job: str
    backend: str
    k: int
    compression: int
    tmp_dir: str | None
    tmp2_dir: str | None
    dst_dir: str
    log: str
    status_file: str
    pid: int | None
    proc_start: int | None
    started_at: float
    state: JobState
    phase: str
    plot_id: str | None
    plot_path: str | None
    plot_bytes: int | None
    tmp_peak: int
    returncode: int | None
    ended_at: float | None
    reason: str | None
    meta_group: int | None = None  # a PoS2 job's meta group (a NAS's placement for ``auto``); None: v1

    @property
    def live(self) -> bool:
        return self.state in LIVE

    @property
    def current_phase(self) -> Phase:
        return Phase.parse(self.phase)


COLUMNS = tuple(f.name for f in fields(JobRow))


def db_path(state_dir: Path) -> Path:
    return state_dir / "plot-jobs.sqlite"


class JobDB:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.conn = connect(db_path(state_dir), SCHEMA)
        have = {str(r[1]) for r in self.conn.execute("PRAGMA table_info(plot_jobs)")}
        if "meta_group" not in have:  # a table made before placements
            self.conn.execute("ALTER TABLE plot_jobs ADD COLUMN meta_group INTEGER")

    def close(self) -> None:
        self.conn.close()

    def insert(self, *, state: JobState, **values: object) -> int:
        values = {**values, "state": state}
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cursor = self.conn.execute(f"INSERT INTO plot_jobs ({names}) VALUES ({marks})", tuple(values.values()))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def update(self, job_id: int, only_if_live: bool = False, *, state: JobState | None = None,
               **values: object) -> bool:
        """Set columns of one job; with ``only_if_live`` only while it has not ended (True if it changed),
        so that of two processes seeing a job end, one alone cleans up and alerts."""
        if state is not None:
            values = {**values, "state": state}
        sets = ", ".join(f"{name} = ?" for name in values)
        where, live = (f" AND {_LIVE_SQL}", LIVE) if only_if_live else ("", ())
        cursor = self.conn.execute(f"UPDATE plot_jobs SET {sets} WHERE id = ?{where}",
                                   (*values.values(), job_id, *live))
        return cursor.rowcount == 1

    def get(self, job_id: int) -> JobRow | None:
        row = self.conn.execute("SELECT * FROM plot_jobs WHERE id = ?", (job_id,)).fetchone()
        return None if row is None else _row(row)

    def all(self, live_only: bool = False) -> list[JobRow]:
        where, live = (f" WHERE {_LIVE_SQL}", LIVE) if live_only else ("", ())
        return [_row(r) for r in self.conn.execute(f"SELECT * FROM plot_jobs{where} ORDER BY id", live)]

    def made(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT job, COUNT(*) FROM plot_jobs WHERE state = ? GROUP BY job", (JobState.DONE,))
        return {str(r[0]): int(r[1]) for r in rows}

    def last_starts(self) -> dict[str, float]:
        rows = self.conn.execute("SELECT job, MAX(started_at) FROM plot_jobs GROUP BY job")
        return {str(r[0]): float(r[1]) for r in rows}

    def last_failures(self) -> dict[str, float]:
        rows = self.conn.execute("SELECT job, MAX(ended_at) FROM plot_jobs WHERE state = ? GROUP BY job",
                                 (JobState.FAILED,))
        return {str(r[0]): float(r[1]) for r in rows if r[1] is not None}

    def measured(self) -> dict[SizeKey, Measured]:
        rows = self.conn.execute("SELECT backend, k, compression, MAX(COALESCE(plot_bytes, 0)), MAX(tmp_peak) "
                                 "FROM plot_jobs WHERE state = ? GROUP BY backend, k, compression", (JobState.DONE,))
        return {(str(r[0]), int(r[1]), int(r[2])): Measured(int(r[3]), int(r[4])) for r in rows}

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM plotting_meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str | None) -> None:
        if value is None:
            self.conn.execute("DELETE FROM plotting_meta WHERE key = ?", (key,))
        else:
            self.conn.execute("INSERT OR REPLACE INTO plotting_meta (key, value) VALUES (?, ?)", (key, value))


@contextmanager
def opened(state_dir: Path) -> Iterator[JobDB]:
    db = JobDB(state_dir)
    try:
        yield db
    finally:
        db.close()


def finished_plots(state_dir: Path) -> set[Path]:
    """Plots that a job made and that exited 0: finished for sure, so the sender need not wait
    ``min_plot_age`` for them. Empty when nothing was ever plotted here (no database is created)."""
    path = db_path(state_dir)
    if not path.exists():
        return set()
    with opened(state_dir) as db:
        rows = db.conn.execute("SELECT plot_path FROM plot_jobs WHERE state = ? AND returncode = 0 "
                               "AND plot_path IS NOT NULL AND ended_at > ?", (JobState.DONE, time.time() - 30 * 86400))
        return {Path(str(r[0])) for r in rows}


def _row(row: sqlite3.Row) -> JobRow:
    return JobRow(**{name: row[name] for name in COLUMNS if name != "state"}, state=JobState(row["state"]))
