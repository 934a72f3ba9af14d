"""xchplot2 logs (stand-in run printing the format strings of tools/xchplot2/cli.cpp and
src/host/BatchPlotter.cpp) into phases, the plot id, and ``plot-manager log phases``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from plotter.plotting.logs import detect, format_for, phases, plot_id
from plotter.plotting.phase import Phase
from tests.helpers import ROOT
from tests.plotter.plotting.conftest import Run, steps_seen

EVERY_STEP = [Phase(1, 0), Phase(1, 1), Phase(1, 2), Phase(4, 0), Phase(5, 0), Phase(5, 1), Phase(5, 2)]


def test_every_step_in_order(xchplot2_run: Run) -> None:
    result = phases(xchplot2_run.lines, "xchplot2")
    assert len(result) == len(xchplot2_run.lines)
    assert steps_seen(result) == EVERY_STEP
    assert result[-1].plotting_done


def test_the_real_lines_are_there(xchplot2_run: Run) -> None:
    text = "\n".join(xchplot2_run.lines)
    assert "[plot] prepared 1/1 \n" in text  # the name prints empty: cli.cpp reads it after std::move
    progress = next(line for line in xchplot2_run.lines if " progress: " in line)
    assert progress.startswith("[batch] progress: plot 1/1 done (100.0%, ")
    assert progress.endswith(" s/plot avg, ~0m00s left)")
    assert any(line.startswith("[plot] wrote 1 plots in ") for line in xchplot2_run.lines)


def test_recognized_from_the_log_and_its_plot_id(xchplot2_run: Run) -> None:
    fmt = detect(xchplot2_run.lines)
    assert fmt is not None and fmt.name == "xchplot2" == format_for("xchplot2").name
    mangled = [f"\x1b[36m2026-12-01T12:00:00.000\x1b[0m {line}\r" for line in xchplot2_run.lines]
    assert phases(mangled) == phases(xchplot2_run.lines, "xchplot2")
    (plot,) = xchplot2_run.spec.dst_dir.iterdir()
    assert plot_id(xchplot2_run.lines, "xchplot2") == plot.name.split("-")[2].split(".")[0]


def test_plot_id_only_from_a_finished_name() -> None:
    written = "[batch:gpu1] consumer wrote plot 0: /p/plot-k28-" + "ab" * 32 + ".gplot"
    assert plot_id([written], "xchplot2") == "ab" * 32
    failed = "[plot] FAILED: Failed to rename /p/plot-k28-" + "cd" * 32 + ".plot2.partial -> /p/x: No space"
    assert plot_id([failed], "xchplot2") is None
    cpu = "[batch:cpu] plot 3 done: plot-k28-" + "ef" * 32 + ".plot2"
    assert phases([cpu], "xchplot2") == [Phase(5, 0)]


def test_log_phases_command_reads_it(tmp_path: Path, xchplot2_run: Run) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    done = subprocess.run([sys.executable, "-m", "plotter", "log", "phases", str(xchplot2_run.log)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [str(p) for p in phases(xchplot2_run.lines, "xchplot2")]
