"""bladebit backends: argv against Chia-Network/bladebit src/main.cpp (global options), diskplot's
src/plotdisk/DiskPlotter.cpp and cudaplot's cuda/CudaPlotter.cu ParseCLI, and stand-in runs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from common.plotformat.plotfile import parse_name, read_header, validate_plot
from plotter.plotting.backends import JobSpec, command, get
from plotter.plotting.logs import plot_id
from tests.plotter.plotting.conftest import CONTRACT, FARMER, POOL, Run


def spec(backend: str, **changes: object) -> JobSpec:
    values: dict[str, object] = {"backend": backend, "dst_dir": Path("/plots"), "farmer_key": FARMER,
                                 "pool_key": POOL, "threads": 8}
    values.update(changes)
    return JobSpec(**values)  # type: ignore[arg-type]


def test_ramplot_argv_global_options_then_command_then_out_dir() -> None:
    # main.cpp: -t/--threads, -n/--count, -f/--farmer-key, -p/--pool-key, -z/--compress [level], "ramplot".
    assert command(spec("bladebit", compression=5)) == [
        "bladebit", "-t", "8", "-n", "1", "-f", FARMER, "-p", POOL, "-z", "5", "ramplot", "/plots"]


def test_diskplot_argv_has_its_temp_and_bucket_options() -> None:
    # DiskPlotter::ParseCLI: -t1/--temp1, -t2/--temp2, -b/--buckets; --cache goes in extra_args.
    argv = command(spec("bladebit-disk", tmp_dir=Path("/nvme"), tmp2_dir=Path("/ram"), buckets=256,
                        pool_key=None, pool_contract=CONTRACT, extra_args=("--cache", "64G")))
    assert argv == ["bladebit", "-t", "8", "-n", "1", "-f", FARMER, "-c", CONTRACT, "diskplot",
                    "-t1", "/nvme", "-t2", "/ram", "-b", "256", "--cache", "64G", "/plots"]


def test_cudaplot_argv_and_hybrid_mode() -> None:
    # bladebit_cuda ... cudaplot (CudaPlotter.cu USAGE); -t1/-t2 only matter with --disk-128/--disk-16.
    assert command(spec("bladebit-cuda", threads=None)) == [
        "bladebit_cuda", "-n", "1", "-f", FARMER, "-p", POOL, "cudaplot", "/plots"]
    argv = command(spec("bladebit-cuda", compression=7, tmp_dir=Path("/t"), extra_args=("--disk-128",)))
    assert argv[argv.index("cudaplot"):] == ["cudaplot", "-t1", "/t", "--disk-128", "/plots"]


@pytest.mark.parametrize(("backend", "changes", "message"), [
    ("bladebit", {"compression": 8}, "compression level 8"),  # ramplot: levels 0-7
    ("bladebit-disk", {"compression": 1, "tmp_dir": Path("/t")}, "compression level 1"),  # diskplot: disabled
    ("bladebit-disk", {}, "needs a temporary directory"),
    ("bladebit-cuda", {"compression": 8}, "compression level 8"),  # "not currently supported"
    ("bladebit-cuda", {"compression": 10}, "compression level 10"),
    ("bladebit-cuda", {"tmp_dir": Path("/t")}, "only in a hybrid disk mode"),
    ("bladebit-cuda", {"extra_args": ("--disk-16",), "tmp_dir": Path("/t")}, "cannot make uncompressed"),
    ("bladebit", {"k": 33}, "cannot make k33"),  # bladebit makes k32 only
])
def test_refused_jobs(backend: str, changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        command(spec(backend, **changes))


def test_cuda_level_9_is_accepted() -> None:
    assert "-z" in command(spec("bladebit-cuda", compression=9))


def test_disk_temp_files_carry_no_plot_id() -> None:
    backend, plot = get("bladebit-disk"), "ab" * 32
    globs = backend.temp_globs(spec("bladebit-disk", tmp_dir=Path("/t1"), tmp2_dir=Path("/t2")), plot)
    assert backend.shared_temp_names
    assert globs == [(Path("/t1"), "*.tmp"), (Path("/t2"), "*.tmp"), (Path("/plots"), f"*{plot}*.tmp")]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["bladebit", "bladebit-disk", "bladebit-cuda"])
def test_runs_make_the_plot_and_clean_their_temp_files(bladebit_runs: dict[str, Run], backend: str) -> None:
    run = bladebit_runs[backend]
    assert run.returncode == 0, "\n".join(run.lines[-5:])
    found = plot_id(run.lines, backend)
    assert found is not None
    plots = list(run.spec.dst_dir.glob(get(backend).final_glob(found)))
    assert len(plots) == 1 and read_header(plots[0]).plot_id == found
    assert parse_name(plots[0].name).level == run.spec.compression
    if run.spec.compression == 0:
        validate_plot(plots[0])
    for directory, pattern in get(backend).temp_globs(run.spec, found):
        assert list(directory.glob(pattern)) == []


def test_standin_refuses_like_bladebit(standins: dict[str, Path], tmp_path: Path) -> None:
    def run(exe: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(standins[exe]), "-f", FARMER, "-p", POOL, *args], capture_output=True, text=True,
                              timeout=60, check=False)

    done = run("bladebit", "--bogus", "ramplot", str(tmp_path))
    assert (done.returncode, done.stderr.strip()) == (1, "Fatal Error:  Unexpected argument '--bogus'")
    done = run("bladebit", "cudaplot", str(tmp_path))  # only the CUDA build knows cudaplot
    assert "Unexpected argument 'cudaplot'" in done.stderr
    done = run("bladebit", "-z", "2", "diskplot", "-t1", str(tmp_path), str(tmp_path))
    assert "diskplot is currently disabled for compressed plotting" in done.stderr
    done = run("bladebit", "ramplot", "--cache", "1G", str(tmp_path))
    assert "Unrecognized argument '--cache'" in done.stderr
