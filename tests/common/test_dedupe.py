"""Dedupe: a standing condition is sent once, resolved once, repeated only after ``repeat``."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from common.notify.base import Notice, SendMode, Severity
from common.notify.config import NotifyConfig
from common.notify.dedupe import DedupeStore, Record, plan
from common.notify.dispatch import Notifier
from tests.common.test_notify_channels import email_section, notify_cfg
from tests.notify_servers import SmtpServer, dead_port, part_text

DAY = 86400.0


def hot(n: int = 7) -> Notice:
    return Notice(kind="temperature", key=f"temperature:/mnt/d{n}", title=f"drive{n} is hot", text="57 °C")


def everything(key: str) -> bool:
    return True


def run(notices: list[Notice], stored: dict[str, Record], now: float, repeat: float = DAY,
        evaluated: Callable[[str], bool] = everything) -> list[tuple[str, str]]:
    sends = plan(notices, evaluated, stored, now, repeat)
    stored.update({s.record.key: s.record for s in sends})
    return [(s.mode, s.notice.key) for s in sends]


def test_standing_condition_lifecycle() -> None:
    stored: dict[str, Record] = {}
    assert run([hot()], stored, 0) == [(SendMode.NEW, "temperature:/mnt/d7")]
    assert run([hot()], stored, 60) == []
    assert run([hot()], stored, DAY - 1) == []
    assert run([hot()], stored, DAY) == [(SendMode.REPEAT, "temperature:/mnt/d7")]
    assert run([hot()], stored, DAY + 60) == []
    assert run([], stored, DAY + 120) == [(SendMode.RESOLVED, "temperature:/mnt/d7")]
    assert run([], stored, DAY + 180) == []
    assert run([hot()], stored, DAY + 240) == [(SendMode.NEW, "temperature:/mnt/d7")]  # a new episode


def test_resolved_keeps_the_title_and_start() -> None:
    stored: dict[str, Record] = {}
    run([hot()], stored, 100)
    (send,) = plan([], everything, stored, 700, DAY)
    assert send.notice.title == "Resolved: drive7 is hot"
    assert send.notice.context["since"] == 100
    assert send.notice.kind == "temperature"  # routed like the condition


def test_not_evaluated_is_not_resolved() -> None:
    stored: dict[str, Record] = {}
    run([hot(1), hot(2)], stored, 0)
    only_d1 = lambda key: key.endswith("/d1")  # noqa: E731
    assert run([], stored, 60, evaluated=only_d1) == [(SendMode.RESOLVED, "temperature:/mnt/d1")]


def test_events_once_per_key_and_repeat_zero() -> None:
    stored: dict[str, Record] = {}
    changed = Notice(kind="drive_changed", key="drive_changed:/mnt/d2", title="t", text="x", standing=False)
    assert run([changed, changed], stored, 0) == [(SendMode.ONCE, "drive_changed:/mnt/d2")]
    assert run([changed], stored, 60) == []
    assert run([], stored, 120) == []  # events are never "resolved"
    assert run([changed], stored, DAY + 60) == [(SendMode.ONCE, "drive_changed:/mnt/d2")]
    stored.clear()
    assert run([hot()], stored, 0, repeat=0) == [(SendMode.NEW, "temperature:/mnt/d7")]
    assert run([hot()], stored, 365 * DAY, repeat=0) == []
    assert run([hot(), changed], stored, 0, repeat=0) == [(SendMode.ONCE, "drive_changed:/mnt/d2")]
    assert run([hot(), changed], stored, 1, repeat=0) == [(SendMode.ONCE, "drive_changed:/mnt/d2")]


def test_transitions_are_never_held_as_repeats() -> None:
    """Missing, back, missing, back within minutes: each change is sent, the last one says "back"."""
    stored: dict[str, Record] = {}
    missing = Notice(kind="drive_missing", key="drive_missing:/mnt/d3", title="drive3 is missing", text="")
    back = Notice(kind="drive_back", key="drive_back:/mnt/d3", title="drive3 is back", text="", standing=False,
                  resolves="drive_missing:/mnt/d3", transition=True)
    sent = [run([missing], stored, 0), run([back], stored, 60), run([missing], stored, 120),
            run([back, back], stored, 180)]
    assert sent == [[(SendMode.NEW, missing.key)], [(SendMode.ONCE, back.key), (SendMode.RESOLVED, missing.key)],
                    [(SendMode.NEW, missing.key)], [(SendMode.ONCE, back.key), (SendMode.RESOLVED, missing.key)]]
    changed = Notice(kind="drive_changed", key="drive_changed:/mnt/d1->/mnt/d2", title="t", text="",
                     standing=False, transition=True)
    assert run([changed], stored, 240) == [(SendMode.ONCE, changed.key)]
    assert run([changed], stored, 300) == [(SendMode.ONCE, changed.key)]  # d1 -> d2 again after a d2 -> d1


def test_an_event_that_resolves_replaces_the_resolved_message() -> None:
    stored: dict[str, Record] = {}
    missing = Notice(kind="drive_missing", key="drive_missing:/mnt/d3", title="drive3 is missing", text="")
    back = Notice(kind="drive_back", key="drive_back:/mnt/d3", title="drive3 is back", text="", standing=False,
                  resolves="drive_missing:/mnt/d3")
    run([missing], stored, 0)
    sends = plan([back], everything, stored, 60, DAY)
    assert [(s.mode, s.notice.key, s.silent) for s in sends] == [
        (SendMode.ONCE, "drive_back:/mnt/d3", False), (SendMode.RESOLVED, "drive_missing:/mnt/d3", True)]


def test_repeated_runs_send_one_mail(tmp_path: Path, smtp_plain: SmtpServer) -> None:
    """Cron runs a minute apart, each with a fresh Notifier: one mail, then one "resolved"."""
    cfg: NotifyConfig = notify_cfg(tmp_path, email_section(smtp_plain.port))
    store = DedupeStore(tmp_path / "state")
    for minute in range(5):
        Notifier(cfg, host="nas01").process([hot()], everything, store, now=1000 + minute * 60)
    assert len(smtp_plain.box.wait(1)) == 1
    for minute in range(5, 8):
        Notifier(cfg, host="nas01").process([], everything, store, now=1000 + minute * 60)
    mails = smtp_plain.box.wait(2)
    assert len(mails) == 2
    assert mails[1]["Subject"] == "[nas01] Resolved: drive7 is hot"
    assert "lasted 5 min" in part_text(mails[1], "plain")


def test_undelivered_is_retried_next_run(tmp_path: Path, smtp_plain: SmtpServer) -> None:
    store = DedupeStore(tmp_path / "state")
    down = notify_cfg(tmp_path, email_section(dead_port()))
    assert Notifier(down, host="nas01").process([hot()], everything, store, now=0) == []
    up = notify_cfg(tmp_path, email_section(smtp_plain.port))
    assert [s.mode for s in Notifier(up, host="nas01").process([hot()], everything, store, now=60)] == [SendMode.NEW]
    assert len(smtp_plain.box.wait(1)) == 1


def test_a_record_of_another_versions_severity_still_holds_its_alert_back(tmp_path: Path) -> None:
    store = DedupeStore(tmp_path)
    store.save([Record("hot:sda", "hot", "sda is hot", Severity.CRITICAL, True, True, 10.0, 10.0)])
    conn = sqlite3.connect(store.path)
    with conn:
        conn.execute("UPDATE notices SET severity = 'dire'")
    conn.close()
    loaded = store.load()["hot:sda"]
    assert loaded.severity is Severity.WARNING and loaded.active and loaded.last_sent == 10.0
