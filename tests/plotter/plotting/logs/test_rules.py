"""Line handling shared by all formats, on lines written in the plotters' printf formats."""

from __future__ import annotations

import pytest

from plotter.plotting.logs import FORMATS, detect, phases, plot_id
from plotter.plotting.logs.rules import clean
from plotter.plotting.phase import Phase

PLOT = "4f" * 32


def test_clean_strips_colour_codes_and_carriage_returns() -> None:
    assert clean("\x1b[32mINFO    \x1b[0m Starting phase 1/4\r") == "INFO     Starting phase 1/4"


@pytest.mark.parametrize(("fmt", "line", "expected"), [
    ("chia", "Starting phase 3/4: Compression without bitfield from tmp files into \"/t/x.2.tmp\"", Phase(3, 0)),
    ("chia", "Copied final file from \"/t2/x.plot.2.tmp\" to \"/d/x.plot.2.tmp\"", Phase(5, 1)),
    ("madmax", "[P2] Table 7 rewrite took 11.2 sec, dropped 0 entries (0 %)", Phase(2, 2)),
    ("madmax", "[P3-2] Table 7 took 20.1 sec, wrote 2147 left entries, 2147 final", Phase(3, 6)),
    ("bladebit", "Plot /p/plot-k32-x.plot.tmp finished writing to disk:", Phase(5, 2)),
    ("bladebit", "Table 7 completed in 3.10 seconds with 4294967296 entries.", Phase(1, 7)),
    ("bladebit-disk", "2024-01-01 10:00:00 Table 4", Phase(1, 4)),
    ("bladebit-disk", "Table 4 I/O wait time: 0.01 seconds.", None),
])
def test_single_lines(fmt: str, line: str, expected: Phase | None) -> None:
    assert FORMATS[fmt].reached(line) == expected


def test_a_phase_never_goes_back_and_later_plots_stay_done() -> None:
    lines = ["Starting phase 4/4: Write Checkpoint tables", "Time for phase 4 = 1.0 seconds.",
             "Starting phase 1/4: Forward Propagation into tmp files...", "Computing table 1"]
    assert phases(lines, "chia") == [Phase(4, 0), Phase(5, 0), Phase(5, 0), Phase(5, 0)]


def test_plot_ids_from_each_plotter() -> None:
    assert plot_id([f"ID: {PLOT}"], "chia") == PLOT
    assert plot_id([f"Plot Name: plot-k32-2024-01-01-10-00-{PLOT}"], "madmax") == PLOT
    assert plot_id([f"Generating plot 1 / 1: {PLOT}"], "bladebit-cuda") == PLOT
    assert plot_id([f"Generating plot 3: {PLOT}"], "bladebit-disk") == PLOT
    assert plot_id(["Process ID is: 1234"], "chia") is None


def test_nothing_known_is_not_recognized() -> None:
    assert detect(["", "hello", "Table 3 of 7"]) is None
