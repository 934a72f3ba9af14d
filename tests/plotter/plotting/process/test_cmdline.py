"""A plotter's command line read back: every argv the backends build (the plotters' own flags),
the other spellings the plotters accept, and command lines that are not plot jobs."""

from __future__ import annotations

from pathlib import Path

import pytest

from plotter.plotting.backends import JobSpec, command, keyless
from plotter.plotting.process.cmdline import parse
from tests.plotter.plotting.conftest import CONTRACT, FARMER, POOL

SPECS = [
    JobSpec("chia", Path("/d"), FARMER, POOL, k=32, tmp_dir=Path("/t"), threads=4, buffer_mib=3400),
    JobSpec("chia", Path("/d"), FARMER, None, CONTRACT, k=18, tmp_dir=Path("/t"), tmp2_dir=Path("/t2")),
    JobSpec("madmax", Path("/d"), FARMER, POOL, k=32, tmp_dir=Path("/t"), tmp2_dir=Path("/ram"), buckets=256),
    JobSpec("madmax", Path("/d"), FARMER, None, CONTRACT, k=33, tmp_dir=Path("/t")),
    JobSpec("bladebit", Path("/d"), FARMER, POOL, threads=8, compression=5),
    JobSpec("bladebit-disk", Path("/d"), FARMER, POOL, tmp_dir=Path("/t"), tmp2_dir=Path("/ram"), buckets=256),
    JobSpec("bladebit-cuda", Path("/d"), FARMER, None, CONTRACT, compression=7, tmp_dir=Path("/t"),
            extra_args=("--disk-128",)),
    JobSpec("bladebit-cuda", Path("/d"), FARMER, POOL, compression=9),
    JobSpec("xchplot2", Path("/d"), FARMER, POOL, k=28),
    JobSpec("xchplot2", Path("/d"), FARMER, None, CONTRACT, k=18, strength=5, meta_group=3,
            extra_args=("--devices", "0,1", "--tier", "tiny")),
]


@pytest.mark.parametrize("job", SPECS, ids=lambda s: s.backend)
def test_every_built_command_reads_back(job: JobSpec) -> None:
    found = parse(command(job))
    assert found is not None
    assert (found.backend, found.k, found.compression) == (job.backend, job.k, job.compression)
    assert (found.dst_dir, found.tmp_dir, found.tmp2_dir) == (job.dst_dir, job.tmp_dir, job.tmp2_dir)


@pytest.mark.parametrize(("argv", "expected"), [
    (["/usr/bin/python3.11", "/opt/chia/venv/bin/chia", "plots", "create", "--size=33", "--tmp_dir=/a", "-2/b",
      "-d", "/c"], keyless("chia", 33, "/c", "/a", "/b")),
    (["chia", "plots", "create", "-f", FARMER], keyless("chia", 32, ".", ".", None)),  # click's defaults
    (["./chia_plot", "-r", "16", "--tmpdir=x/", "--finaldir", "y/"], keyless("madmax", 32, "y/", "x/", None)),
    (["/usr/local/bin/xchplot2", "plot", "--k", "20", "--out", "p", "--seed", "-o", "-v"],
     keyless("xchplot2", 20, "p", None, None)),  # --seed takes "-o" as its value, as cli.cpp does
    (["xchplot2", "plot", "-f", FARMER, "-p", POOL], keyless("xchplot2", 28, ".", None, None)),  # defaults
    (["bladebit", "--compress", "3", "-f", "ramplot", "ramplot", "out"],
     keyless("bladebit", 32, "out", None, None, 3)),
    (["bladebit", "diskplot", "--temp1", "/t", "--cache", "64G", "-b", "128", "/o"],
     keyless("bladebit-disk", 32, "/o", "/t", None)),
])
def test_other_spellings_the_plotters_take(argv: list[str], expected: JobSpec) -> None:
    assert parse(argv) == expected


@pytest.mark.parametrize("argv", [
    ["chia", "plots", "check"], ["chia", "start", "farmer"], ["bladebit", "validate", "x.plot"], ["bladebit", "-h"],
    ["bladebit", "ramplot"], ["python3", "-m", "plotter.plotting.process.runjob", "--", "chia", "plots", "create"],
    ["chia_plot", "-k", "thirty-two"], ["sleep", "10"], [], ["xchplot2", "devices"], ["xchplot2", "verify", "x.plot2"],
    ["xchplot2", "plot", "-k", "28k"],
])
def test_what_is_not_a_plot_job(argv: list[str]) -> None:
    assert parse(argv) is None
