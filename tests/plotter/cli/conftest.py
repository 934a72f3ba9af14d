"""The plotting tests' shared chia run, for ``plot-manager log phases`` (whose module is a command)."""

from tests.plotter.plotting.conftest import chia_run  # noqa: F401 (fixture)
