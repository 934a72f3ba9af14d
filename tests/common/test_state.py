from __future__ import annotations

import logging
import re
import secrets
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from common import state
from common.state import connect
from tests.helpers import ROOT

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


# -- a corrupt database is moved aside, started afresh, and warned about once -----------------------
def _real_db(path: Path, rows: int) -> None:
    conn = connect(path, SCHEMA)
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(f"key{i:05d}", "v" * 50) for i in range(rows)])
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file, as after a clean close
    conn.close()


def _garbage(path: Path) -> None:
    path.write_bytes(secrets.token_bytes(20_000))


def _truncated(path: Path) -> None:
    _real_db(path, 200)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def _damaged_page(path: Path) -> None:
    """A middle page overwritten: sqlite opens it happily; only quick_check finds the damage."""
    _real_db(path, 2000)
    data = bytearray(path.read_bytes())
    middle = 4096 * (len(data) // 4096 // 2)
    data[middle:middle + 4096] = secrets.token_bytes(4096)
    path.write_bytes(bytes(data))


def _asides(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.corrupt-*"))


@pytest.mark.parametrize("damage", [_garbage, _truncated, _damaged_page], ids=["garbage", "truncated", "damaged-page"])
def test_corrupt_database_moved_aside_once(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                           damage: Callable[[Path], None]) -> None:
    path = tmp_path / "state.sqlite"
    damage(path)
    damaged = path.read_bytes()
    state._checked.clear()  # as a fresh process would

    with caplog.at_level(logging.WARNING, logger="common.state"):
        conn = connect(path, SCHEMA)
        conn.execute("INSERT INTO t VALUES ('fresh', 'yes')")
        conn.close()
        state._checked.clear()
        connect(path, SCHEMA).close()  # the next run: nothing to warn about

    (aside,) = _asides(path)
    assert re.fullmatch(r"state\.sqlite\.corrupt-\d{8}-\d{6}", aside.name)
    assert aside.read_bytes() == damaged  # kept for a post-mortem, byte for byte
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and f"{path} is corrupt" in warnings[0] and aside.name in warnings[0]
    assert [r[0] for r in connect(path, SCHEMA).execute("SELECT k FROM t")] == ["fresh"]


def test_processes_finding_it_corrupt_at_once_move_it_aside_once(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    _garbage(path)
    code = ("import logging, sys; from pathlib import Path; from common.state import connect; "
            "logging.basicConfig(level=logging.WARNING); "
            f"conn = connect(Path(sys.argv[1]), {SCHEMA!r}); "
            "conn.execute(\"INSERT INTO t VALUES (?, 'x')\", (sys.argv[2],)); conn.close()")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path), str(n)], cwd=ROOT,
                              stderr=subprocess.PIPE, text=True) for n in range(4)]
    errs = [p.communicate(timeout=60)[1] for p in procs]

    assert [p.returncode for p in procs] == [0] * 4, errs
    assert len(_asides(path)) == 1
    assert "".join(errs).count("is corrupt") == 1
    conn = connect(path, SCHEMA)
    assert sorted(r[0] for r in conn.execute("SELECT k FROM t")) == ["0", "1", "2", "3"]  # one fresh db for all
