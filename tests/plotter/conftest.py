"""Fixtures for the plotter's tests: notification servers, and the plotter stand-ins on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.notify_servers import http_capture, smtp_plain  # noqa: F401 (fixtures)
from tests.plotter.plotting.standins import install


@pytest.fixture(scope="session")
def standins(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return install(tmp_path_factory.mktemp("standin-bin"))
