"""Plotter stand-ins on disk, keys, and one real chia (chiapos k18) run shared by the log tests."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from plotter.plotting.backends import JobSpec, command
from plotter.plotting.phase import Phase
from tests.plotter.plotting.standins.xchplot2_cli import encode_address

FARMER = "8" + "a1" * 47 + "b"
POOL = "9" + "c2" * 47 + "d"
CONTRACT = "xch1" + "qpzry9x8gf2tvdw0s3jn54khce6mua7l"[:29] * 2
# a checksummed address (the xchplot2 stand-in decodes it, as xchplot2 does) of this puzzle hash
CONTRACT_HASH = bytes(range(32))
CONTRACT_BECH32M = encode_address(CONTRACT_HASH)
RUN_TIMEOUT = 120


@dataclass(frozen=True)
class Run:
    spec: JobSpec
    log: Path
    lines: list[str]
    returncode: int


def spec_for(backend: str, root: Path, standins: dict[str, Path], executable: str, **changes: object) -> JobSpec:
    values: dict[str, object] = {
        "backend": backend, "dst_dir": root / "dst", "farmer_key": FARMER, "pool_key": POOL,
        "k": 18, "tmp_dir": root / "tmp", "executable": str(standins[executable]), "threads": 2,
    }
    values.update(changes)
    return JobSpec(**values)  # type: ignore[arg-type]


def run_job(spec: JobSpec, log: Path) -> Run:
    """Run a job's argv like the scheduler will: stdout and stderr into one log file."""
    for directory in (spec.tmp_dir, spec.tmp2_dir, spec.dst_dir):
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        done = subprocess.run(command(spec), stdout=out, stderr=subprocess.STDOUT, timeout=RUN_TIMEOUT,
                              check=False)
    return Run(spec, log, log.read_text().split("\n")[:-1], done.returncode)


@pytest.fixture(scope="session")
def chia_run(tmp_path_factory: pytest.TempPathFactory, standins: dict[str, Path]) -> Run:
    """One real ``chia plots create`` (stand-in, chiapos k18) with separate tmp, tmp2 and dst."""
    root = tmp_path_factory.mktemp("chia-run")
    spec = spec_for("chia", root, standins, "chia", tmp2_dir=root / "tmp2")
    return run_job(spec, root / "chia.log")


@pytest.fixture(scope="session")
def madmax_run(tmp_path_factory: pytest.TempPathFactory, standins: dict[str, Path]) -> Run:
    """One madMAx stand-in run: tmp, tmp2 and a separate final directory (so the final copy runs)."""
    root = tmp_path_factory.mktemp("madmax-run")
    spec = spec_for("madmax", root, standins, "chia_plot", tmp2_dir=root / "tmp2", buckets=256)
    return run_job(spec, root / "madmax.log")


def steps_seen(result: list[Phase]) -> list[Phase]:
    """The distinct phases in the order they were reached."""
    return list(dict.fromkeys(result))


@pytest.fixture(scope="session")
def bladebit_runs(tmp_path_factory: pytest.TempPathFactory, standins: dict[str, Path]) -> dict[str, Run]:
    """bladebit ramplot, diskplot and cudaplot (hybrid --disk-128, level 7) stand-in runs."""
    root = tmp_path_factory.mktemp("bladebit-runs")
    specs = {
        "bladebit": spec_for("bladebit", root / "ram", standins, "bladebit", k=32, tmp_dir=None),
        "bladebit-disk": spec_for("bladebit-disk", root / "disk", standins, "bladebit", k=32,
                                  tmp2_dir=root / "disk" / "tmp2", buckets=256),
        "bladebit-cuda": spec_for("bladebit-cuda", root / "cuda", standins, "bladebit_cuda", k=32, compression=7,
                                  extra_args=("--disk-128",)),
    }
    return {name: run_job(spec, root / f"{name}.log") for name, spec in specs.items()}


@pytest.fixture(scope="session")
def xchplot2_run(tmp_path_factory: pytest.TempPathFactory, standins: dict[str, Path]) -> Run:
    """One xchplot2 stand-in run as the backend starts it (-v --progress): a real chia_rs k18 plot."""
    root = tmp_path_factory.mktemp("xchplot2-run")
    spec = spec_for("xchplot2", root, standins, "xchplot2", tmp_dir=None, threads=None, pool_key=None,
                    pool_contract=CONTRACT_BECH32M, meta_group=7)
    return run_job(spec, root / "xchplot2.log")
