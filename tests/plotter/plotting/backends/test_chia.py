"""chia backend: argv against chia-blockchain chia/cmds/plots.py, and a real run of the stand-in."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from common.plotformat.plotfile import validate_plot
from plotter.plotting.backends import BACKEND_NAMES, JobSpec, command, get
from plotter.plotting.logs import current_phase, plot_id, split_lines
from plotter.plotting.phase import Phase
from tests.plotter.plotting.conftest import CONTRACT, FARMER, POOL, Run, spec_for


def test_argv_uses_chia_plots_create_flags() -> None:
    # Flags from chia-blockchain chia/cmds/plots.py create_cmd: -k/--size, -n/--num, -t/--tmp_dir,
    # -2/--tmp2_dir, -d/--final_dir, -r/--num_threads, -u/--buckets, -b/--buffer,
    # -f/--farmer_public_key, -p/--pool_public_key, -x/--exclude_final_dir.
    spec = JobSpec("chia", Path("/plots"), FARMER, pool_key=POOL, k=32, tmp_dir=Path("/t1"),
                   tmp2_dir=Path("/t2"), threads=4, buckets=128, buffer_mib=3389, extra_args=("-e",))
    assert command(spec) == [
        "chia", "plots", "create", "-k", "32", "-n", "1", "-t", "/t1", "-2", "/t2", "-d", "/plots",
        "-r", "4", "-u", "128", "-b", "3389", "-f", FARMER, "-p", POOL, "-x", "-e",
    ]


def test_small_k_adds_override_and_contract_uses_c() -> None:
    # --override-k: "Force size smaller than 32"; -c/--pool_contract_address (chia/cmds/plots.py).
    spec = JobSpec("chia", Path("/plots"), FARMER, pool_contract=CONTRACT, k=25, tmp_dir=Path("/t"),
                   executable="/opt/chia/bin/chia")
    argv = command(spec)
    assert argv[:6] == ["/opt/chia/bin/chia", "plots", "create", "-k", "25", "--override-k"]
    assert argv[argv.index("-c") + 1] == CONTRACT and "-p" not in argv and "-2" not in argv


@pytest.mark.parametrize(("changes", "message"), [
    ({"k": 17}, "cannot make k17"),
    ({"k": 51}, "cannot make k51"),
    ({"compression": 3}, "compression level 3"),
    ({"tmp_dir": None}, "needs a temporary directory"),
    ({"pool_key": None}, "exactly one of a pool key"),
    ({"pool_contract": CONTRACT}, "exactly one of a pool key"),
    ({"farmer_key": "abc"}, "farmer key must be 96 hex"),
    ({"threads": 0}, "threads must be at least 1"),
    ({"backend": "madmax"}, "not 'chia'"),
])
def test_refused_jobs_say_why(changes: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"backend": "chia", "dst_dir": Path("/d"), "farmer_key": FARMER,
                                 "pool_key": POOL, "tmp_dir": Path("/t")}
    values.update(changes)
    with pytest.raises(ValueError, match=message):
        get("chia").command(JobSpec(**values))  # type: ignore[arg-type]


def test_backend_names_are_the_contract() -> None:
    assert BACKEND_NAMES == ("chia", "madmax", "bladebit", "bladebit-disk", "bladebit-cuda", "pos2", "xchplot2")
    with pytest.raises(ValueError, match="unknown plotter backend 'plotman'"):
        get("plotman")


@pytest.mark.slow
def test_real_run_makes_a_valid_plot_and_leaves_no_temp_files(chia_run: Run) -> None:
    assert chia_run.returncode == 0, "\n".join(chia_run.lines[-5:])
    found = plot_id(chia_run.lines, "chia")
    assert found is not None
    backend = get("chia")
    plots = list(chia_run.spec.dst_dir.glob(backend.final_glob(found)))
    assert len(plots) == 1
    name, header = validate_plot(plots[0])
    assert (name.k, header.plot_id) == (18, found)
    for directory, pattern in backend.temp_globs(chia_run.spec, found):
        assert list(directory.glob(pattern)) == []
    assert current_phase(chia_run.lines, "chia") == Phase(5, 2)


@pytest.mark.slow
def test_killed_run_leaves_only_files_the_temp_globs_find(tmp_path: Path, standins: dict[str, Path]) -> None:
    spec = spec_for("chia", tmp_path, standins, "chia", tmp2_dir=tmp_path / "tmp2")
    for directory in (spec.tmp_dir, spec.tmp2_dir, spec.dst_dir):
        assert directory is not None
        directory.mkdir()
    log = tmp_path / "job.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(command(spec), stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while current_phase(split_lines(log.read_bytes()), "chia") < Phase(2, 1):
            assert proc.poll() is None and time.monotonic() < deadline, "the job never reached phase 2"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    found = plot_id(split_lines(log.read_bytes()), "chia")
    assert found is not None
    assert spec.tmp_dir is not None and list(spec.tmp_dir.iterdir()), "a killed job leaves temp files"
    for directory, pattern in get("chia").temp_globs(spec, found):
        for path in directory.glob(pattern):
            path.unlink()
    assert [p for d in (spec.tmp_dir, spec.tmp2_dir, spec.dst_dir) if d for p in d.iterdir()] == []
