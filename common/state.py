"""sqlite helpers: one connection per use, WAL, a busy timeout, schema on open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from common.errors import AppError


def connect(path: Path, schema: str) -> sqlite3.Connection:
    """Open (and create) a state database shared by concurrent cron runs.

    The connection may be used from several threads; callers serialise access.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(schema)
    except (OSError, sqlite3.Error) as exc:
        raise AppError(f"state database {path}: {exc}") from None
    conn.row_factory = sqlite3.Row
    return conn
