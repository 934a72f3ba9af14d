"""The phases a config may name (start_early_phase, tmp_stagger_phase) are the ones jobs reach."""

from __future__ import annotations

import re

from plotter.plotting.logs import FORMATS, format_for, phases
from plotter.plotting.phase import START, Phase, describe
from tests.plotter.plotting.conftest import Run

# What a plotter's log can show that one run of the stand-ins does not: chia copies its final file
# (5:1) only when tmp2 and dst are on different filesystems; clamped numbers of a line no plotter writes.
NOT_IN_ONE_RUN = {
    "chia": {Phase(5, 1)},
    "madmax": set(),
    "bladebit": set(),
    "bladebit-disk": set(),
    "bladebit-cuda": set(),
}


def test_each_rule_captures_at_most_one_digit() -> None:
    """LogFormat.phases tries each digit for the captured number: that finds them all only if a
    rule captures one digit at most."""
    for fmt in FORMATS.values():
        for rule in fmt.rules:
            groups = re.findall(r"(?<!\\)\((?!\?)[^)]*\)", rule.pattern.pattern)
            assert rule.pattern.groups <= 1 and all(g in (r"(\d)", "([1-4])", "([1-3])") for g in groups), rule


def test_the_phases_real_runs_reach_are_the_phases_a_config_may_name(chia_run: Run, madmax_run: Run,
                                                                        bladebit_runs: dict[str, Run]) -> None:
    runs = {"chia": chia_run, "madmax": madmax_run, **bladebit_runs}
    for backend, run in runs.items():
        assert run.returncode == 0, backend
        allowed = format_for(backend).phases(backend)
        reached = set(phases(run.lines, backend)) - {START}
        assert reached <= allowed, (backend, describe(frozenset(reached - allowed)))
        extra = allowed - reached
        assert extra <= NOT_IN_ONE_RUN[backend], (backend, describe(frozenset(extra)))


def test_describe_joins_runs_of_minors() -> None:
    assert describe(frozenset({Phase(1, 0), Phase(1, 1), Phase(1, 2), Phase(2, 1), Phase(4, 0), Phase(4, 2)})) == \
        "1:0..1:2, 2:1, 4:0, 4:2"
