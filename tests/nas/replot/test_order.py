"""The order replacement empties the drives in (pure)."""

from __future__ import annotations

import time

from nas.replot.order import DriveRoom, replot_order, untouched

DAY = 86400.0
NOW = 1_800_000_000.0
TB = 10**12


def drive(n: int, room: int, replaceable: int, v1: int | None = None, receives: bool = True) -> DriveRoom:
    return DriveRoom(f"drive{n}", f"/mnt/drive{n}", room, replaceable, replaceable if v1 is None else v1, receives)


def test_free_room_first_then_roomiest_drive() -> None:
    drives = [drive(1, 0, 10 * TB), drive(2, TB, 5 * TB), drive(3, 2 * TB, 0), drive(10, TB, 8 * TB),
              drive(4, 0, 3 * TB, receives=False)]
    steps = replot_order(drives, TB, NOW)  # 1 TB a day
    assert [s.name for s in steps] == ["drive2", "drive10", "drive1"]  # room 1 TB (natural order), then 0
    # 4 TB of free room first, then each drive's v1 bytes in turn
    assert [s.done_at for s in steps] == [NOW + 9 * DAY, NOW + 17 * DAY, NOW + 27 * DAY]
    assert [d.name for d in untouched(drives)] == ["drive4"]


def test_no_rate_never_and_far_future_never() -> None:
    assert replot_order([drive(1, 0, TB)], 0.0, NOW)[0].done_at is None
    assert replot_order([drive(1, 0, TB)], 1.0, NOW)[0].done_at is None  # 1 byte a day: beyond a century
    step = replot_order([drive(1, 0, TB)], TB / 365, NOW)[0]
    assert step.done_at is not None and time.gmtime(step.done_at).tm_year == 2028


def test_plots_no_rule_deletes_are_replotted_by_hand() -> None:
    drives = [drive(1, 0, 2 * TB, v1=5 * TB), drive(2, 0, 0, v1=0)]
    assert [d.name for d in untouched(drives)] == ["drive1"]
