"""The chiapos log of a real k18 plot (made by the chia stand-in) read into phases."""

from __future__ import annotations

import re

from plotter.plotting.logs import detect, phases
from plotter.plotting.phase import Phase
from tests.plotter.plotting.conftest import Run

EVERY_STEP = (
    [Phase(0, 0), Phase(1, 0), *(Phase(1, t) for t in range(1, 8)), Phase(2, 0), *(Phase(2, s) for s in range(1, 7)),
     Phase(3, 0), *(Phase(3, t) for t in range(1, 7)), Phase(4, 0), Phase(4, 1), Phase(4, 2), Phase(5, 0),
     Phase(5, 2)]
)


def test_every_step_in_order_and_one_phase_per_line(chia_run: Run) -> None:
    result = phases(chia_run.lines, "chia")
    assert len(result) == len(chia_run.lines)
    assert result == sorted(result), "phases never go backwards"
    assert list(dict.fromkeys(result)) == EVERY_STEP


def test_phase_begins_at_the_announcing_line(chia_run: Run) -> None:
    result = phases(chia_run.lines, "chia")
    for major in (1, 2, 3, 4):
        at = result.index(Phase(major, 0))
        assert chia_run.lines[at].startswith(f"Starting phase {major}/4")
    assert chia_run.lines[result.index(Phase(5, 0))].startswith("Time for phase 4 = ")
    assert result[-1] == Phase(5, 2)


def test_recognized_without_backend(chia_run: Run) -> None:
    fmt = detect(chia_run.lines)
    assert fmt is not None and fmt.name == "chia"
    assert phases(chia_run.lines) == phases(chia_run.lines, "chia")


def test_crlf_ansi_and_timestamps_do_not_change_phases(chia_run: Run) -> None:
    expected = phases(chia_run.lines, "chia")
    mangled = [f"\x1b[32m2024-05-01 12:00:{i % 60:02d}\x1b[0m {line}\r" for i, line in enumerate(chia_run.lines)]
    assert phases(mangled) == expected


def test_unknown_lines_keep_the_phase(chia_run: Run) -> None:
    noisy: list[str] = []
    for line in chia_run.lines:
        noisy += [line, "some other tool says: table 9 done"]
    result = phases(noisy, "chia")
    assert result[1::2] == result[0::2] == phases(chia_run.lines, "chia")


def test_only_the_chia_wrapper_lines_before_phase_1_are_phase_0(chia_run: Run) -> None:
    result = phases(chia_run.lines, "chia")
    before = [line for line, phase in zip(chia_run.lines, result, strict=True) if phase == Phase(0, 0)]
    assert any(re.search(r"chia\.plotting\.create_plots .*Starting plot 1/1", line) for line in before)
    assert any(line.startswith("ID: ") for line in before)
