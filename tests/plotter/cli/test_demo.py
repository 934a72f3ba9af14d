"""The README's first command: the demo runs end to end and fills one drive before the next."""

from __future__ import annotations

import re

import pytest

from tests.helpers import run_cli


@pytest.mark.slow
def test_demo_moves_real_plots_and_rotates_drives() -> None:
    result = run_cli("plotter", "demo", "--plots", "3", timeout=300)

    assert result.returncode == 0, result.stderr
    assert "sent 3, failed 0" in result.stdout
    destinations = re.findall(r"-> (drive\d)", result.stdout)
    assert destinations.count("drive1") == 2 and destinations.count("drive2") == 1
    assert "drive1: 2 plots" in result.stdout and "(full)" in result.stdout
    assert "plots left on the plotter: 0" in result.stdout
