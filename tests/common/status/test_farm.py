"""status --json's farm, read for the reports; names on two NAS in the farm report."""

from __future__ import annotations

from typing import Any

from common.notify.base import SendMode
from common.notify.render import render
from common.status.farm import farm_line, farm_view, names_on_several
from common.status.summary import summarize
from nas.monitor.report import daily_notice
from plotter.monitor.report import Farm, NasReport, farm_notice

FARM = {"enabled": True, "harvester": "https://localhost:8560", "reachable": True, "error": None, "plots": 10,
        "farmed": 7, "pending": 1, "not_farmed": 2, "foreign": 1, "duplicates": 0, "unknown_dirs": ["/mnt/d3"],
        "not_farmed_plots": [{"name": "p.plot", "drive": "/mnt/d3", "state": "no_directory"}],
        "names": ["a.plot", "b.plot"]}


def status(farm: dict[str, Any] | None, host: str = "nas1") -> dict[str, Any]:
    return {"host": host, "time": 1_800_000_000, "drives": [], "totals": {"plots": 10}, "farm": farm}


def test_farm_line_and_absent_farm() -> None:
    view = farm_view(FARM)
    assert view is not None and farm_line(view) == (
        "harvester: 7 of 10 plots farmed, 1 pending, 2 not farmed (1 farmed from elsewhere, "
        "1 drives not in plot_directories)")
    down = farm_view({"harvester": "https://localhost:8560", "reachable": False, "error": "refused", "plots": 3})
    assert down is not None and farm_line(down) == "harvester https://localhost:8560 not reachable: refused"
    assert farm_view(None) is None and summarize(status(None)).farm is None
    farmer = {"url": "https://f:8559", "reachable": True, "harvesters": [{}, {}], "plots": 9, "failed_to_open": 1,
              "no_key": 0, "duplicates": 2}
    with_farmer = farm_view({**FARM, "farmer": farmer})
    assert with_farmer is not None and farm_line(with_farmer).endswith(
        "; farmer: 2 harvesters, 9 plots, 1 failed to open, 0 no key, 2 duplicates")


def test_daily_report_has_the_counts() -> None:
    notice = daily_notice(summarize(status(FARM)))
    assert "harvester: 7 of 10 plots farmed, 1 pending, 2 not farmed" in notice.text
    assert "harvester: 7 of 10 plots farmed" in render(notice, SendMode.ONCE, "nas1").text


def test_farm_report_lists_names_on_two_nas() -> None:
    assert names_on_several({"a": ["x", "y"], "b": ["y", "z"], "c": ["y"]}) == {"y": ("a", "b", "c")}
    farm = Farm((NasReport("nas1", summarize(status(FARM))),
                 NasReport("nas2", summarize(status({**FARM, "names": ["b.plot", "c.plot"]}, "nas2")))))
    assert farm.stored_twice == {"b.plot": ("nas1", "nas2")} and farm.not_farmed == 4
    notice = farm_notice(farm)
    assert "4 plots not farmed; 1 plot names stored on two NAS" in notice.text
    text = render(notice, SendMode.ONCE, "plotter").text
    assert "b.plot: nas1, nas2" in text and "nas2: harvester: 7 of 10 plots farmed" in text
