"""A receive-drive change is told once per check, by its event, not by two lines that disagree."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import make_nas, run_cli


def test_drive_offline_then_check_says_the_change_once(tmp_path: Path) -> None:
    nas = make_nas(tmp_path / "nas", drives=3)
    assert run_cli("nas", "--config", str(nas.ini), "check").returncode == 0
    assert run_cli("nas", "--config", str(nas.ini), "drive", "offline", "drive1").returncode == 0
    check = run_cli("nas", "--config", str(nas.ini), "check")
    assert check.returncode == 0, check.stderr
    told = [line for line in check.stderr.splitlines() if "receive drive" in line.lower()]
    assert len(told) == 1 and "Receive drive changed from drive1 to drive2" in told[0], told
