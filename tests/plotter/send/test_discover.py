from __future__ import annotations

import os
from pathlib import Path

from common.plotformat.plotfile import PlotKind, parse_name
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


def test_list_dirs_sees_pos2_plots_and_groups_but_not_their_partial_files(tmp_path: Path) -> None:
    pos2 = tmp_path / f"plot-k28-{ID}.plot2"
    group = tmp_path / f"plot-k28-{'cd' * 32}.gplot"
    for name in (pos2.name, group.name, f"{pos2.name}.partial", f"{group.name}.partial", f"plot-k27-{ID}.plot2",
                 f"plot-k28-{ID[:-1]}.gplot"):
        (tmp_path / name).write_bytes(b"x")

    listing = list_dirs([tmp_path])

    assert sorted(s.path for s in listing.seen) == sorted([pos2, group])
    assert {s.name.kind for s in listing.seen} == {PlotKind.PLOT2, PlotKind.GPLOT}
    # odd k: not a PoS2 size; a 63-digit id: not a name
    rejected = sorted(r.path.name for r in listing.rejected)
    assert rejected == sorted([f"plot-k27-{ID}.plot2", f"plot-k28-{ID[:-1]}.gplot"])


def _seen_file(path: Path) -> Seen:
    return Seen(path, path.stat().st_size, 0.0, parse_name(path.name))


def test_short_v1_plot_is_bad_and_so_is_a_cut_short_pos2_plot_but_one_being_written_waits(
        tmp_path: Path, plot_pool: list[Path], pos2_pool: list[Path], plot2_v1_pool: list[Path]) -> None:
    """v1 and cut short PoS2 files (offsets set, data short) are refused; a PoS2 file whose offsets are
    still zero (its writer sets them last) is unfinished; whole real files are good."""
    seen = []
    for source in (plot_pool[0], pos2_pool[0], plot2_v1_pool[0]):
        copy = tmp_path / "short" / source.name
        copy.parent.mkdir(exist_ok=True)
        data = source.read_bytes()
        copy.write_bytes(data[:len(data) // 2])
        seen.append(_seen_file(copy))
    writing = tmp_path / "writing" / pos2_pool[1].name
    writing.parent.mkdir()
    first = bytearray(pos2_pool[1].read_bytes())
    first[42:50] = bytes(8)  # the chunk index offset as chia_rs writes it first
    writing.write_bytes(bytes(first))
    whole = [_seen_file(p) for p in (pos2_pool[2], plot2_v1_pool[1])]

    checked = check_headers([*seen, _seen_file(writing), *whole])

    assert checked.good == whole
    assert checked.unfinished == [_seen_file(writing)]
    assert [r.path for r in checked.bad] == [s.path for s in seen]
    assert all("needs at least" in r.reason for r in checked.bad)


def test_a_pos2_file_of_an_implausible_size_is_refused_before_sending(tmp_path: Path, pos2_pool: list[Path]) -> None:
    """The NAS would refuse the offer: the plotter does not send it (a whole real group, padded)."""
    padded = tmp_path / pos2_pool[0].name
    padded.write_bytes(pos2_pool[0].read_bytes() + bytes(pos2_pool[0].stat().st_size))

    checked = check_headers([_seen_file(padded)])

    assert [r.path for r in checked.bad] == [padded]
    assert "implausible for a group of 1 k18 plots" in checked.bad[0].reason
