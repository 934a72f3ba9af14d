"""How big a plot of a given name can plausibly be (pure): checked on an offer, before any
drive is reserved, so that a name cannot claim room (and replacement) it has no use for.

The bounds come from the formats' layouts, calibrated with published and measured sizes:

v1 (chiapos, madMAx, bladebit uncompressed; same sizes for bladebit's uncompressed v2):
    :func:`v1_layout_bytes` is the size if all seven tables held 2^k entries, at the park
    sizes of :mod:`common.plotformat.chiapos` (2048 entries per park), plus the C3 parks
    (one per 10 000 entries). Real plots keep about 87 % of that after back-propagation:
    k32 108.8e9 B (chia.net blog "Chia plotting basics", 2021-02-22: 101.3 GiB / 108.8 GB)
    is 0.871 of the layout; k33 208.8 GiB, k34 429.8 GiB, k35 884.1 GiB (Chia docs k-size
    table) are 0.871 too; chiapos k18 plots made here measure 3.84-4.02 MB (0.834-0.874),
    k19 8.44 MB (0.875), k20 16.85 MB (0.865). Accepted: 0.75-1.00 of the layout (a table
    cannot hold more than its 2^k entries, and small k varies most).
Compressed (a ``c<level>`` name): a fraction of the uncompressed size. Bladebit levels
    (docs.chia.net "Choosing a compression level", k32: C1 87.5 GiB = 86.3 % ... C9 75.2 GiB
    = 74.2 %) and Gigahorse levels (xch.farm "Chia Compressed Plots": C1 83.0 % ... C9
    67.2 %); per level the lower of the two. Levels 10-33 (Gigahorse GPU levels) have no
    figure here: :data:`UNKNOWN_LEVEL_FLOOR` is a floor, not a measurement. The upper
    bound is the uncompressed one (compression never grows a plot).
PoS2 (chia_rs): k + 2 bits per entry, 2^k entries per plot (:func:`pos2_plot_bytes`), and
    docs.chia.net ("PoS2 plotting requirements") gives k28 as "around 1 GB" (the formula:
    1.007e9, 0.94 GiB; the issue's ~0.92 GiB is 0.98 of it), at any strength. Measured here
    (bytes, and the share of the formula):

    =====  =========================  ===============================  ===============================
    k      per-plot formula           ``.plot2`` (chia_rs 0.52, s=2)   ``.gplot`` 1-plot group (0.53)
    =====  =========================  ===============================  ===============================
    18     655 360                    648 520 (0.990); 0.48: 641 630  645 153 s=2 (0.984), 649 652 s=3
    20     2 883 584                  2 802 823 (0.972)                2 884 744 s=2 (1.000), 2 871 150 s=3
    22     12 582 912                 12 341 716 (0.981)               12 507 011 s=2 (0.994)
    =====  =========================  ===============================  ===============================

    Accepted, per plot: 0.85-1.15 of the formula. A ``.plot2`` is one plot. A ``.gplot`` holds
    a group whose size its name does not tell: on an offer (name and size only) it may be 1 to
    :data:`POS2_MAX_GROUP` plots; once its header is read (:func:`check_group_size`, after the
    write on the NAS, before sending on the plotter) it must be plausible for its group size.
"""

from __future__ import annotations

from common.errors import PlotContentError
from common.plotformat.base import PlotHeader
from common.plotformat.chiapos import CHECKPOINT1_INTERVAL, ENTRIES_PER_PARK, c3_park_bytes, park_bytes
from common.plotformat.plotfile import PlotKind, PlotName, parse_name

V1_LOW, V1_HIGH = 0.75, 1.00  # of the full-table layout; real plots sit at 0.83-0.88
POS2_LOW, POS2_HIGH = 0.85, 1.15  # of 2^k * (k + 2) / 8; real plots sit at 0.98-1.00
POS2_MAX_GROUP = 256  # plots in one .gplot group file (docs list up to 245; CHIP-49 recommends 128)
# Size of a compressed plot relative to C0: the lower of bladebit's and Gigahorse's figures.
LEVEL_RATIO = {
    1: 0.830,  # bladebit 86.3 %, Gigahorse 83.0 %
    2: 0.815,  # bladebit 84.8 %, Gigahorse 81.5 %
    3: 0.799,  # bladebit 83.3 %, Gigahorse 79.9 %
    4: 0.783,  # bladebit 81.8 %, Gigahorse 78.3 %
    5: 0.767,  # bladebit 80.2 %, Gigahorse 76.7 %
    6: 0.751,  # bladebit 78.5 %, Gigahorse 75.1 %
    7: 0.736,  # bladebit 76.9 %, Gigahorse 73.6 %
    8: 0.703,  # bladebit: no C8; Gigahorse 70.3 %
    9: 0.672,  # bladebit (CUDA) 74.2 %, Gigahorse 67.2 %
}
UNKNOWN_LEVEL_FLOOR = 0.25


def v1_layout_bytes(k: int) -> int:
    """A v1 plot whose seven tables each hold 2^k entries, with its C tables."""
    entries = 1 << k
    parks = -(-entries // ENTRIES_PER_PARK)
    tables = sum(park_bytes(k, table) for table in range(7)) * parks
    checkpoints = -(-entries // CHECKPOINT1_INTERVAL)
    return tables + checkpoints * (c3_park_bytes(k) + (k + 7) // 8)


def pos2_plot_bytes(k: int) -> int:
    return (1 << k) * (k + 2) // 8


def plausible_range(name: PlotName) -> tuple[int, int]:
    """The [min, max] file size a plot of this name can have."""
    if name.pos2:
        return group_range(name.k, 1, POS2_MAX_GROUP if name.kind == PlotKind.GPLOT else 1)
    layout = v1_layout_bytes(name.k)
    high = int(layout * V1_HIGH)
    if name.level == 0:
        return int(layout * V1_LOW), high
    ratio = LEVEL_RATIO.get(name.level, UNKNOWN_LEVEL_FLOOR)
    return int(layout * V1_LOW * ratio), high


def group_range(k: int, fewest: int, most: int) -> tuple[int, int]:
    """The [min, max] size of a PoS2 file of ``fewest`` to ``most`` k-sized plots."""
    one = pos2_plot_bytes(k)
    return int(one * POS2_LOW * fewest), int(one * POS2_HIGH * most)


def check_group_size(name: PlotName, header: PlotHeader, size: int) -> None:
    """A PoS2 file's size must be plausible for the plots its header says it holds (the name
    alone allows any group size); other formats were checked by :func:`check_plausible_size`."""
    if not name.pos2:
        return
    low, high = group_range(header.k, header.group_size, header.group_size)
    if not low <= size <= high:
        raise PlotContentError(f"{name.name}: {size} bytes ({_mb(size)}) is implausible for a group of "
                               f"{header.group_size} k{header.k} plots ({_mb(low)} to {_mb(high)})")


def check_plausible_size(name: str, size: int) -> None:
    """Raise :class:`PlotContentError` when ``size`` cannot be a plot called ``name``."""
    parsed = parse_name(name)
    low, high = plausible_range(parsed)
    if not low <= size <= high:
        kind = ("PoS2 group" if parsed.group else "PoS2" if parsed.pos2
                else f"c{parsed.level:02d}" if parsed.level else "uncompressed")
        raise PlotContentError(f"{name}: offered size {size} bytes ({_mb(size)}) is implausible for a "
                               f"k{parsed.k} {kind} plot ({_mb(low)} to {_mb(high)})")


def _mb(size: int) -> str:
    return f"{size / 1e6:.2f} MB" if size < 10**9 else f"{size / 1e9:.1f} GB"
