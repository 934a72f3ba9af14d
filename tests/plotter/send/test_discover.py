from __future__ import annotations

import os
from pathlib import Path

from common.plotformat.plotfile import parse_name
from plotter.send.discover import Seen, check_headers, list_dirs, open_for_writing, split_finished

ID = "cd" * 32


def _seen(name: str, mtime: float, size: int = 100) -> Seen:
    return Seen(Path("/dst") / name, size, mtime, parse_name(name))


def test_split_finished_is_oldest_first_and_respects_age_and_writers() -> None:
    old = _seen(f"plot-k32-{'1' * 64}.plot", 100)
    older = _seen(f"plot-k32-{'2' * 64}.plot", 50)
    young = _seen(f"plot-k32-{'3' * 64}.plot", 990)
    open_one = _seen(f"plot-k32-{'4' * 64}.plot", 10)
    empty = _seen(f"plot-k32-{'5' * 64}.plot", 10, size=0)

    ready, waiting = split_finished([old, young, open_one, older, empty], now=1000, min_age=60,
                                    writing={open_one.path})

    assert ready == [older, old]
    assert set(waiting) == {young, open_one, empty}


def test_min_age_zero_sends_at_once() -> None:
    fresh = _seen(f"plot-k32-{ID}.plot", 1000)
    assert split_finished([fresh], now=1000, min_age=0, writing=set())[0] == [fresh]


def test_list_dirs_ignores_temp_files_and_rejects_broken_plot_names(tmp_path: Path) -> None:
    good = tmp_path / f"plot-k32-2021-06-01-10-20-{ID}.plot"
    for name in (good.name, f"{good.name}.tmp", f"{good.name}.2.tmp", "notes.txt", f"plot-k32-{ID[:10]}.plot"):
        (tmp_path / name).write_bytes(b"x")

    listing = list_dirs([tmp_path, tmp_path / "missing"])

    assert [s.path for s in listing.seen] == [good]
    reasons = {r.path.name: r.reason for r in listing.rejected}
    assert "not a plot file name" in reasons[f"plot-k32-{ID[:10]}.plot"]
    assert "cannot list directory" in reasons["missing"]


def test_open_for_writing_sees_our_own_writer(tmp_path: Path) -> None:
    writing = tmp_path / "a.plot"
    reading = tmp_path / "b.plot"
    reading.write_bytes(b"r")
    with open(writing, "wb"), open(reading, "rb"):
        assert open_for_writing({writing, reading}) == {writing}
    assert open_for_writing({writing}) == set()
    assert os.path.exists(writing)


def test_list_dirs_sees_pos2_plots_but_not_their_partial_files(tmp_path: Path) -> None:
    pos2 = tmp_path / f"plot-k28-{ID}.plot2"
    for name in (pos2.name, f"{pos2.name}.partial", f"plot-k27-{ID}.plot2"):
        (tmp_path / name).write_bytes(b"x")

    listing = list_dirs([tmp_path])

    assert [s.path for s in listing.seen] == [pos2] and listing.seen[0].name.pos2
    assert [r.path.name for r in listing.rejected] == [f"plot-k27-{ID}.plot2"]  # odd k: not a PoS2 size


def test_short_v1_plot_is_bad_but_short_pos2_plot_is_unfinished(
        tmp_path: Path, plot_pool: list[Path], pos2_pool: list[Path]) -> None:
    seen = []
    for source in (plot_pool[0], pos2_pool[0], pos2_pool[1]):
        copy = tmp_path / source.name
        data = source.read_bytes()
        copy.write_bytes(data if source == pos2_pool[1] else data[:len(data) // 2])
        seen.append(Seen(copy, copy.stat().st_size, 0.0, parse_name(copy.name)))

    checked = check_headers(seen)

    assert checked.good == [seen[2]]
    assert checked.unfinished == [seen[1]]  # written under its final name: still being written
    assert [r.path for r in checked.bad] == [seen[0].path] and "needs at least" in checked.bad[0].reason
