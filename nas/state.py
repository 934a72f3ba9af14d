"""The drive-manager's sqlite state (``<state_dir>/drive-manager.sqlite``).

Shared by concurrent processes (cron ``check``, receivers, commands): every
write is one short transaction, so WAL plus the busy timeout serialise them.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import NamedTuple

from common.errors import AppError
from common.state import connect
from nas.model import NasState, SmartInfo, smart_from_dict, smart_to_dict, state_from_dict, state_to_dict

log = logging.getLogger(__name__)

DB_NAME = "drive-manager.sqlite"
KEEP_RECEIPTS = 90 * 86400
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS offline (mountpoint TEXT PRIMARY KEY, since REAL NOT NULL);
CREATE TABLE IF NOT EXISTS failing (mountpoint TEXT PRIMARY KEY, since REAL NOT NULL, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS smart (device TEXT PRIMARY KEY, checked_at REAL NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS receipts (time REAL NOT NULL, name TEXT NOT NULL, drive TEXT NOT NULL,
                                     size INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS receipts_time ON receipts (time);
-- Receipts of files holding more than one plot (a .gplot group): how many. A table of its own, so
-- that a receipts table written by an older version needs no migration. A receipt without a row
-- here is one plot.
CREATE TABLE IF NOT EXISTS receipt_plots (time REAL NOT NULL, name TEXT NOT NULL, plots INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS deletions (time REAL NOT NULL, path TEXT NOT NULL, drive TEXT NOT NULL,
                                      size INTEGER NOT NULL, rule TEXT NOT NULL, incoming TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS headers (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
                                    version INTEGER, level INTEGER);
-- A drive and meta group reserved for a PoS2 group not yet plotted (nas.drives.placement), until it
-- lands there or ``expires`` passes.
CREATE TABLE IF NOT EXISTS placements (id INTEGER PRIMARY KEY, drive TEXT NOT NULL, meta_group INTEGER NOT NULL,
                                       size INTEGER NOT NULL, created REAL NOT NULL, expires REAL NOT NULL);
-- What each PoS2 file's header on a drive says (nas.drives.headers), by name and inode: a header
-- never changes, and a new file under the name is a new inode. A cache: meta_groups, its earlier
-- form, is dropped rather than migrated, and what it held is read again once.
DROP TABLE IF EXISTS meta_groups;
CREATE TABLE IF NOT EXISTS pos2_headers (drive TEXT NOT NULL, name TEXT NOT NULL, inode INTEGER NOT NULL,
                                         meta_group INTEGER, plots INTEGER NOT NULL, PRIMARY KEY (drive, name));
"""


class Pos2Facts(NamedTuple):
    """What a PoS2 file's header says, and the inode it was read from."""

    inode: int
    meta_group: int | None
    plots: int  # a .gplot group's size; a .plot2 holds one


@dataclass(frozen=True)
class Placed:
    """A reserved drive and meta group for a PoS2 group about to be plotted."""

    id: int
    drive: Path
    meta_group: int
    size: int
    expires: float


