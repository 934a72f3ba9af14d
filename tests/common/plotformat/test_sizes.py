"""Plausible plot sizes per name: every real plot passes, a name claiming far more room does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import PlotContentError
from common.plotformat.plotfile import parse_name
from common.plotformat.sizes import check_plausible_size, plausible_range, pos2_plot_bytes, v1_layout_bytes

GIB = 2**30
ID = "ab" * 32


def name(k: int, level: int = 0, pos2: bool = False, group: bool = False) -> str:
    if pos2 or group:
        return f"plot-k{k}-{ID}.{'gplot' if group else 'plot2'}"
    return f"plot-k{k}-" + (f"c{level:02d}-" if level else "") + f"2024-01-01-00-00-{ID}.plot"


def test_real_k18_plots_are_plausible(plot_pool: list[Path], pos2_pool: list[Path]) -> None:
    for plot in [*plot_pool, *pos2_pool]:
        check_plausible_size(plot.name, plot.stat().st_size)


def test_a_k18_name_at_9_9_mb_is_refused_with_a_clear_reason(plot_pool: list[Path]) -> None:
    with pytest.raises(PlotContentError, match=r"offered size 9900000 bytes \(9.90 MB\) is implausible for a "
                                                r"k18 uncompressed plot \(3.45 MB to 4.60 MB\)"):
        check_plausible_size(plot_pool[0].name, 9_900_000)
    with pytest.raises(PlotContentError, match="implausible"):
        check_plausible_size(plot_pool[0].name, 1_000_000)  # a quarter of a k18 plot


@pytest.mark.parametrize("k, size", [
    (32, 108.8e9), (32, 101.4 * GIB),  # chia.net "plotting basics"; docs.chia.net compression table C0
    (33, 208.8 * GIB), (34, 429.8 * GIB), (35, 884.1 * GIB),  # Chia docs k-size table
])
def test_published_uncompressed_sizes_are_plausible(k: int, size: float) -> None:
    check_plausible_size(name(k), int(size))


# docs.chia.net "Choosing a compression level" (bladebit, k32) and xch.farm (Gigahorse, k32), GiB.
BLADEBIT = {1: 87.5, 2: 86.0, 3: 84.5, 4: 82.9, 5: 81.3, 6: 79.6, 7: 78.0, 9: 75.2}
GIGAHORSE = {1: 84.2, 2: 82.6, 3: 81.0, 4: 79.4, 5: 77.8, 6: 76.2, 7: 74.6, 8: 71.3, 9: 68.1}


@pytest.mark.parametrize("level, gib", [*BLADEBIT.items(), *GIGAHORSE.items()])
def test_published_compressed_sizes_are_plausible(level: int, gib: float) -> None:
    check_plausible_size(name(32, level), int(gib * GIB))


def test_pos2_k28_is_about_1_gb_and_only_gplot_files_hold_groups() -> None:
    gib = 2**30
    for group in (False, True):
        check_plausible_size(name(28, pos2=True, group=group), 10**9)  # docs.chia.net: "k28 (around 1 GB per plot)"
        check_plausible_size(name(28, pos2=True, group=group), int(0.92 * gib))  # the figure, any strength
        with pytest.raises(PlotContentError, match="k28 PoS2"):
            check_plausible_size(name(28, pos2=True, group=group), 10**8)
    check_plausible_size(name(28, group=True), 245 * 10**9)  # a group of 245 plots in one file
    check_plausible_size(name(28, group=True), int(128 * 0.92 * gib))  # CHIP-49's 128-plot group
    with pytest.raises(PlotContentError, match="k28 PoS2 plot"):
        check_plausible_size(name(28, pos2=True), 2 * 10**9)  # a .plot2 is one plot
    with pytest.raises(PlotContentError, match="k28 PoS2 group"):
        check_plausible_size(name(28, group=True), 300 * 10**9)  # more than 256 plots


@pytest.mark.parametrize("k, plot2, gplot", [(18, 648_520, 645_153), (18, 641_630, 649_652),
                                             (20, 2_802_823, 2_884_744), (20, 2_802_823, 2_871_150),
                                             (22, 12_341_716, 12_507_011)])
def test_measured_pos2_sizes_are_plausible(k: int, plot2: int, gplot: int) -> None:
    """The table in common.plotformat.sizes: chia_rs 0.52/0.48 .plot2, chia_rs 0.53 .gplot (strength 2, 3)."""
    check_plausible_size(name(k, pos2=True), plot2)
    check_plausible_size(name(k, group=True), gplot)
    low, high = plausible_range(parse_name(name(k, group=True)))
    assert low <= gplot and 2 * gplot < high  # and a group of two fits too


def test_ranges_never_overlap_between_neighbouring_k() -> None:
    """A plot's bytes under a name with another k are refused at the offer, whatever the level."""
    for k in range(18, 50):
        low_next, _ = plausible_range(parse_name(name(k + 1)))
        assert plausible_range(parse_name(name(k)))[1] < low_next


def test_layout_figures_track_the_formats() -> None:
    assert v1_layout_bytes(32) == 124_885_862_108  # 108.8e9 is 0.871 of it
    assert pos2_plot_bytes(18) == 655_360 and pos2_plot_bytes(28) == 1_006_632_960
