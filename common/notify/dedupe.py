"""Send a standing condition once, once more when it clears, and again only after ``repeat``.

:func:`plan` is the pure decision; :class:`DedupeStore` keeps the records in
sqlite in the state dir, so cron runs a minute apart share them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from common.notify.base import Notice, SendMode, Severity
from common.state import connect

DB_NAME = "notify.sqlite"  # in the state dir; the plotter view reads it too

SCHEMA = """
CREATE TABLE IF NOT EXISTS notices (
    key TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, severity TEXT NOT NULL,
    standing INTEGER NOT NULL, active INTEGER NOT NULL, since REAL NOT NULL, last_sent REAL NOT NULL
);
"""


@dataclass(frozen=True)
class Record:
    key: str
    kind: str
    title: str
    severity: Severity
    standing: bool
    active: bool
    since: float  # when the condition was first seen
    last_sent: float


@dataclass(frozen=True)
class Send:
    notice: Notice
    mode: SendMode
    record: Record  # to store once the notice reached a channel
    silent: bool = False  # only the record changes: another notice in this run says it


def plan(notices: Sequence[Notice], evaluated: Callable[[str], bool], stored: Mapping[str, Record],
         now: float, repeat: float) -> list[Send]:
    """What to send now. Pure.

    ``evaluated(key)`` says whether this run looked at the condition ``key``;
    a stored active condition that was evaluated and is not among ``notices``
    has cleared. ``repeat`` <= 0 never re-sends a standing condition and never
    holds back an event. A transition is always sent (once per key in one run).
    """
    sends: list[Send] = []
    current = {n.key for n in notices}
    told = {n.resolves for n in notices if n.resolves}
    for notice in _unique(notices):
        old = stored.get(notice.key)
        mode = _mode(notice, old, now, repeat)
        if mode is not None:
            since = old.since if old is not None and old.active and mode == SendMode.REPEAT else now
            sends.append(Send(notice, mode, _record(notice, since, now)))
    for old in stored.values():
        if old.standing and old.active and old.key not in current and evaluated(old.key):
            sends.append(Send(_resolved(old), SendMode.RESOLVED, replace(old, active=False, last_sent=now),
                              silent=old.key in told))
    return sends


def _mode(notice: Notice, old: Record | None, now: float, repeat: float) -> SendMode | None:
    due = old is not None and repeat > 0 and now - old.last_sent >= repeat
    if not notice.standing:
        return SendMode.ONCE if notice.transition or old is None or due or repeat <= 0 else None
    if old is None or not old.active:
        return SendMode.NEW
    return SendMode.REPEAT if due else None


def _unique(notices: Iterable[Notice]) -> list[Notice]:
    seen: dict[str, Notice] = {}
    for notice in notices:
        seen.setdefault(notice.key, notice)
    return list(seen.values())


def _record(notice: Notice, since: float, now: float) -> Record:
    return Record(notice.key, notice.kind, notice.title, notice.severity, notice.standing,
                  notice.standing, since, now)


def _resolved(old: Record) -> Notice:
    return Notice(kind=old.kind, key=old.key, title=f"Resolved: {old.title}", text=old.title,
                  severity=Severity.INFO, standing=False, context={"since": old.since, "condition": old.title})


class DedupeStore:
    def __init__(self, state_dir: Path, name: str = DB_NAME) -> None:
        self.path = state_dir / name

    def load(self) -> dict[str, Record]:
        conn = connect(self.path, SCHEMA)
        try:
            rows = conn.execute("SELECT * FROM notices").fetchall()
        finally:
            conn.close()
        return {row["key"]: Record(row["key"], row["kind"], row["title"], _severity(row["severity"]),
                                   bool(row["standing"]), bool(row["active"]), row["since"], row["last_sent"])
                for row in rows}

    def save(self, records: Iterable[Record], forget_before: float | None = None) -> None:
        """Store ``records``; closed conditions and events last sent before ``forget_before`` are dropped."""
        conn = connect(self.path, SCHEMA)
        try:
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany("INSERT OR REPLACE INTO notices VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                 [(r.key, r.kind, r.title, r.severity, int(r.standing), int(r.active),
                                   r.since, r.last_sent) for r in records])
                if forget_before is not None:
                    conn.execute("DELETE FROM notices WHERE active = 0 AND last_sent < ?", (forget_before,))
        finally:
            conn.close()


def _severity(value: str) -> Severity:
    """A record written by another version may carry a severity this one does not know: it is
    still a record (its key keeps the alert from repeating), so it is read as a warning."""
    return Severity(value) if value in Severity.__members__.values() else Severity.WARNING
