"""drive_globs that match nothing: said plainly with the patterns, once, on every path that meets it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.helpers import ROOT, make_nas, make_plotter, run_cli

CopyPlots = Callable[..., list[Path]]


def test_globs_matching_nothing_are_named(tmp_path: Path, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    typo = f"{tmp_path}/nas/drives/dirve*"
    nas.ini.write_text(nas.ini.read_text().replace(f"drive_globs = {nas.drives[0]}", f"drive_globs = {typo}"))
    expected = f"no drive found: {typo} match no mount point"
    checks = [subprocess.run([sys.executable, "-m", "nas", "-q", "--config", str(nas.ini), "check"], cwd=ROOT,
                             capture_output=True, text=True, timeout=120) for _ in range(2)]
    assert [c.returncode for c in checks] == [0, 0]
    assert expected in checks[0].stderr and "All 0 drives are full" not in checks[0].stderr
    assert checks[1].stderr == ""  # said once, not every minute
    status = run_cli("nas", "--config", str(nas.ini), "status")
    assert status.returncode == 0 and expected in status.stderr
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    (plot,) = copy_plots(plotter.dst, 1)
    sent = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")
    assert sent.returncode == 14 and expected in sent.stderr and plot.exists()  # no drive has room
    assert "0 drives, 0 online" not in sent.stderr
