"""The comparison of the drives' plots with the harvester's answer, and the farm alerts (pure)."""

from __future__ import annotations

from nas.farm.compare import FarmState, LocalPlot, compare, harvested, watched
from nas.farm.harvester import Harvest
from nas.monitor.events import HarvesterUnreachable, PlotsNotFarmed, farm_levels

D1, D2 = "/mnt/d1", "/mnt/d2"
NOW = 1_800_000_000.0


def plot(drive: str, n: int, age: float = 3600.0) -> LocalPlot:
    return LocalPlot(f"{drive}/plot-k32-2026-01-01-00-00-{n:064x}.plot", drive, NOW - age)


def test_each_reason_in_its_order() -> None:
    farmed, failed, nokey, dup, young, old, unwatched = (plot(D1, 1), plot(D1, 2), plot(D1, 3), plot(D1, 4),
                                                         plot(D1, 5, age=100), plot(D1, 6), plot(D2, 7, age=5))
    other = f"/srv/other/{dup.name}"
    harvest = Harvest(farmed=(farmed.path, other), failed=(failed.path,), no_key=(nokey.path,),
                      directories=(D1, "/srv/other/"))
    check = compare([farmed, failed, nokey, dup, young, old, unwatched], harvest, NOW, interval=120, drives=[D1, D2])
    assert check.states == {farmed.path: FarmState.FARMED, failed.path: FarmState.FAILED_TO_OPEN,
                            nokey.path: FarmState.NO_KEY, dup.path: FarmState.DUPLICATE,
                            young.path: FarmState.PENDING, old.path: FarmState.NOT_LOADED,
                            unwatched.path: FarmState.NO_DIRECTORY}
    assert check.not_farmed == 5 and check.counts()["pending"] == 1
    assert check.foreign == (other,) and check.duplicates == (dup.name,) and check.unknown_dirs == (D2,)


def test_pending_lasts_two_rescans() -> None:
    harvest = Harvest(farmed=(), failed=(), no_key=(), directories=(D1,))
    assert compare([plot(D1, 1, age=239)], harvest, NOW, 120).counts()["pending"] == 1
    assert compare([plot(D1, 1, age=241)], harvest, NOW, 120).counts()["not_loaded"] == 1


def test_recursive_scan_covers_drives_below_a_directory() -> None:
    assert watched("/mnt/d1", ["/mnt"], recursive=True) and not watched("/mnt/d1", ["/mnt"], recursive=False)
    assert not watched("/mnt10/d1", ["/mnt"], recursive=True)
    assert harvested("x.plot") and harvested("x.plot2") and not harvested("._x.plot") and not harvested("x.gplot")


def test_not_farmed_alert_waits_for_the_grace() -> None:
    farm = {"reachable": True, "not_farmed": 3, "not_farmed_since": NOW - 1799,
            "by_state": {"farmed": 5, "pending": 2, "no_key": 1, "no_directory": 2, "duplicate": 0}}
    assert farm_levels(farm, NOW, 1800) == []
    (event,) = farm_levels(farm, NOW + 1, 1800)
    assert isinstance(event, PlotsNotFarmed) and event.standing
    assert event.title == "3 plots on the drives not farmed for 0.5 hours (1 no_key, 2 no_directory)"
    assert farm_levels({**farm, "not_farmed": 0, "not_farmed_since": None}, NOW, 60) == []
    assert farm_levels(None, NOW, 60) == []


def test_unreachable_harvester_is_critical() -> None:
    (event,) = farm_levels({"reachable": False, "harvester": "https://localhost:8560", "error": "refused"}, NOW, 60)
    assert isinstance(event, HarvesterUnreachable) and event.severity == "critical"
    assert event.title == "The chia harvester https://localhost:8560 does not answer: refused"


def test_alert_notices_name_the_plots() -> None:
    from common.notify.base import SendMode
    from common.notify.render import render
    from common.status.summary import summarize
    from nas.monitor.alerts import to_notice

    farm = {"harvester": "https://localhost:8560", "reachable": True, "plots": 3, "farmed": 1, "pending": 0,
            "not_farmed": 2, "unknown_dirs": ["/mnt/d3"],
            "not_farmed_plots": [{"name": "p.plot", "drive": "/mnt/d3", "state": "no_directory"}]}
    summary = summarize({"host": "nas1", "time": NOW, "drives": [], "farm": farm})
    notice = to_notice(PlotsNotFarmed(2, 1.0, (("no_directory", 2),)), summary)
    assert notice.kind == "plots_not_farmed" and notice.text.startswith("harvester: 1 of 3 plots farmed")
    for html in (False, True):
        text = render(notice, SendMode.ONCE, "nas1").html if html else render(notice, SendMode.ONCE, "nas1").text
        assert text is not None and "p.plot" in text and "/mnt/d3" in text
    gone = {"reachable": False, "harvester": "https://localhost:8560", "error": "refused"}
    down = to_notice(HarvesterUnreachable("https://localhost:8560", "refused"),
                     summarize({"host": "nas1", "time": NOW, "drives": [], "farm": gone}))
    assert "not reachable: refused" in render(down, SendMode.ONCE, "nas1").text
