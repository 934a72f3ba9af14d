"""The replot figures (pure): counting, rate, days, weight, effective size, the race with the deadline."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from common.status.summary import combine_replot, replot_line, replot_view
from nas.drives.headers import scan_plots
from nas.replot.deadline import Chain, HeightSource
from nas.replot.progress import Counts, Deadline, Format, PlotFile, count, figures
from nas.replot.scan import OLD_CACHE, file_format, forget_old_cache, plot_files
from nas.state import Store

DAY = 86400.0
NOW = 1_800_000_000.0
TB = 10**12
FORK = 9_562_000


def at(epochs_after_fork: float) -> Deadline:
    return Deadline(FORK, Chain(FORK + int(epochs_after_fork * 4608), NOW, HeightSource.NODE))


def test_count_by_format_mtime_and_group() -> None:
    files = [PlotFile(Format.V1, 1, 100, NOW - 1), PlotFile(Format.V1, 1, 50, NOW - 30 * DAY),
             PlotFile(Format.V2, 64, 10, NOW - 3600), PlotFile(Format.V2, 1, 7, NOW - 2 * DAY),
             PlotFile(Format.V2, 1, 5, NOW - 8 * DAY)]
    assert count(files, NOW) == Counts(v1_plots=2, v1_bytes=150, v2_plots=66, v2_bytes=22, v2_bytes_24h=10,
                                       v2_bytes_7d=17)


def test_figures_by_hand() -> None:
    # 100 TB of v1, 40 TB of v2, 7 TB in the last 7 days (1 TB a day), 20.5 epochs after the fork.
    c = Counts(v1_plots=1000, v1_bytes=100 * TB, v2_plots=40_000, v2_bytes=40 * TB, v2_bytes_24h=TB,
               v2_bytes_7d=7 * TB)
    f = figures(c, at(20.5), NOW)
    assert f["v2_bytes_per_day"] == TB and f["days_to_all_v2"] == 100.0
    assert f["v1_weight"] == 234 / 256  # (255 x 4608 - 20.5 x 4608) // 4608 = 234
    assert f["effective_bytes"] == 100 * TB * 234 // 256 + 40 * TB
    # weight 0 from fork + 254 x 4608 + 1: 233.5 days and one block (18.75 s) from now
    assert f["days_to_phase_out_end"] == round(233.5 + 18.75 / DAY, 2)
    assert f["phase_out_end"] == "2027-09-05"  # 1_800_000_000 is 2027-01-15 08:00 UTC; + 233.5 days: 20:00
    assert f["effective_bytes_at_end"] == 140 * TB  # all v1 replaced by then
    assert (f["on_track"], f["behind_days"]) == (True, 0)


def test_behind_by_days() -> None:
    c = Counts(v1_bytes=300 * TB, v2_bytes=10 * TB, v2_bytes_7d=7 * TB)  # 300 days needed
    f = figures(c, at(20.5), NOW)
    assert (f["on_track"], f["behind_days"]) == (False, 67)  # ceil(300 - 233.5...)
    assert f["effective_bytes_at_end"] == 10 * TB + round(TB * (233.5 + 18.75 / DAY))
    view = replot_view(f)
    assert view is not None and view.verdict == "behind by 67 days"


def test_no_progress_and_all_v2() -> None:
    stuck = figures(Counts(v1_plots=1, v1_bytes=TB), at(3), NOW)
    assert stuck["days_to_all_v2"] is None and stuck["on_track"] is False and stuck["behind_days"] is None
    view = replot_view(stuck)
    assert view is not None and view.verdict == "behind: no v2 plots added in the last 7 days"
    done = figures(Counts(v2_plots=5, v2_bytes=TB), at(3), NOW)
    assert done["days_to_all_v2"] == 0.0 and done["on_track"] is True and done["effective_bytes"] == TB


def test_before_the_fork_and_after_the_end() -> None:
    early = figures(Counts(v1_bytes=TB), at(-10), NOW)
    assert early["v1_weight"] == 1.0 and early["effective_bytes"] == TB
    late = figures(Counts(v1_bytes=TB, v2_bytes=TB), at(300), NOW)
    assert late["v1_weight"] == 0.0 and late["effective_bytes"] == TB and late["days_to_phase_out_end"] == 0.0


def test_no_deadline_and_unknown_height() -> None:
    for deadline in (None, Deadline(FORK, None)):
        f = figures(Counts(v1_bytes=TB), deadline, NOW)
        assert f["v1_weight"] is f["effective_bytes"] is f["phase_out_end"] is f["on_track"] is None


def test_farm_sums_and_line() -> None:
    a = replot_view(figures(Counts(v1_bytes=100 * TB, v2_bytes=TB, v2_bytes_7d=7 * TB), at(20.5), NOW))
    b = replot_view(figures(Counts(v1_bytes=50 * TB, v2_plots=3, v2_bytes=2 * TB, v2_bytes_7d=14 * TB), at(20.5),
                            NOW))
    assert a is not None and b is not None
    farm = combine_replot([a, b])
    assert farm is not None
    assert (farm.v1_bytes, farm.v2_bytes, farm.v2_bytes_per_day, farm.days_to_all_v2) == (150 * TB, 3 * TB, 3 * TB,
                                                                                          50.0)
    assert farm.effective_bytes == a.effective_bytes + b.effective_bytes  # type: ignore[operator]
    assert farm.verdict == "on track" and farm.phase_out_end == a.phase_out_end
    line = replot_line(farm)
    assert "3 v2 plots (3.0 TB, 2% of the bytes)" in line and "all-v2 in 50.0 days" in line and "on track" in line


@pytest.mark.parametrize(("name", "kind"), [
    ("plot-k32-2022-01-01-00-00-" + "a" * 64 + ".plot", Format.V1), ("plot-k32-c05-" + "a" * 64 + ".plot", Format.V1),
    ("plot-k28-" + "a" * 64 + ".plot2", Format.V2), ("plot-k28-" + "a" * 64 + ".gplot", Format.V2),
    ("plot-k28-" + "A" * 64 + ".gplot", None), ("notes.txt", None), (".plot-k28-" + "a" * 64 + ".plot2.part", None),
])
def test_file_format(name: str, kind: Format | None) -> None:
    assert file_format(name) == kind


def test_group_size_from_the_header_once(tmp_path: Path) -> None:
    header = b"PoS2" + bytes([2]) + bytes(32) + bytes([28, 2]) + struct.pack("<H", 245) + bytes(12)
    drive = tmp_path / "drive"
    drive.mkdir()
    group = drive / ("plot-k28-" + "a" * 64 + ".gplot")
    group.write_bytes(header)
    (drive / ("plot-k28-" + "b" * 64 + ".plot2")).write_bytes(b"pos2" + bytes([1]) + bytes(60))  # one plot a file
    (drive / ("plot-k28-" + "c" * 64 + ".gplot")).write_bytes(header[:40])  # too short to say: counted as one
    (tmp_path / OLD_CACHE).write_text("{}")
    with Store(tmp_path) as store:
        assert sorted(f.plots for f in plot_files(scan_plots(drive, store))) == [1, 1, 245]
        group.write_bytes(header.replace(struct.pack("<H", 245), struct.pack("<H", 3)))  # same inode
        assert sorted(f.plots for f in plot_files(scan_plots(drive, store))) == [1, 1, 245]  # not read again
    forget_old_cache(tmp_path)
    assert not (tmp_path / OLD_CACHE).exists()