class Store:
    """Opened lazily on first use; close it (or use ``with``) when done."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / DB_NAME
        self._conn: sqlite3.Connection | None = None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = connect(self.path, SCHEMA)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- meta: receive target, first check, last check state -------------------------
    def _meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row["value"])

    def _set_meta(self, key: str, value: str | None) -> None:
        if value is None:
            self.conn.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def last_check_end(self) -> float | None:
        value = self._meta("last_check_end")
        return None if value is None else float(value)

    def set_last_check_end(self, when: float) -> None:
        self._set_meta("last_check_end", repr(when))

    def target(self) -> Path | None:
        value = self._meta("target")
        return None if value is None else Path(value)

    def set_target(self, mountpoint: Path | None) -> None:
        self._set_meta("target", None if mountpoint is None else str(mountpoint))

    def since(self, now: float) -> float:
        """When monitoring began (set on first call)."""
        value = self._meta("since")
        if value is None:
            self._set_meta("since", repr(now))
            return now
        return float(value)

    def load_check_state(self) -> NasState | None:
        value = self._meta("check_state")
        if value is None:
            return None
        try:
            return state_from_dict(json.loads(value))
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring an unreadable stored check state: %s", exc)
            return None

    def save_check_state(self, state: NasState) -> None:
        self._set_meta("check_state", json.dumps(state_to_dict(state)))

    # -- offline drives ------------------------------------------------------------------
    def offline(self) -> frozenset[Path]:
        return frozenset(Path(r["mountpoint"]) for r in self.conn.execute("SELECT mountpoint FROM offline"))

    def failing(self) -> dict[Path, str]:
        """Drives marked failing by a receiver (see :mod:`nas.drives.health`) -> why."""
        return {Path(r["mountpoint"]): str(r["reason"])
                for r in self.conn.execute("SELECT mountpoint, reason FROM failing")}

    def set_offline(self, mountpoint: Path, offline: bool) -> None:
        if offline:
            self.conn.execute("INSERT OR IGNORE INTO offline VALUES (?, ?)", (str(mountpoint), time.time()))
        else:
            self.conn.execute("DELETE FROM offline WHERE mountpoint = ?", (str(mountpoint),))

    # -- SMART cache ---------------------------------------------------------------------
    def smart_all(self) -> dict[str, tuple[float, SmartInfo]]:
        rows = self.conn.execute("SELECT device, checked_at, data FROM smart").fetchall()
        return {r["device"]: (r["checked_at"], smart_from_dict(json.loads(r["data"]))) for r in rows}

    def put_smart(self, device: str, checked_at: float, info: SmartInfo) -> None:
        self.conn.execute("INSERT OR REPLACE INTO smart VALUES (?, ?, ?)",
                          (device, checked_at, json.dumps(smart_to_dict(info))))

    # -- receipts and deletions ------------------------------------------------------------
    def add_receipt(self, name: str, drive: Path, size: int, when: float, plots: int = 1) -> None:
        self.conn.execute("INSERT INTO receipts VALUES (?, ?, ?, ?)", (when, name, str(drive), size))
        if plots > 1:
            self.conn.execute("INSERT INTO receipt_plots VALUES (?, ?, ?)", (when, name, plots))

    def receipts_since(self, since: float) -> int:
        """Plots received since ``since``: a group file counts its group size."""
        files = self.conn.execute("SELECT COUNT(*) FROM receipts WHERE time >= ?", (since,)).fetchone()[0]
        more = self.conn.execute("SELECT COALESCE(SUM(plots - 1), 0) FROM receipt_plots WHERE time >= ?",
                                 (since,)).fetchone()[0]
        return int(files) + int(more)

    def last_receipt(self) -> tuple[float, int] | None:
        """(when, bytes per plot) of the last file received: a group's size over its plots."""
        row = self.conn.execute(
            "SELECT r.time, r.size, COALESCE(p.plots, 1) AS plots FROM receipts r LEFT JOIN receipt_plots p"
            " ON p.time = r.time AND p.name = r.name ORDER BY r.time DESC LIMIT 1").fetchone()
        return None if row is None else (float(row["time"]), int(row["size"]) // max(1, int(row["plots"])))

    def add_deletion(self, path: Path, drive: Path, size: int, rule: str, incoming: str) -> None:
        self.conn.execute("INSERT INTO deletions VALUES (?, ?, ?, ?, ?, ?)",
                          (time.time(), str(path), str(drive), size, rule, incoming))
        # The header cache lives as long as the file: years of replacement must not grow it.
        self.conn.execute("DELETE FROM headers WHERE path = ?", (str(path),))

    def deletions_since(self, since: float) -> Counter[str]:
        rows = self.conn.execute("SELECT drive FROM deletions WHERE time >= ?", (since,))
        return Counter(str(r["drive"]) for r in rows)

    def prune(self, now: float) -> None:
        self.conn.execute("DELETE FROM receipts WHERE time < ?", (now - KEEP_RECEIPTS,))
        self.conn.execute("DELETE FROM receipt_plots WHERE time < ?", (now - KEEP_RECEIPTS,))

    # -- placements of PoS2 groups before plotting (nas.drives.placement) ---------------------
    def placements(self, now: float) -> list[Placed]:
        """The placements that have not expired, oldest first (expired ones are dropped here)."""
        self.conn.execute("DELETE FROM placements WHERE expires <= ?", (now,))
        rows = self.conn.execute("SELECT id, drive, meta_group, size, expires FROM placements ORDER BY id")
        return [Placed(int(r["id"]), Path(r["drive"]), int(r["meta_group"]), int(r["size"]), float(r["expires"]))
                for r in rows]

    def add_placement(self, drive: Path, meta_group: int, size: int, now: float, ttl: float) -> Placed:
        cur = self.conn.execute("INSERT INTO placements (drive, meta_group, size, created, expires) "
                                "VALUES (?, ?, ?, ?, ?)", (str(drive), meta_group, size, now, now + ttl))
        return Placed(int(cur.lastrowid or 0), drive, meta_group, size, now + ttl)

    def drop_placement(self, placement_id: int) -> None:
        self.conn.execute("DELETE FROM placements WHERE id = ?", (placement_id,))

    # -- what the PoS2 headers on each drive say (nas.drives.headers) ------------------------
    def pos2_headers(self, drive: Path) -> dict[str, Pos2Facts]:
        """Name -> what its header said, as last read on ``drive``."""
        rows = self.conn.execute("SELECT name, inode, meta_group, plots FROM pos2_headers WHERE drive = ?",
                                 (str(drive),))
        return {str(r["name"]): Pos2Facts(int(r["inode"]), None if r["meta_group"] is None else int(r["meta_group"]),
                                          int(r["plots"])) for r in rows}

    def put_pos2_headers(self, drive: Path, read: dict[str, Pos2Facts], gone: set[str]) -> None:
        """Headers just read on ``drive``, and names no longer there (the rows live as long as the files)."""
        self.conn.execute("BEGIN IMMEDIATE")  # one transaction for thousands of rows, not one each
        try:
            self.conn.executemany("INSERT OR REPLACE INTO pos2_headers VALUES (?, ?, ?, ?, ?)",
                                  [(str(drive), name, *facts) for name, facts in read.items()])
            self.conn.executemany("DELETE FROM pos2_headers WHERE drive = ? AND name = ?",
                                  [(str(drive), name) for name in gone])
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    # -- plot header cache (replacement) --------------------------------------------------
    def header(self, path: Path, size: int, mtime_ns: int) -> tuple[int | None, int | None] | None:
        row = self.conn.execute("SELECT size, mtime_ns, version, level FROM headers WHERE path = ?",
                                (str(path),)).fetchone()
        if row is None or row["size"] != size or row["mtime_ns"] != mtime_ns:
            return None
        return row["version"], row["level"]

    def put_header(self, path: Path, size: int, mtime_ns: int, version: int | None, level: int | None) -> None:
        self.conn.execute("INSERT OR REPLACE INTO headers VALUES (?, ?, ?, ?, ?)",
                          (str(path), size, mtime_ns, version, level))


def record_receipt(state_dir: Path, name: str, drive: Path, size: int, plots: int = 1) -> None:
    """Note a stored plot file holding ``plots`` plots (for "received in 24 h" and "no plot for N hours").

    Never fails the transfer that already succeeded: a state problem is logged.
    """
    try:
        with Store(state_dir) as store:
            store.add_receipt(name, drive, size, time.time(), plots)
    except (AppError, sqlite3.Error, OSError) as exc:  # the plot is safe on disk whatever happens here
        log.warning("cannot record the receipt of %s in %s: %s", name, state_dir, exc)
