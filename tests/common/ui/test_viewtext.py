"""The live views' text pieces: bars, durations, clipping, and the layout that fits any screen."""

from __future__ import annotations

from common.ui.viewtext import Section, allot, bar, clip, clip_left, compose, duration, visible


def test_bars_durations_and_clipping() -> None:
    assert bar(0.5, 10) == "█████░░░░░" and bar(-1, 4) == "░░░░" and bar(2, 4) == "████" and bar(0.5, 0) == ""
    assert [duration(s) for s in (None, 5, 65, 3725, 90061)] == ["-", "0:05", "1:05", "1:02:05", "1d 01:01"]
    assert clip("abcdef", 4) == "abc…" and clip("abc", 4) == "abc"
    assert clip_left("/mnt/tmp/t0", 6) == "…mp/t0"


def rows(n: int) -> list[tuple[str, str]]:
    return [(f"row {i}", "") for i in range(n)]


def test_allot_gives_every_section_a_row_then_the_rest_by_priority() -> None:
    jobs = Section("Jobs", rows(10), head=[("cols", "")], tail=[("status", "")], priority=0)
    events = Section("Events", rows(10), priority=1)
    assert allot([jobs, events], 30) == [10, 10]
    assert allot([jobs, events], 12) == [7, 1]  # titles, column names and status line take 4
    assert allot([events, jobs], 5) == [None, 2]  # too short for both: the higher priority one shows
    assert allot([jobs, events], 3) == [None, 2]  # what does fit still shows


def test_a_cut_section_keeps_the_selected_row_and_says_how_many_are_hidden() -> None:
    section = Section("Jobs", rows(20), keep=15)
    shown = visible(section, 5)
    assert ("row 15", "") in shown and shown[-1] == ("… 16 more", "dim") and len(shown) == 5
    assert visible(Section("Empty", [], empty="no jobs"), 3) == [("no jobs", "dim")]


def test_compose_never_exceeds_the_screen() -> None:
    sections = [Section(f"S{i}", rows(30), priority=i) for i in range(5)]
    for width, height in ((80, 24), (40, 10), (200, 60), (10, 2)):
        lines = compose(("top", ""), sections, ("bottom", ""), width, height)
        assert len(lines) <= height and all(len(text) <= width for text, _ in lines)
        assert lines[-1][0] == "bottom"[:width]
