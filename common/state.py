"""sqlite helpers: one connection per use, WAL, a busy timeout, schema on open."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from common.errors import AppError

BUSY_TIMEOUT = 30.0
# Lock-upgrade conflicts fail at once instead of waiting (sqlite's deadlock
# avoidance), typically when several processes create the same database at once.
OPEN_RETRIES = 100
OPEN_RETRY_PAUSE = 0.05


def connect(path: Path, schema: str) -> sqlite3.Connection:
    """Open (and create) a state database shared by concurrent cron runs.

    The connection may be used from several threads; callers serialise access.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
        _retry_locked(lambda: conn.execute("PRAGMA journal_mode=WAL"))
        conn.execute("PRAGMA synchronous=NORMAL")
        _retry_locked(lambda: _create_schema(conn, schema))
    except (OSError, sqlite3.Error) as exc:
        raise AppError(f"state database {path}: {exc}") from None
    conn.row_factory = sqlite3.Row
    return conn


def _create_schema(conn: sqlite3.Connection, schema: str) -> None:
    # IMMEDIATE takes the write lock up front, so the busy timeout applies
    # instead of a read lock failing to upgrade halfway through.
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in schema.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _retry_locked(action: Callable[[], object]) -> None:
    for attempt in range(OPEN_RETRIES):
        try:
            action()
            return
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or attempt == OPEN_RETRIES - 1:
                raise
            time.sleep(OPEN_RETRY_PAUSE)
