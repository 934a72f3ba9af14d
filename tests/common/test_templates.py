"""``PLOTYARD_TEMPLATES`` overrides a shipped template; a template that cannot be loaded is exit 8."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT, make_nas


def daily(tmp_path: Path, templates: Path) -> subprocess.CompletedProcess[str]:
    nas = make_nas(tmp_path / "nas", drives=1)
    return subprocess.run([sys.executable, "-m", "nas", "--config", str(nas.ini), "report", "daily", "--print"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT, stdin=subprocess.DEVNULL,
                          env={**os.environ, "PLOTYARD_TEMPLATES": str(templates)})


def test_an_override_wins_and_the_rest_is_shipped(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "daily_report.txt.j2").write_text(
        '{% extends "_base.txt.j2" %}{% block body %}Custom report of {{ summary.host }}\n{% endblock %}')
    result = daily(tmp_path, tmp_path / "mine")
    assert result.returncode == 0, result.stderr
    assert f"Custom report of {os.uname()[1]}" in result.stdout
    assert result.stdout.rstrip().endswith(f"plotyard on {os.uname()[1]}")  # _base from the package


def test_a_broken_template_is_an_error_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "daily_report.txt.j2").write_text("line one\n{% if %}\n")
    result = daily(tmp_path, tmp_path / "mine")
    assert result.returncode == 8
    assert result.stderr.strip().splitlines()[-1].startswith("drive-manager: error: template ")
    assert "daily_report.txt.j2 line 2: " in result.stderr and "Traceback" not in result.stderr


def test_an_override_that_is_not_a_directory_is_an_error(tmp_path: Path) -> None:
    result = daily(tmp_path, tmp_path / "nowhere")
    assert result.returncode == 8 and f"PLOTYARD_TEMPLATES={tmp_path / 'nowhere'} is not a directory" in result.stderr
