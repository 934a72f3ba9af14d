"""Exactly once across the NAS: a name is received by one receiver at a time, and stored once.

**Name reservation.** At offer time a receiver reserves the plot's name NAS-wide: one row
in the state database's ``incoming`` table, written under ``BEGIN IMMEDIATE`` (sqlite's
write lock, held across the read and the insert), so of two receivers offered the same
name at the same moment exactly one gets it; the other answers ``busy``. The row names
its receiver by pid *and* process identity (boot id + start time in clock ticks from
``/proc/<pid>/stat``): a row whose process is gone, or whose pid now belongs to another
process (pid reuse, a reboot), is stale and is taken over by the next offer. So the
reservation survives nothing but its receiver (a SIGKILL, an OOM kill, a power cut frees
it at once, with no timeout to guess). A zombie counts as gone: it can no longer write.

**What the NAS holds.** At commit the receiver records size, mtime and xxh3_128 of the
copy it just wrote (it hashed the bytes while writing them), in the ``stored`` table. An
offer of a name the NAS already holds is answered from that record when it still
describes the file (same path, size and mtime); otherwise (the receiver died between
rename and record, the file was copied in by hand) the file is hashed once and recorded.

**Across several NAS** (:mod:`nas.receive.referee`): the same reservation, taken by a "claim", is the
farm-wide lock of a name at its referee NAS; the ``placed`` table is the referee's ledger.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from common.errors import AppError, PlotBusyError, PlotExistsError
from common.state import connect
from common.transfer.stream import hash_file
from nas.config import NasConfig
from nas.drives.select import find_existing
from nas.state import DB_NAME

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS incoming (name TEXT PRIMARY KEY, pid INTEGER NOT NULL, proc TEXT NOT NULL,
                                     since REAL NOT NULL);
CREATE TABLE IF NOT EXISTS stored (name TEXT PRIMARY KEY, path TEXT NOT NULL, size INTEGER NOT NULL,
                                   mtime_ns INTEGER NOT NULL, hash TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS placed (name TEXT PRIMARY KEY, nas TEXT NOT NULL, at REAL NOT NULL);
"""
PROC = Path("/proc")
# Fields of /proc/<pid>/stat after "pid (comm) ": state is field 3, starttime field 22.
STATE_FIELD, START_FIELD = 0, 19


@dataclass(frozen=True)
class Held:
    """A copy the NAS holds under an offered name; ``hashed``: hashed now (there was no record)."""

    path: Path
    size: int
    hash: str
    hashed: bool


