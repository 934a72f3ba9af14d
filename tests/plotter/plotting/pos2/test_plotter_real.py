"""The pos2 plotter run as the scheduler runs it (its backend's argv, one log): real k18 groups that
chia would farm, its log read by the pos2 parser, failures that leave nothing behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from plotter.cli.main import main
from plotter.plotting import logs
from plotter.plotting.analysis.timings import timings
from plotter.plotting.backends import JobSpec
from plotter.plotting.logs.errors import last_error
from plotter.plotting.phase import Phase
from plotter.plotting.pos2.address import encode
from tests.chiacli import FARMER_KEY, POOL_KEY
from tests.plotter.plotting.conftest import run_job
from tests.plotter.plotting.pos2.farmable import Keys, check_farmable

CONTRACT = encode("xch", bytes.fromhex("c0ffee" * 10 + "00c0"))
SHM = Path("/dev/shm")


def spec(root: Path, **changes: object) -> JobSpec:
    values: dict[str, object] = {"backend": "pos2", "dst_dir": root / "dst", "farmer_key": FARMER_KEY,
                                 "pool_key": POOL_KEY, "k": 18, "tmp_dir": root / "tmp"}
    values.update(changes)
    return JobSpec(**values)  # type: ignore[arg-type]


@pytest.mark.slow
def test_a_pool_key_group_is_farmable_and_its_log_parsed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # k20 plots for a second or more: long enough for heartbeat lines (the stall check's progress)
    run = run_job(spec(tmp_path, meta_group=7, k=20, extra_args=("--heartbeat", "0.2")), tmp_path / "pos2.log")
    assert run.returncode == 0, run.lines
    assert any(line.startswith("pos2: plotting, ") and line.endswith(" CPU s") for line in run.lines)
    made = list((tmp_path / "dst").iterdir())
    assert len(made) == 1 and made[0].suffix == ".gplot"
    assert list((tmp_path / "tmp").iterdir()) == []
    assert check_farmable(made, Keys(FARMER_KEY, pool=POOL_KEY), k=20) == [7]
    # the parser on the real log: recognized without a backend, phases in order, the group id as plot id
    assert logs.resolve(run.lines).name == "pos2"
    phases = logs.phases(run.lines)
    assert Phase(1, 0) in phases and phases[-1] == Phase(5, 2) and phases == sorted(phases)
    assert logs.plot_id(run.lines, "pos2") == made[0].name.removesuffix(".gplot").split("-")[-1]
    [timing] = timings(run.lines, "pos2")
    plotting, total = timing.phase(1), timing.total
    assert plotting is not None and total is not None and total >= plotting
    assert main(["log", "phases", str(run.log)]) == 0
    assert capsys.readouterr().out.split() == [str(p) for p in phases]


@pytest.mark.slow
@pytest.mark.skipif(not SHM.is_dir(), reason="no /dev/shm for a tmp dir on another file system")
def test_a_pool_contract_group_copied_from_another_file_system(tmp_path: Path) -> None:
    tmp = SHM / f"pos2-{os.getpid()}-{tmp_path.name}"
    tmp.mkdir()
    try:
        run = run_job(spec(tmp_path, pool_key=None, pool_contract=CONTRACT, tmp_dir=tmp, strength=3),
                      tmp_path / "pos2.log")
        assert run.returncode == 0, run.lines
        assert list(tmp.iterdir()) == []
    finally:
        for leftover in tmp.iterdir():
            leftover.unlink()
        tmp.rmdir()
    made = list((tmp_path / "dst").iterdir())
    assert check_farmable(made, Keys(FARMER_KEY, contract=CONTRACT), strength=3) == [0]
    if tmp_path.stat().st_dev != SHM.stat().st_dev:
        assert any("copying to" in line for line in run.lines)


@pytest.mark.slow
def test_a_key_off_the_curve_fails_with_its_reason_and_leaves_nothing(tmp_path: Path) -> None:
    run = run_job(spec(tmp_path, farmer_key="8" + "a1" * 47 + "b"), tmp_path / "pos2.log")
    assert run.returncode == 1
    assert "farmer key is not a BLS public key" in (last_error(run.lines) or "")
    assert list((tmp_path / "dst").iterdir()) == [] and list((tmp_path / "tmp").iterdir()) == []
