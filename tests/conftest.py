"""Session-wide real parts: a pool of chiapos plots and a private sshd."""

from __future__ import annotations

import os
import shutil
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# The stand-ins make k18 plots under backends whose real plotter refuses them: let the loader and
# the backends accept such test sizes (plotter.plotting.backends.base.TEST_SIZES), here and in every
# command the tests run. Set before any plotter module is imported; it is read once, at import.
os.environ["PLOTYARD_TEST_SIZES"] = "1"

from common.plotformat.plotgen import make_gplot, make_plot
from tests.chiacli import ChiaRoot, init_root
from tests.chiars_v1 import make_plot2_v1
from tests.sshd import LocalSshd, sshd_available, start_sshd

POOL_SIZE = 6
POS2_POOL_SIZE = 4


@pytest.fixture(scope="session")
def plot_pool(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Distinct real k18 plots, made once per test session (~2 s each)."""
    directory = tmp_path_factory.mktemp("plot-pool")
    return [make_plot(directory, 18) for _ in range(POOL_SIZE)]


@pytest.fixture
def copy_plots(plot_pool: list[Path]) -> Callable[[Path, int], list[Path]]:
    """Copy ``n`` distinct pool plots into a directory (tests own and may delete them)."""

    def copy(dest: Path, n: int = 1, start: int = 0) -> list[Path]:
        assert start + n <= len(plot_pool), "the plot pool is too small for this test"
        dest.mkdir(parents=True, exist_ok=True)
        return [Path(shutil.copy2(p, dest / p.name)) for p in plot_pool[start:start + n]]

    return copy


@pytest.fixture(scope="session")
def pos2_pool(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Distinct real k18 single-plot PoS2 groups (``.gplot``, ``PoS2`` version 2) from chia_rs 0.53,
    made once (~0.3 s each)."""
    directory = tmp_path_factory.mktemp("pos2-pool")
    return [make_gplot(directory, 18) for _ in range(POS2_POOL_SIZE)]


@pytest.fixture(scope="session")
def plot2_v1_pool(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Distinct real k18 ``.plot2`` plots (``pos2`` version 1) from chia_rs 0.52 in a cached venv of
    its own (:mod:`tests.chiars_v1`; made once, a few seconds)."""
    return make_plot2_v1(tmp_path_factory.mktemp("plot2-pool"), 18, POS2_POOL_SIZE)


@pytest.fixture
def copy_pos2_plots(pos2_pool: list[Path]) -> Callable[[Path, int], list[Path]]:
    """Copy ``n`` distinct ``.gplot`` pool plots into a directory (tests own them)."""

    def copy(dest: Path, n: int = 1) -> list[Path]:
        assert n <= len(pos2_pool), "the PoS2 plot pool is too small for this test"
        dest.mkdir(parents=True, exist_ok=True)
        return [Path(shutil.copy2(p, dest / p.name)) for p in pos2_pool[:n]]

    return copy


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSshd]:
    if not sshd_available():
        if os.environ.get("CI"):
            pytest.fail("sshd is not installed: .ci/run must install openssh-server")
        pytest.skip("sshd not installed (apt-get install openssh-server)")
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def no_standin_plotter_left() -> Iterator[None]:
    """Plot jobs a test left running end with it: the scheduler counts every plotter on the
    machine (see plotter.plotting.process.byhand), so a leftover would hold the next test's jobs back.
    Only stand-ins (run by this interpreter) are ended, never a real plotter of this machine."""
    yield
    from plotter.plotting.process import byhand, procs

    mine = os.getpgid(0)
    for job in byhand.find(set()):
        found = procs.stat(job.pid)
        try:
            argv0 = Path(f"/proc/{job.pid}/cmdline").read_bytes().split(b"\0")[0].decode()
        except OSError:
            continue
        if found is None or argv0 != sys.executable:
            continue
        if found.pgid != mine:
            os.killpg(found.pgid, signal.SIGKILL)  # a scheduled job: its runjob parent too
        else:
            os.kill(job.pid, signal.SIGKILL)


@pytest.fixture
def chia_root(tmp_path: Path) -> ChiaRoot:
    """The real chia CLI (chia-blockchain in a cached venv of its own) with a fresh chia root."""
    return init_root(tmp_path / "chia-root")