def process_identity(pid: int, proc: Path = PROC) -> str | None:
    """``<boot id>:<start time>`` of the live process ``pid``; None when there is none (or a zombie)."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
        boot = (proc / "sys" / "kernel" / "random" / "boot_id").read_text().strip()
    except OSError:
        return None
    # comm may hold spaces and parentheses: the fields start after the last ')'.
    fields = stat[stat.rfind(")") + 2:].split()
    if len(fields) <= START_FIELD or fields[STATE_FIELD] in ("Z", "X"):
        return None
    return f"{boot}:{fields[START_FIELD]}"


def is_stale(recorded: str, current: str | None) -> bool:
    """A reservation is stale when its process is gone or its pid now names another process. Pure."""
    return current != recorded


class NameClaim:
    """The NAS-wide reservation of one plot name by this receiver (a context manager)."""

    def __init__(self, state_dir: Path, name: str) -> None:
        self.db = state_dir / DB_NAME
        self.name = name
        self.pid = os.getpid()
        self.identity: str | None = None

    def __enter__(self) -> NameClaim:
        identity = process_identity(self.pid)
        if identity is None:
            raise AppError(f"cannot read {PROC}/{self.pid}/stat: the NAS needs Linux's /proc")
        write_locked(self.db, lambda conn: self._take(conn, identity))
        self.identity = identity
        return self

    def _take(self, conn: sqlite3.Connection, identity: str) -> None:
        row = conn.execute("SELECT pid, proc, since FROM incoming WHERE name = ?", (self.name,)).fetchone()
        if row is not None and not is_stale(row["proc"], process_identity(row["pid"])):
            started = time.strftime("%H:%M:%S", time.localtime(row["since"]))
            raise PlotBusyError(f"{self.name} is being received from another sender right now "
                                f"(NAS receiver pid {row['pid']}, since {started}); retry later")
        if row is not None:
            log.warning("%s: taking over the reservation of receiver pid %d, which is gone", self.name, row["pid"])
        conn.execute("INSERT OR REPLACE INTO incoming VALUES (?, ?, ?, ?)",
                     (self.name, self.pid, identity, time.time()))

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.identity is None:
            return
        identity, self.identity = self.identity, None
        try:
            write_locked(self.db, lambda conn: conn.execute("DELETE FROM incoming WHERE name = ? AND proc = ?",
                                                      (self.name, identity)))
        except AppError as err:  # the row is stale as soon as this process exits
            log.warning("cannot release the reservation of %s: %s", self.name, err.message)


def write_locked(db: Path, action: Callable[[sqlite3.Connection], object]) -> None:
    """Run ``action`` in one ``BEGIN IMMEDIATE`` transaction (read and write under one lock)."""
    conn = connect(db, SCHEMA)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            action(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    except sqlite3.Error as exc:
        raise AppError(f"state database {db}: {exc}") from None
    finally:
        conn.close()


def record_stored(state_dir: Path, name: str, path: Path, size: int, digest: str) -> None:
    """Note the size and hash of a copy just committed. Never fails the transfer: without a
    record, a later offer of the name hashes the file instead."""
    try:
        st = os.stat(path)
        write_locked(state_dir / DB_NAME, lambda conn: conn.execute(
            "INSERT OR REPLACE INTO stored VALUES (?, ?, ?, ?, ?, ?)",
            (name, str(path), size, st.st_mtime_ns, digest, time.time())))
    except (AppError, OSError) as exc:
        log.warning("cannot record the hash of %s in %s: %s", name, state_dir, exc)


def read_row(state_dir: Path, query: str, name: str) -> sqlite3.Row | None:
    """The one row ``query`` finds for a plot name in the state database (read-only, short)."""
    conn = connect(state_dir / DB_NAME, SCHEMA)
    try:
        row: sqlite3.Row | None = conn.execute(query, (name,)).fetchone()
        return row
    except sqlite3.Error as exc:
        raise AppError(f"state database {state_dir / DB_NAME}: {exc}") from None
    finally:
        conn.close()


def recorded_hash(state_dir: Path, name: str, path: Path, st: os.stat_result) -> str | None:
    """The recorded hash of ``path`` when the record still describes the file, else None."""
    row = read_row(state_dir, "SELECT path, size, mtime_ns, hash FROM stored WHERE name = ?", name)
    if row is None or (row["path"], row["size"], row["mtime_ns"]) != (str(path), st.st_size, st.st_mtime_ns):
        return None
    return str(row["hash"])


def held_copy(cfg: NasConfig, name: str, before_hashing: Callable[[Path, int], None]) -> Held | None:
    """The copy of ``name`` on any drive, with its size and hash; None when the NAS has none.

    ``before_hashing`` is told when the file must be hashed (minutes for a big plot)."""
    path = find_existing(cfg, name)
    if path is None:
        return None
    st = os.stat(path)
    digest = recorded_hash(cfg.nas.state_dir, name, path, st)
    if digest is not None:
        return Held(path, st.st_size, digest, hashed=False)
    log.info("%s is on the NAS without a recorded hash: hashing %s", name, path)
    before_hashing(path, st.st_size)
    digest = hash_file(str(path))
    record_stored(cfg.nas.state_dir, name, path, st.st_size, digest)
    return Held(path, st.st_size, digest, hashed=True)


def ensure_nowhere(cfg: NasConfig, name: str, at_commit: bool = False) -> None:
    """No drive may hold ``name``: at offer (for a plotter that cannot read "have"), and at commit
    (only a person or other software could have put it there while we held the reservation)."""
    existing = find_existing(cfg, name)
    if existing is None:
        return
    if at_commit:
        raise PlotExistsError(f"{existing} appeared during the transfer; keeping it and discarding ours")
    raise PlotExistsError(f"{name} already exists at {existing}; refusing a second copy")
