"""bladebit RAM, disk and CUDA logs (stand-in runs, formats from bladebit's sources) into phases."""

from __future__ import annotations

import pytest

from plotter.plotting.logs import detect, format_for, phases
from plotter.plotting.phase import Phase
from tests.plotter.plotting.conftest import Run, steps_seen

P5 = [Phase(5, 0), Phase(5, 1), Phase(5, 2)]
EVERY_STEP = {
    "bladebit": [Phase(0, 0), *(Phase(1, t) for t in range(0, 8)), *(Phase(2, s) for s in range(0, 7)),
                 *(Phase(3, s) for s in range(0, 7)), *(Phase(4, s) for s in range(0, 5)), *P5],
    "bladebit-disk": [Phase(0, 0), *(Phase(1, t) for t in range(0, 8)), *(Phase(2, s) for s in range(0, 6)),
                      *(Phase(3, s) for s in range(0, 7)), Phase(4, 1), *P5],
    "bladebit-cuda": [Phase(0, 0), *(Phase(1, t) for t in range(1, 8)), *(Phase(2, s) for s in range(0, 6)),
                      *(Phase(3, s) for s in range(0, 7)), Phase(4, 1), Phase(5, 0), Phase(5, 2)],
}
FORMAT = {"bladebit": "bladebit", "bladebit-disk": "bladebit-disk", "bladebit-cuda": "bladebit"}


@pytest.mark.parametrize("backend", list(EVERY_STEP))
def test_every_step_in_order(bladebit_runs: dict[str, Run], backend: str) -> None:
    run = bladebit_runs[backend]
    result = phases(run.lines, backend)
    assert len(result) == len(run.lines)
    assert result == sorted(result)
    assert steps_seen(result) == EVERY_STEP[backend]


@pytest.mark.parametrize("backend", list(EVERY_STEP))
def test_recognized_from_the_log(bladebit_runs: dict[str, Run], backend: str) -> None:
    run = bladebit_runs[backend]
    fmt = detect(run.lines)
    assert fmt is not None and fmt.name == FORMAT[backend] == format_for(backend).name
    mangled = [f"\x1b[36m2024-05-01T12:00:00.000\x1b[0m {line}\r" for line in run.lines]
    assert phases(mangled) == phases(run.lines, backend)


def test_ram_phases_begin_at_their_announcement(bladebit_runs: dict[str, Run]) -> None:
    run = bladebit_runs["bladebit"]
    result = phases(run.lines, "bladebit")
    for major in (1, 2, 3, 4):
        assert run.lines[result.index(Phase(major, 0))] == f"Running Phase {major}"
    assert run.lines[result.index(Phase(5, 0))].startswith("Finished Phase 4 in ")
    renamed, final = run.lines[result.index(Phase(5, 2))].split(" -> ")
    assert renamed == final + ".tmp" and final.endswith(".plot")


def test_disk_log_head_alone_is_told_from_ram(bladebit_runs: dict[str, Run]) -> None:
    run = bladebit_runs["bladebit-disk"]
    head = run.lines[:run.lines.index("[Bladebit Disk Plotter]") + 1]
    fmt = detect(head)
    assert fmt is not None and fmt.name == "bladebit-disk"
