"""How much room a plot job needs: final plot size and temp space, by backend, k and compression. Pure.

Published k32 figures (GiB = 2**30 bytes), and where they come from:

- final plot, uncompressed: 101.4 GiB (docs.chia.net "Plotting Basics" k-size table and the
  "Choosing a compression level" table, C0); the same for chiapos, madMAx and bladebit.
- final plot, bladebit levels C1-C7, C9: 87.5, 86.0, 84.5, 82.9, 81.3, 79.6, 78.0, 75.2 GiB
  (docs.chia.net/plotting-compression, "Compression table", BladeBit CUDA k32). C8 is not made
  by any bladebit (the backends refuse it).
- chia (chiapos) temp space: 239 GiB for k32 (docs.chia.net k-size table "temporary space";
  chiapos makes the final file in tmp2, so a separate tmp2 needs the final size besides).
- madMAx: tmp needs ~220 GiB, tmp2 ~110 GiB, combined peak under 256 GiB (chia_plot --help and
  its README); without -2 the tmp dir holds both: 256 GiB.
- bladebit diskplot: ~480 GiB of temporary space (bladebit README, "Disk-based"); taken for
  bladebit_cuda's hybrid --disk-128/--disk-16 modes too, whose need is not published (their
  temp is smaller, so this errs on the safe side). bladebit RAM and CUDA in RAM need no temp dir.

PoS2 group files (``pos2``, ``xchplot2``): one plot is at most
:func:`common.plotformat.sizes.pos2_plot_bytes` (k + 2 bits per entry, k28 0.94 GiB; CHIP-49 gives
~0.92 GiB) times the plausible-size ceiling POS2_HIGH (1.15): k28 1.08 GiB, times the group size.
The pos2 plotter writes the whole group in its tmp dir before the move: tmp needs the final size.
xchplot2 (GPU) has no temp directory; its file is first written as ``.partial`` in the dst dir.
xchplot2's own preflight uses a looser 2k bits per entry (src/host/BatchPlotter.cpp
``approx_plot_bytes_upper_bound``, k28 1.75 GiB).

Other k: the plot's size grows as ``(2k + 1) * 2**(k-1)`` (chia's ``_expected_plot_size``), so a
figure for k32 scales by ``(2k + 1) / 65 * 2**(k - 32)``; chiapos k18 measured 3.81 MB final and
8.8 MB temp peak here, the scaled figures say 3.78 MB and 8.9 MB. Figures measured on this
machine (final size of every plot made, temp peak sampled while jobs run) replace the published
ones where they are larger, so an underestimate is corrected after the first plot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from common.plotformat.sizes import POS2_HIGH, pos2_plot_bytes

GIB = 2**30
K32_FINAL = 101.4 * GIB
LEVEL_FINAL = {0: 101.4, 1: 87.5, 2: 86.0, 3: 84.5, 4: 82.9, 5: 81.3, 6: 79.6, 7: 78.0, 9: 75.2}
# (temp in tmp_dir with a separate tmp2, temp in tmp2, temp in tmp_dir without tmp2), k32, GiB.
TEMP_K32 = {
    "chia": (239.0, 101.4, 239.0),
    "madmax": (220.0, 110.0, 256.0),
    "bladebit-disk": (480.0, 0.0, 480.0),
    "bladebit-cuda": (480.0, 0.0, 480.0),
    "bladebit": (0.0, 0.0, 0.0),
}
V2_TEMP = {"pos2": 1.0, "xchplot2": 0.0}  # PoS2 backends: tmp_dir need, in final sizes


@dataclass(frozen=True)
class Need:
    """Bytes a job needs at its peak in its tmp dir, its tmp2 dir (when separate) and its dst dir."""

    tmp: int
    tmp2: int
    dst: int


@dataclass(frozen=True)
class Measured:
    """Largest figures seen on this machine for one (backend, k, compression)."""

    final: int = 0
    tmp_peak: int = 0


SizeKey = tuple[str, int, int]  # backend, k, compression


def k_scale(k: int) -> float:
    return (2 * k + 1) / 65 * 2.0 ** (k - 32)


def v2_final_size(k: int, group_size: int = 1) -> int:
    return int(pos2_plot_bytes(k) * POS2_HIGH * group_size)


def final_size(backend: str, k: int, compression: int, group_size: int = 1) -> int:
    """Published size of a finished plot or group file (bytes)."""
    if backend in V2_TEMP:
        return v2_final_size(k, group_size)
    level = LEVEL_FINAL.get(compression, LEVEL_FINAL[0]) if backend.startswith("bladebit") else LEVEL_FINAL[0]
    return int(level * GIB * k_scale(k))


def need(backend: str, k: int, compression: int, has_tmp2: bool, uses_tmp: bool = True,
         measured: Mapping[SizeKey, Measured] | None = None, group_size: int = 1) -> Need:
    """What one job needs; ``uses_tmp`` is False for bladebit-cuda without a disk mode."""
    seen = (measured or {}).get((backend, k, compression), Measured())
    final = max(final_size(backend, k, compression, group_size), seen.final)
    if not uses_tmp:
        return Need(0, 0, final)
    if backend in V2_TEMP:
        return Need(max(int(V2_TEMP[backend] * final), seen.tmp_peak), 0, final)
    with_tmp2, in_tmp2, alone = TEMP_K32[backend]
    scale = k_scale(k) * GIB
    if has_tmp2:
        tmp, tmp2 = int(with_tmp2 * scale), int(in_tmp2 * scale)
        if backend == "chia":
            tmp2 = max(tmp2, final)
        return Need(max(tmp, seen.tmp_peak), tmp2, final)
    return Need(max(int(alone * scale), seen.tmp_peak), 0, final)
