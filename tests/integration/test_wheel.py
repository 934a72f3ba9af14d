"""A wheel built from this checkout, installed into a fresh venv made by Debian's python3, finds
its templates, cron files and units from any directory: the daily report is mailed in full,
and a template missing from the install is an error, not a one-line mail with exit 0."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ROOT, NasSetup, make_nas
from tests.notify_servers import SmtpServer, part_text, smtp_plain

__all__ = ["smtp_plain"]  # the fixture, used by name

DEBIAN_PYTHON = Path("/usr/bin/python3")
IGNORE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache")


def run(argv: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=cwd, stdin=subprocess.DEVNULL,
                          env={**os.environ, "PYTHONPATH": ""})


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if not DEBIAN_PYTHON.exists():
        if os.environ.get("CI"):
            pytest.fail("/usr/bin/python3 is missing")
        pytest.skip("no Debian python3")
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=IGNORE)  # building writes build/ and egg-info: not into the checkout
    built = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"), str(source)], work)
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("plotyard-*.whl")
    made = run([str(DEBIAN_PYTHON), "-m", "venv", str(work / "venv")], work)
    assert made.returncode == 0, made.stderr
    installed = run([str(work / "venv" / "bin" / "pip"), "install", "-q", "--no-deps", str(wheel)], work)
    assert installed.returncode == 0, installed.stderr
    # The dependencies (paramiko, jinja2, ...) come from the environment running the tests, after
    # the venv's own site-packages: plotyard itself is the wheel's.
    python = str(work / "venv" / "bin" / "python")
    purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], work).stdout.strip()
    Path(purelib, "test-dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    yield work / "venv"


def nas_with_mail(tmp_path: Path, smtp: SmtpServer) -> NasSetup:
    return make_nas(tmp_path / "nas", drives=2, extra_nas=(
        f"[email]\nhost = 127.0.0.1\nport = {smtp.port}\nsecurity = none\nfrom = nas@example.com\n"
        "to = me@example.com\n"))


@pytest.mark.slow
def test_the_wheel_is_what_runs(venv: Path, tmp_path: Path) -> None:
    where = run([str(venv / "bin" / "python"), "-c", "import common.assets as a; print(a.asset_dir('templates'))"],
                tmp_path)
    assert where.returncode == 0, where.stderr
    assert where.stdout.startswith(str(venv)) and where.stdout.strip().endswith("common/assets/templates")


def test_daily_report_from_another_directory_uses_the_full_template(venv: Path, tmp_path: Path,
                                                                    smtp_plain: SmtpServer) -> None:
    nas = nas_with_mail(tmp_path, smtp_plain)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run([str(venv / "bin" / "drive-manager"), "--config", str(nas.ini), "report", "daily", "--print",
                  "--send"], elsewhere)
    assert result.returncode == 0, result.stderr
    assert "TemplateNotFound" not in result.stderr and "plain text" not in result.stderr
    assert "Current receive drive" in result.stdout or "No drive is receiving plots" in result.stdout
    assert "Plots received in the last 24 h:" in result.stdout  # the totals macro
    drive_rows = [line.split() for line in result.stdout.splitlines() if line.strip().startswith("drive")]
    assert [row[0] for row in drive_rows] == ["drive1", "drive2"]  # the drive table macro
    assert result.stdout.rstrip().endswith(f"plotyard on {os.uname()[1]}")
    (mail,) = smtp_plain.box.wait(1)
    assert str(nas.drives[1]) in part_text(mail, "html") and "<table" in part_text(mail, "html")


def test_install_points_at_the_venv(venv: Path, tmp_path: Path) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    result = run([str(venv / "bin" / "drive-manager"), "install", "cron", "--config", str(nas.ini)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"chia  {venv}/bin/drive-manager --config {nas.ini} -q check\n" in result.stdout


def test_a_template_missing_from_the_install_is_an_error(venv: Path, tmp_path: Path, smtp_plain: SmtpServer) -> None:
    nas = nas_with_mail(tmp_path, smtp_plain)
    templates = Path(run([str(venv / "bin" / "python"), "-c",
                          "import common.assets as a; print(a.asset_dir('templates'))"], tmp_path).stdout.strip())
    moved = tmp_path / "daily_report.html.j2"
    shutil.move(templates / "daily_report.html.j2", moved)
    try:
        result = run([str(venv / "bin" / "drive-manager"), "--config", str(nas.ini), "report", "daily", "--send"],
                     tmp_path)
    finally:
        shutil.move(moved, templates / "daily_report.html.j2")
    assert result.returncode == 8, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("drive-manager: error: template daily_report.html.j2 "
                                                               "not found in ")
    assert "Traceback" not in result.stderr
    assert smtp_plain.box.messages == []  # no one-line stand-in was mailed
