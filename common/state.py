"""sqlite helpers: one connection per use, WAL, a busy timeout, schema on open.

A database that is corrupt (garbage, truncated, a damaged b-tree) is moved aside as
``<name>.corrupt-<time>`` and started afresh, with one warning: the state databases
hold history, caches and alert dedupe records that rebuild themselves, while
keeping a corrupt one failed every later run. A state dir that cannot be written is
a :class:`StateDirError` naming the path.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from common.errors import AppError, StateDirError
from common.locking import FileLock
from common.statedir import ensure_state_dir, state_dir_error

log = logging.getLogger(__name__)

BUSY_TIMEOUT = 30.0
# Lock-upgrade conflicts fail at once instead of waiting (sqlite's deadlock
# avoidance), typically when several processes create the same database at once.
OPEN_RETRIES = 100
OPEN_RETRY_PAUSE = 0.05
CORRUPT_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
UNWRITABLE_CODES = frozenset({sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM,
                              sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL})

# Databases this process has already verified: quick_check reads every page, once is enough.
_checked: set[Path] = set()
_checked_lock = threading.Lock()


class CorruptDatabaseError(Exception):
    """``PRAGMA quick_check`` found damage sqlite did not raise for on open."""


def connect(path: Path, schema: str) -> sqlite3.Connection:
    """Open (and create) a state database shared by concurrent cron runs.

    The connection may be used from several threads; callers serialise access.
    """
    try:
        return _open(path, schema)
    except (sqlite3.Error, CorruptDatabaseError, OSError) as exc:
        if not is_corrupt(exc):
            raise _error(path, exc) from None
        reason = str(exc)
    try:
        _set_aside(path, schema, reason)
        return _open(path, schema)
    except (sqlite3.Error, CorruptDatabaseError, OSError) as exc:
        raise _error(path, exc) from None


def is_corrupt(exc: BaseException) -> bool:
    if isinstance(exc, CorruptDatabaseError):
        return True
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.DatabaseError) and code is not None and code & 0xFF in CORRUPT_CODES


def _error(path: Path, exc: BaseException) -> AppError:
    if isinstance(exc, OSError):
        return state_dir_error(path.parent, exc)
    if (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF in UNWRITABLE_CODES:
        ensure_state_dir(path.parent)  # names the dir's problem when it is the dir
        return StateDirError(f"state database {path}: {exc}")
    return AppError(f"state database {path}: {exc}")


def _open(path: Path, schema: str) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
    try:
        _retry_locked(lambda: conn.execute("PRAGMA journal_mode=WAL"))
        conn.execute("PRAGMA synchronous=NORMAL")
        _quick_check_once(conn, path)
        _retry_locked(lambda: _create_schema(conn, schema))
    except BaseException:
        conn.close()
        raise
    conn.row_factory = sqlite3.Row
    return conn


def _quick_check_once(conn: sqlite3.Connection, path: Path) -> None:
    with _checked_lock:
        if path in _checked:
            return
    problems = [str(row[0]) for row in conn.execute("PRAGMA quick_check(3)")]
    if problems != ["ok"]:
        raise CorruptDatabaseError("; ".join(problems))
    with _checked_lock:
        _checked.add(path)


def _set_aside(path: Path, schema: str, reason: str) -> None:
    """Move the corrupt ``path`` (and its WAL) aside, once even when several processes find it."""
    with FileLock(path.with_name(path.name + ".lock")).wait(BUSY_TIMEOUT):
        try:
            _open(path, schema).close()
            return  # another process set it aside first (and warned)
        except (sqlite3.Error, CorruptDatabaseError) as exc:
            if not is_corrupt(exc):
                raise
        aside = aside_name(path, time.time())
        os.rename(path, aside)
        for suffix in ("-wal", "-shm"):
            side = Path(f"{path}{suffix}")
            if side.exists():  # a stale WAL must not be replayed into the fresh database
                os.rename(side, Path(f"{aside}{suffix}"))
        log.warning("%s is corrupt (%s): moved it aside to %s and started a fresh one", path, reason, aside.name)


def aside_name(path: Path, now: float) -> Path:
    """``<path>.corrupt-<local time>``, not yet taken."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    candidate = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    return candidate


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
