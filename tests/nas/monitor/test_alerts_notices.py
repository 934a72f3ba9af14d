"""Every NAS event becomes a notice whose templates render (no fallback) with the figures in them."""

from __future__ import annotations

import logging
import time
from dataclasses import replace

import pytest

from common.notify.base import SendMode
from common.notify.dedupe import plan
from common.notify.render import render
from common.status.summary import summarize
from nas.model import DriveState, status_dict
from nas.monitor import events as ev
from nas.monitor.alerts import to_notice
from tests.nas.status_data import make_state

STATE = make_state()
D1, D2 = STATE.drives
SUMMARY = summarize(status_dict(STATE))

EVENTS: list[ev.Event] = [
    ev.DriveChanged(old=D1, new=D2), ev.DriveChanged(old=None, new=D2), ev.DriveFull(D1), ev.AllFull(full=2),
    ev.AllFull(full=1, offline=1, replacing=True), ev.AllFull(full=0),
    ev.CapacityLow(plots_left=3, limit=10, days_to_full=0.1), ev.CapacityLow(3, 10, None, replaceable=2),
    ev.Temperature(D2, 57, 50), ev.SmartFailing(D2),
    ev.BadSectors(D2, "reallocated", 0, 8), ev.DriveMissing(replace(D1, state=DriveState.MISSING)),
    ev.PlotsDropped(D1, 163, 120), ev.DriveBack(D1), ev.NoPlots(hours=13, last_receipt=time.time() - 13 * 3600),
    ev.NoPlots(hours=13, last_receipt=None),
    ev.DriveFailing(replace(D1, state=DriveState.FAILING, reason="create: Read-only file system")),
    ev.DriveHealthy(D1), ev.AllFull(full=1, failing=1),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_every_event_renders(event: ev.Event, caplog: pytest.LogCaptureFixture) -> None:
    notice = to_notice(event, SUMMARY)
    assert (notice.kind, notice.key, notice.standing) == (event.kind, event.key, event.standing)
    with caplog.at_level(logging.ERROR):
        message = render(notice, SendMode.NEW, "nas01")
    assert not caplog.records, caplog.text  # no template fell back to plain text
    assert event.title in message.text and message.subject == f"[nas01] {event.title}"
    assert message.short.startswith(f"nas01: {event.title}") and len(message.short) <= 300
    assert "243" in message.text or "drive" in message.text


def test_drive_changed_short_text_has_the_new_drive() -> None:
    short = render(to_notice(ev.DriveChanged(old=D1, new=D2), SUMMARY), SendMode.NEW, "nas01").short
    assert "previous: drive1 (163 plots)" in short
    assert "/mnt/e1/drive2 (/dev/sdc, 18.0 TB, room for 82 plots, serial ZR5A5678, 41 °C, SMART PASS)" in short
    assert "2.7 days" in short


def test_drive_back_closes_drive_missing_without_a_second_message() -> None:
    missing = to_notice(ev.DriveMissing(replace(D1, state=DriveState.MISSING)), SUMMARY)
    stored = {s.record.key: s.record for s in plan([missing], lambda k: True, {}, 0, 86400)}
    back = to_notice(ev.DriveBack(D1), SUMMARY)
    sends = plan([back], lambda k: True, stored, 60, 86400)
    assert [(s.notice.kind, s.mode, s.silent) for s in sends] == [("drive_back", "once", False),
                                                                  ("drive_missing", SendMode.RESOLVED, True)]
