"""``drive-manager replot [--json]``, ``status --json`` and the daily report on a NAS with real
v1 and v2 plots; ``plot-manager report farm`` over two such NAS."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.helpers import nas_section, run_cli
from tests.nas.replot.farm import DAY, CopyPlots, Farm, make_farm, size

pytestmark = pytest.mark.slow

CONTRACT = ("v1_plots", "v1_bytes", "v2_plots", "v2_bytes", "v2_bytes_24h", "v2_bytes_per_day", "days_to_all_v2",
            "v1_weight", "effective_bytes", "phase_out_end")


def cli(farm: Farm, *args: str) -> str:
    done = run_cli("nas", "--config", str(farm.nas.ini), *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def hand(farm: Farm) -> dict[str, object]:
    """The NAS's figures, by hand from the files (see tests.nas.replot.farm)."""
    v1 = sum(size(p) for plots in farm.v1.values() for p in plots)
    a, b, g1 = (size(p) for p, _ in farm.v2["drive2"])
    v2 = a + b + g1 + size(farm.v2["drive1"][0][0])
    per_day = (a + b + g1) / 7
    end = farm.fork_date + 254 * DAY + 18.75
    return {"v1_plots": 3, "v1_bytes": v1, "v2_plots": 6, "v2_bytes": v2, "v2_bytes_24h": a,
            "v2_bytes_per_day": round(per_day, 1), "days_to_all_v2": round(v1 / per_day, 2),
            "v1_weight": 234 / 256, "effective_bytes": round(v1 * 234 / 256) + v2,
            "phase_out_end": time.strftime("%Y-%m-%d", time.gmtime(end))}


def test_replot_json_contract(tmp_path: Path, copy_plots: CopyPlots, copy_pos2_plots: CopyPlots) -> None:
    farm = make_farm(tmp_path, copy_plots, copy_pos2_plots)
    r = json.loads(cli(farm, "replot", "--json"))
    assert {k: r[k] for k in CONTRACT} == hand(farm)
    assert [d["name"] for d in r["drives"]] == ["drive1", "drive2"]
    for d in r["drives"]:
        assert set(CONTRACT) <= set(d) and d["phase_out_end"] == r["phase_out_end"]
    assert r["drives"][0]["days_to_all_v2"] is None  # drive1 got no v2 plot in 7 days
    status = json.loads(cli(farm, "status", "--json"))
    assert {k: status["replot"][k] for k in CONTRACT} == hand(farm)


def test_replot_text(tmp_path: Path, copy_plots: CopyPlots, copy_pos2_plots: CopyPlots) -> None:
    farm = make_farm(tmp_path, copy_plots, copy_pos2_plots)
    out = cli(farm, "replot")
    figures = hand(farm)
    nas = next(line for line in out.splitlines() if line.startswith("NAS "))
    assert nas.split()[1] == "3" and nas.split()[3] == "6"  # v1 plots, v2 plots
    assert "v1 weight now 0.9141" in out and f"v1 plots stop counting on {figures['phase_out_end']}" in out
    assert "(estimated from fork_date, 4608 blocks a day)" in out
    assert f"all-v2 in {figures['days_to_all_v2']:.1f} days" in out
    assert "replot order (replacement is off" in out and "1. drive1" in out


def test_daily_report_has_the_figures(tmp_path: Path, copy_plots: CopyPlots, copy_pos2_plots: CopyPlots) -> None:
    farm = make_farm(tmp_path, copy_plots, copy_pos2_plots)
    out = cli(farm, "report", "daily", "--print")
    assert "Replot progress (v2 added = by file mtime; per day = the last 7 days / 7)" in out
    assert "v1 plots (.plot):                3 (" in out and "v2 plots (.plot2, .gplot):       6 (" in out
    assert "v1 weight now:                   0.9141" in out
    assert f"v1 plots stop counting:          {hand(farm)['phase_out_end']}" in out


def test_farm_report_sums_two_nas(tmp_path: Path, copy_plots: CopyPlots, copy_pos2_plots: CopyPlots) -> None:
    one = make_farm(tmp_path / "one", copy_plots, copy_pos2_plots)
    two = make_farm(tmp_path / "two", copy_plots, copy_pos2_plots)
    ini = tmp_path / "plotter.ini"
    ini.write_text(f"[plotter]\nplot_dirs = {tmp_path}/dst\nstate_dir = {tmp_path}/state\n"
                   + nas_section("nas01", one.nas, None) + nas_section("nas02", two.nas, None))
    done = run_cli("plotter", "--config", str(ini), "report", "farm", "--print")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Replot progress" in out
    assert "v1 plots (.plot):                6 (" in out and "v2 plots (.plot2, .gplot):       12 (" in out
    assert "v1 weight now:                   0.9141" in out
    assert "nas01: 3 v1, 6 v2" in out and "nas02: 3 v1, 6 v2" in out
