"""Replot figures from real plots on drives (``nas.replot.gather``), against numbers by hand."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from nas.config import load
from nas.drives.inventory import inventory
from nas.replot.gather import replot_status
from nas.replot.render import render
from nas.state import Store
from tests.nas.replot.farm import DAY, FORK, CopyPlots, Farm, make_farm, size

pytestmark = pytest.mark.slow  # real plots: the pools take seconds to make


def figures(farm: Farm) -> dict[str, Any]:
    cfg = load(farm.nas.ini)
    with Store(cfg.nas.state_dir) as store:
        return replot_status(cfg, store, inventory(cfg, store), farm.now)


def test_counts_rate_and_deadline_from_real_plots(tmp_path: Path, copy_plots: CopyPlots,
                                                  copy_pos2_plots: CopyPlots) -> None:
    farm = make_farm(tmp_path, copy_plots, copy_pos2_plots)
    r = figures(farm)
    v1 = [size(p) for plots in farm.v1.values() for p in plots]
    a, b, g1 = (size(p) for p, _ in farm.v2["drive2"])
    g3 = size(farm.v2["drive1"][0][0])
    per_day = (a + b + g1) / 7  # mtimes 2 h, 3 days and 6.5 days ago; the group of 3 is 10 days old
    assert (r["v1_plots"], r["v1_bytes"]) == (3, sum(v1))
    assert (r["v2_plots"], r["v2_bytes"]) == (1 + 1 + 1 + 3, a + b + g1 + g3)
    assert (r["v2_bytes_24h"], r["v2_bytes_7d"]) == (a, a + b + g1)
    assert r["v2_bytes_per_day"] == round(per_day, 1)
    assert r["days_to_all_v2"] == round(sum(v1) / per_day, 2)
    # 20.5 days after fork_date: height fork + 94,464; chia's counter (fork + 255 x 4608 - h) // 4608 = 234.
    assert (r["height"], r["height_source"], r["fork_height"]) == (FORK + 94_464, "fork_date", FORK)
    assert r["v1_weight"] == 234 / 256
    assert r["effective_bytes"] == round(sum(v1) * 234 / 256) + a + b + g1 + g3
    # v1 weight 0 from fork + 254 x 4608 + 1: 254 days (and 18.75 s) after the fork date.
    end = farm.fork_date + 254 * DAY + 18.75
    assert r["phase_out_end"] == time.strftime("%Y-%m-%d", time.gmtime(end))
    left = (end - farm.now) / DAY
    assert r["days_to_phase_out_end"] == round(left, 2)
    assert r["effective_bytes_at_end"] == a + b + g1 + g3 + min(sum(v1), round(per_day * left))
    assert r["on_track"] is (sum(v1) / per_day <= left)


def test_per_drive_figures(tmp_path: Path, copy_plots: CopyPlots, copy_pos2_plots: CopyPlots) -> None:
    farm = make_farm(tmp_path, copy_plots, copy_pos2_plots)
    one, two = figures(farm)["drives"]
    assert (one["name"], one["v1_plots"], one["v1_bytes"]) == ("drive1", 2, sum(size(p) for p in farm.v1["drive1"]))
    assert (one["v2_plots"], one["v2_bytes_24h"], one["v2_bytes_7d"]) == (3, 0, 0)
    assert one["days_to_all_v2"] is None and one["on_track"] is False and one["behind_days"] is None
    a, b, g1 = (size(p) for p, _ in farm.v2["drive2"])
    assert (two["v1_plots"], two["v2_plots"], two["v2_bytes"]) == (1, 3, a + b + g1)
    assert two["days_to_all_v2"] == round(size(farm.v1["drive2"][0]) / ((a + b + g1) / 7), 2)
    assert one["phase_out_end"] == two["phase_out_end"] and one["v1_weight"] == 234 / 256


def test_without_replot_section_no_deadline(tmp_path: Path, copy_plots: CopyPlots,
                                            copy_pos2_plots: CopyPlots) -> None:
    r = figures(make_farm(tmp_path, copy_plots, copy_pos2_plots, replot=""))
    assert r["v1_plots"] == 3 and r["v2_plots"] == 6
    assert r["v1_weight"] is None and r["effective_bytes"] is None and r["phase_out_end"] is None
    assert r["on_track"] is None and r["fork_height"] is None
    assert "phase-out: no [replot] section in nas.ini" in render(r)


def test_group_sizes_are_read_once_by_name_and_inode(tmp_path: Path, copy_plots: CopyPlots,
                                                     copy_pos2_plots: CopyPlots) -> None:
    farm = make_farm(tmp_path, copy_plots, copy_pos2_plots)
    assert figures(farm)["v2_plots"] == 6
    group, _ = farm.v2["drive1"][0]
    st = group.stat()
    with open(group, "r+b") as handle:  # the same file (inode): what was read stands
        handle.seek(39)
        handle.write(b"\x05\x00")
    assert figures(farm)["v2_plots"] == 6
    fresh = group.with_name(".fresh")
    shutil.copy2(group, fresh)
    os.utime(fresh, ns=(st.st_atime_ns, st.st_mtime_ns))
    fresh.rename(group)  # a new file under the name: read again
    assert figures(farm)["v2_plots"] == 8


def test_order_replacement_empties_the_roomiest_drive_first(tmp_path: Path, copy_plots: CopyPlots,
                                                             copy_pos2_plots: CopyPlots) -> None:
    """[replace] deletes v1 plots on drive1 and drive2; drive2 has 1 MB more room (quota), so it
    needs fewer deletions and goes first; the free room fills before anything is deleted."""
    farm = make_farm(tmp_path, copy_plots, copy_pos2_plots, extra="[replace]\nenabled = true\nmatch = v1\n")
    d1, d2 = farm.nas.drives
    _set_quotas(farm, {d1: 0, d2: 1_000_000})
    r = figures(farm)
    room = {d["mountpoint"]: d for d in r["drives"]}
    assert [s["name"] for s in r["order"]] == ["drive2", "drive1"]
    v1_one, v1_two = (sum(size(p) for p in farm.v1[n]) for n in ("drive1", "drive2"))
    per_day = r["v2_bytes_per_day"]
    free = _free_room(farm)
    assert free == 1_000_000
    first, second = r["order"]
    assert (first["replaceable"], second["replaceable"]) == (v1_two, v1_one)
    assert first["done_at"] == _day(farm.now + (free + v1_two) / per_day * DAY)
    assert second["done_at"] == _day(farm.now + (free + v1_two + v1_one) / per_day * DAY)
    assert r["by_hand"] == [] and r["replacement"] is True and len(room) == 2


def test_offline_drive_is_replotted_by_hand(tmp_path: Path, copy_plots: CopyPlots,
                                            copy_pos2_plots: CopyPlots) -> None:
    farm = make_farm(tmp_path, copy_plots, copy_pos2_plots, extra="[replace]\nenabled = true\nmatch = v1\n")
    (farm.nas.drives[1] / ".plotyard-offline").touch()
    r = figures(farm)
    assert [s["name"] for s in r["order"]] == ["drive1"]
    assert r["by_hand"] == [{"name": "drive2", "mountpoint": str(farm.nas.drives[1]),
                             "v1_bytes": size(farm.v1["drive2"][0])}]


def test_sparse_v1_plots_count_whole(tmp_path: Path, copy_plots: CopyPlots, copy_pos2_plots: CopyPlots) -> None:
    """A sparse plot (chiapos leaves holes) frees fewer bytes than its size; it is still all replaced."""
    farm = make_farm(tmp_path, copy_plots, copy_pos2_plots, extra="[replace]\nenabled = true\nmatch = v1\n")
    (plot,) = farm.v1["drive2"]
    sparse = tmp_path / plot.name
    subprocess.run(["cp", "--sparse=always", str(plot), str(sparse)], check=True, timeout=30)
    os.replace(sparse, plot)
    if plot.stat().st_blocks * 512 >= plot.stat().st_size:
        pytest.skip("this filesystem keeps no holes")
    r = figures(farm)
    two = next(s for s in r["order"] if s["name"] == "drive2")
    assert two["replaceable"] == two["v1_bytes"] == size(plot) and r["by_hand"] == []


def _set_quotas(farm: Farm, room: dict[Path, int]) -> None:
    """Quota each drive at its plots' bytes (as the NAS counts them) plus ``room``."""
    from nas.drives.listing import plots_on

    sections = "".join(f"[drive {d}]\nquota = {sum(e.stat().st_size for e in plots_on(d)) + extra}\n"
                       for d, extra in room.items())
    farm.nas.ini.write_text(farm.nas.ini.read_text() + sections)


def _free_room(farm: Farm) -> int:
    cfg = load(farm.nas.ini)
    return sum(max(0, i.drive.free_bytes - cfg.nas.reserve) for i in inventory(cfg))


def _day(epoch: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(epoch))
