"""madMAx log (stand-in, formats from src/chia_plot.cpp and include/chia/phase*.hpp) into phases."""

from __future__ import annotations

from plotter.plotting.logs import detect, phases
from plotter.plotting.phase import Phase
from tests.plotter.plotting.conftest import Run, steps_seen

EVERY_STEP = [
    Phase(0, 0), *(Phase(1, t) for t in range(1, 8)), *(Phase(2, s) for s in range(1, 7)),
    *(Phase(3, s) for s in range(1, 7)), Phase(4, 0), Phase(4, 1), Phase(4, 2), Phase(5, 0), Phase(5, 1), Phase(5, 2),
]


def test_every_step_in_order(madmax_run: Run) -> None:
    result = phases(madmax_run.lines, "madmax")
    assert len(result) == len(madmax_run.lines)
    assert result == sorted(result)
    assert steps_seen(result) == EVERY_STEP


def test_phases_begin_right_after_the_previous_end(madmax_run: Run) -> None:
    lines, result = madmax_run.lines, phases(madmax_run.lines, "madmax")
    assert lines[result.index(Phase(1, 1))].startswith("Plot Name: plot-k18-")
    assert lines[result.index(Phase(2, 1))].startswith("Phase 1 took ")
    assert lines[result.index(Phase(3, 1))].startswith("Phase 2 took ")
    assert lines[result.index(Phase(4, 0))].startswith("Phase 3 took ")
    assert lines[result.index(Phase(5, 0))].startswith("Phase 4 took ")
    assert lines[result.index(Phase(5, 2))].startswith("Renamed final plot to ")


def test_recognized_and_robust(madmax_run: Run) -> None:
    fmt = detect(madmax_run.lines)
    assert fmt is not None and fmt.name == "madmax"
    mangled = [f"[2024-05-01 12:00:00] \x1b[1m{line}\x1b[0m\r" for line in madmax_run.lines]
    assert phases(mangled) == phases(madmax_run.lines, "madmax")


def test_a_copy_that_takes_time_ends_the_same(madmax_run: Run) -> None:
    lines = [*madmax_run.lines[:-1], "Copy to /plots/x.plot finished, took 61.2 sec, 1700.3 MB/s avg."]
    assert phases(lines, "madmax")[-1] == Phase(5, 2)
    failed = [*madmax_run.lines[:-1], "Copy to /plots/x.plot failed with: No space left on device"]
    assert phases(failed, "madmax")[-1] == Phase(5, 1)
