"""The many-plots benchmark: its arithmetic (pure), its stand-in plots (the NAS's own checks
accept them), and the script end to end at a tiny size (so a change that breaks it shows)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.benchfiles import pos2_standin
from benchmarks.benchtable import Run, fixed_cost, markdown, pos2_shape_for, rows, stream_rate
from common.plotformat import library
from common.plotformat.plotfile import validate_plot
from common.plotformat.sizes import check_plausible_size, group_range
from tests.helpers import ROOT
from tests.sshd import sshd_available

GB = 10**9


def run(method: str, workload: str, seconds: float, plots: int = 5, nbytes: int = 5 * GB,
        cpu: float = 1.0, recv: float | None = 2.0, ok: bool = True) -> Run:
    return Run(method, workload, plots, nbytes, seconds, cpu, recv, ok)


def test_fixed_cost_recovers_the_per_plot_cost_of_a_model_transfer() -> None:
    fixed, rate = 0.3, 2.0 * GB  # 0.3 s per plot beyond a 2 GB/s stream
    many = 200 * fixed + 200 * 4e6 / rate
    large = fixed + 3 * 2**30 / rate  # the large run pays one fixed cost too
    assert fixed_cost(many, 200 * 4 * 10**6, 200, large, 3 * 2**30) == pytest.approx(fixed)
    assert stream_rate(large, 3 * 2**30, fixed) == pytest.approx(rate)


def test_fixed_cost_is_not_taken_from_the_large_run_itself() -> None:
    with pytest.raises(ValueError):
        fixed_cost(2.0, 3 * 2**30, 1, 2.0, 3 * 2**30)


def test_rows_take_the_median_round_and_ratios_on_the_same_workload() -> None:
    table = rows([
        run("ours", "many", 10.0), run("ours", "many", 12.0), run("ours", "many", 30.0),
        run("sink", "many", 5.0, cpu=0.5, recv=None), run("dd", "many", 4.0, ok=False),
        run("ours", "large", 2.0, plots=1, nbytes=4 * GB), run("sink", "large", 4.0, plots=1, nbytes=4 * GB),
    ], "large")
    ours = next(r for r in table if (r.method, r.workload) == ("ours", "many"))
    assert (ours.runs, ours.seconds_per_plot, ours.mb_per_s) == (3, 12.0 / 5, 5 * GB / 12.0 / 1e6)
    assert ours.x_sink == pytest.approx(5.0 / 12.0)
    assert ours.x_dd == pytest.approx(4.0 / 12.0)
    assert ours.cpu_send_per_gb == pytest.approx(0.2)
    assert ours.cpu_recv_per_gb == pytest.approx(0.4)
    assert ours.fixed_ms == pytest.approx(1000 * (12.0 - 1.25 * 2.0) / (5 - 1.25))
    large = next(r for r in table if (r.method, r.workload) == ("ours", "large"))
    assert large.x_sink == pytest.approx(2.0)
    assert large.x_dd is None and large.fixed_ms is None
    dd = next(r for r in table if r.method == "dd")
    assert not dd.ok and dd.fixed_ms is None  # no large dd run: no fixed cost


def test_median_of_an_even_count_is_a_measured_round() -> None:
    [row] = rows([run("ours", "many", 10.0), run("ours", "many", 20.0)], None)
    assert row.seconds_per_plot == 10.0 / 5


def test_markdown_marks_missing_figures() -> None:
    text = markdown(rows([run("dd", "many", 4.0, recv=None)], None))
    assert text.splitlines()[2] == "| many | dd | 0.800 | 1250 | – | 1.00 | 0.20 | – | – | yes |"


def test_stand_in_groups_have_a_shape_whose_size_bounds_hold_them() -> None:
    sizes = (10**9, 3 * 2**30, 8 * 2**30, 4 * 10**6)
    shapes = [pos2_shape_for(s) for s in sizes]
    assert shapes == [(28, 1), (28, 3), (28, 9), (18, 6)]  # k28 groups where they fit; PoS2 k is even
    for (k, plots), size in zip(shapes, sizes, strict=True):
        check_plausible_size(f"plot-k{k}-{'ab' * 32}.gplot", size)
        low, high = group_range(k, plots, plots)
        assert low <= size <= high
    with pytest.raises(ValueError):
        pos2_shape_for(1000)


def test_the_nas_checks_take_a_stand_in_for_a_pos2_plot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As the benchmark runs plotyard: without chia_rs, which cannot decode random bytes as a group.
    monkeypatch.setattr(library, "_prover_class", lambda: None)
    path = pos2_standin(tmp_path, 4 * 10**6, os.urandom(2**20))
    name, header = validate_plot(path)
    assert (name.group, header.k, header.group_size, path.stat().st_size) == (True, 18, 6, 4 * 10**6)


@pytest.mark.slow
def test_the_benchmark_runs_end_to_end_at_a_tiny_size(tmp_path: Path) -> None:
    methods = ["ours-local", "dd"] + (["ours-ssh", "nc-ssh"] if sshd_available() else [])
    if os.environ.get("PLOTYARD_BENCH_SINK_SRC"):
        methods.append("sink")  # else skipped: its source is not part of this repository
    done = subprocess.run(
        [sys.executable, "benchmarks/many_plots.py", "--size", "4MB", "--plots", "3", "--rounds", "1",
         "--dir", str(tmp_path), "--methods", ",".join(methods)],
        capture_output=True, text=True, timeout=300, cwd=ROOT, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    table = [line for line in done.stdout.splitlines() if line.startswith("| 3 × 0.004 GB PoS2 |")]
    assert sorted(line.split(" | ")[1] for line in table) == sorted(methods)
    assert all(line.endswith("| yes |") for line in table)
    assert list(tmp_path.iterdir()) == []  # its work dir is gone
