"""The farm check against a real chia harvester (and the farmer it needs for its keys), started by
the test from chia-blockchain 2.7.5 in its own root and keyring on 127.0.0.1 (see ``chiafarm``),
farming real k18 plots: two it farms, one it cannot open (truncated), one with another farm's keys,
one name twice, one plot it farms from a directory that is no plotyard drive, and a drive it does
not scan."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nas.config import NasConfig, load
from nas.farm.farmer import ask_farmer
from nas.farm.gather import farm_status
from nas.farm.harvester import read_conf
from nas.monitor.check import run_check
from nas.monitor.events import HarvesterUnreachable, PlotsNotFarmed, farm_levels
from nas.state import Store
from tests.chiacli import FARMER_KEY, POOL_KEY, ChiaRoot
from tests.helpers import make_nas, run_cli, wait_for
from tests.nas.farm.chiafarm import ChiaFarm, make_plot

pytestmark = pytest.mark.slow

FIRST_SCAN = 180.0  # daemon, farmer and harvester start, handshake, first scan (seconds, bounded)
TRUNCATED = "plot-k18-2026-12-06-00-00-" + "ab" * 32 + ".plot"
TRUNCATED2 = "plot-k18-2026-12-06-00-00-" + "cd" * 32 + ".plot"


@pytest.fixture
def farm(chia_root: ChiaRoot, tmp_path: Path) -> Iterator[ChiaFarm]:
    found = ChiaFarm(chia_root, tmp_path / "keys")
    try:
        yield found
    finally:
        found.stop()


def _settled(cfg: NasConfig) -> dict[str, Any] | None:
    farm = farm_status(cfg, time.time())
    by_state = farm.get("by_state") or {}
    farmer = farm.get("farmer") or {}
    done = farm["reachable"] and by_state.get("farmed") == 2 and by_state.get("failed_to_open") == 2 \
        and by_state.get("no_key") == 1 and farmer.get("plots") == 3 and farmer.get("failed_to_open") == 2
    return farm if done else None


def test_real_harvester_farm_check(farm: ChiaFarm, tmp_path: Path) -> None:
    farmer, pool = farm.add_keys()
    nas = make_nas(tmp_path / "nas", drives=3)
    d1, d2, d3 = nas.drives
    elsewhere = tmp_path / "elsewhere"
    a, _b, c = make_plot(d1, farmer, pool), make_plot(d1, farmer, pool), make_plot(d3, farmer, pool)
    make_plot(d2, FARMER_KEY, POOL_KEY)  # another farm's keys: no_key
    shutil.copy2(a, d2 / a.name)  # one name twice where the harvester looks
    (d2 / TRUNCATED).write_bytes(a.read_bytes()[:100_000])  # cannot be opened
    (d2 / TRUNCATED2).write_bytes(a.read_bytes()[:200_000])
    elsewhere.mkdir()
    shutil.copy2(c, elsewhere / c.name)  # farmed, but from no plotyard drive
    farm.configure([d1, d2, elsewhere])  # d3 is no plot directory of the harvester
    with nas.ini.open("a") as ini:
        ini.write(f"[chia]\nroot = {farm.chia.root}\nnot_farmed_grace = 1m\n"
                  f"farmer_rpc = https://127.0.0.1:{farm.farmer_rpc}\n")
    farm.start()
    cfg = load(nas.ini)
    found = wait_for(lambda: _settled(cfg), timeout=FIRST_SCAN, what="the harvester's first scan")
    assert isinstance(found, dict)
    print("farm check figures:", json.dumps({k: v for k, v in found.items() if k != "names"}))
    assert found["harvester"] == f"https://127.0.0.1:{farm.harvester_rpc}"
    assert found["rescan_seconds"] == 2 and found["retry_invalid_seconds"] == 1200
    assert found["plots"] == 7 and found["harvester_plots"] == 3
    assert found["by_state"] == {"farmed": 2, "pending": 0, "failed_to_open": 2, "no_key": 1, "no_directory": 1,
                                 "duplicate": 1, "not_loaded": 0}
    assert found["not_farmed"] == 5 and found["farmed"] == 2
    assert found["foreign_plots"] == [str(elsewhere / c.name)] and found["foreign"] == 1
    assert found["duplicate_names"] == [a.name] and found["unknown_dirs"] == [str(d3)]
    states = {(p["name"], p["drive"]): p["state"] for p in found["not_farmed_plots"]}
    assert states[(TRUNCATED2, str(d2))] == "failed_to_open" and states[(c.name, str(d3))] == "no_directory"

    farmer = found["farmer"]  # the same harvester, as its farmer reports it
    assert (farmer["plots"], farmer["failed_to_open"], farmer["no_key"], farmer["duplicates"]) == (3, 2, 1, 1)
    assert farmer["paths"]["failed_to_open"] == [str(d2 / TRUNCATED), str(d2 / TRUNCATED2)]
    # which copy the harvester calls the duplicate is the one it loaded second: it loads files in a
    # thread pool, so either; the farm check must name the same copy the harvester does
    (dup,) = farmer["paths"]["duplicates"]
    assert dup in (str(d1 / a.name), str(d2 / a.name)) and len(farmer["harvesters"]) == 1
    assert states[(a.name, str(Path(dup).parent))] == "duplicate"
    (paged,) = ask_farmer(farm.chia.root, read_conf(farm.chia.root), "127.0.0.1", farm.farmer_rpc, page_size=1)
    assert sorted(paged.paths["failed_to_open"]) == farmer["paths"]["failed_to_open"]  # two pages of one

    done = run_cli("nas", "--config", str(nas.ini), "farm", "check", "--json")
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["by_state"] == found["by_state"]
    text = run_cli("nas", "--config", str(nas.ini), "farm", "check").stdout
    assert f"drive not in the harvester's plot_directories: {d3}" in text and "2 farmed" in text
    assert "1 harvesters, 3 plots, 2 failed to open, 1 no key, 1 duplicates" in text

    t0 = time.time()
    _, events = run_check(cfg, now=t0)
    assert not [e for e in events if isinstance(e, PlotsNotFarmed)]  # within the grace
    _, events = run_check(cfg, now=t0 + 61)
    late = [e for e in events if isinstance(e, PlotsNotFarmed)]
    assert len(late) == 1 and late[0].count == 5 and "1 no_directory" in late[0].title
    status = json.loads(run_cli("nas", "--config", str(nas.ini), "status", "--json").stdout)
    assert status["farm"]["not_farmed"] == 5 and a.name in status["farm"]["names"]
    with Store(cfg.nas.state_dir) as store:  # what every minute's check writes: the names go out fresh only
        kept = store.load_check_state()
    assert kept is not None and kept.farm is not None and kept.farm["not_farmed"] == 5 and "names" not in kept.farm

    farm.stop("chia_harvester")
    farm.stop("chia_farmer")
    down = farm_status(cfg, time.time())
    assert down["farmer"]["reachable"] is False
    assert down["reachable"] is False and "Connection refused" in down["error"]
    assert [type(e) for e in farm_levels(down, time.time(), 60)] == [HarvesterUnreachable]
    assert run_cli("nas", "--config", str(nas.ini), "farm", "check").returncode == 10
