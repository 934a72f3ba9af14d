"""madmax backend: argv against madMAx43v3r/chia-plotter src/chia_plot.cpp, and a stand-in run."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from common.plotformat.plotfile import validate_plot
from plotter.plotting.backends import JobSpec, command, get
from plotter.plotting.logs import plot_id
from tests.plotter.plotting.conftest import CONTRACT, FARMER, POOL, Run


def test_argv_uses_chia_plot_options_with_trailing_slashes() -> None:
    # src/chia_plot.cpp cxxopts: -k size, -n count, -r threads, -u buckets, -t tmpdir, -2 tmpdir2,
    # -d finaldir, -f farmerkey, -p poolkey; directories "need trailing '/'".
    spec = JobSpec("madmax", Path("/plots"), FARMER, pool_key=POOL, k=32, tmp_dir=Path("/mnt/t1"),
                   tmp2_dir=Path("/mnt/ram/"), threads=16, buckets=256, extra_args=("-K", "2"))
    assert command(spec) == [
        "chia_plot", "-k", "32", "-n", "1", "-r", "16", "-u", "256", "-t", "/mnt/t1/", "-2", "/mnt/ram/",
        "-d", "/plots/", "-f", FARMER, "-p", POOL, "-K", "2",
    ]


def test_k33_and_k34_use_the_k34_build_and_contract_uses_c() -> None:
    # CMakeLists.txt builds chia_plot_k34 with CHIA_K34 (KMAX 34, include/chia/entries.h); -c contract.
    spec = JobSpec("madmax", Path("/p"), FARMER, pool_contract=CONTRACT, k=34, tmp_dir=Path("/t"))
    argv = command(spec)
    assert argv[0] == "chia_plot_k34" and argv[argv.index("-c") + 1] == CONTRACT
    with pytest.raises(ValueError, match="cannot make k35"):
        command(JobSpec("madmax", Path("/p"), FARMER, pool_key=POOL, k=35, tmp_dir=Path("/t")))
    with pytest.raises(ValueError, match="compression level 1"):
        command(JobSpec("madmax", Path("/p"), FARMER, pool_key=POOL, compression=1, tmp_dir=Path("/t")))


@pytest.mark.slow
def test_run_makes_a_valid_plot_copied_to_dst_and_no_temp_files(madmax_run: Run) -> None:
    assert madmax_run.returncode == 0, "\n".join(madmax_run.lines[-5:])
    found = plot_id(madmax_run.lines)
    assert found is not None
    backend = get("madmax")
    plots = list(madmax_run.spec.dst_dir.glob(backend.final_glob(found)))
    assert len(plots) == 1
    assert validate_plot(plots[0])[1].plot_id == found
    for directory, pattern in backend.temp_globs(madmax_run.spec, found):
        assert list(directory.glob(pattern)) == []


def test_standin_refuses_what_chia_plot_would_refuse(tmp_path: Path, standins: dict[str, Path]) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(standins["chia_plot"]), *args], capture_output=True, text=True, timeout=60,
                              check=False)

    keys = ["-f", FARMER, "-p", POOL]
    assert run("-k", "18", "-t", f"{tmp_path}/", "--size2", "3", *keys).returncode == 254
    done = run("-k", "18", "-t", str(tmp_path), *keys)
    assert (done.returncode, done.stdout.strip()) == (254, f"Invalid tmpdir: {tmp_path} (needs trailing '/' or '\\')")
    done = run("-k", "33", "-t", f"{tmp_path}/", *keys)
    assert done.stdout.strip() == "Invalid k option: 33"
