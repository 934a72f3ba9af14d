from __future__ import annotations

import threading
from pathlib import Path

from common.state import connect

SCHEMA = "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v TEXT);"


def test_many_first_opens_at_once_do_not_fail(tmp_path: Path) -> None:
    """Several cron jobs creating the same database at once: no 'database is locked'."""
    errors: list[Exception] = []
    for round_ in range(10):
        path = tmp_path / f"db{round_}.sqlite"

        def open_and_write(n: int, path: Path = path) -> None:
            try:
                conn = connect(path, SCHEMA)
                conn.execute("INSERT OR REPLACE INTO t VALUES (?, ?)", (str(n), "x"))
                conn.close()
            except Exception as exc:  # collected for the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=open_and_write, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    conn = connect(tmp_path / "db0.sqlite", SCHEMA)
    assert conn.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 6
