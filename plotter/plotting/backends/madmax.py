"""madMAx ``chia_plot`` (``chia_plot_k34`` for k33/k34).

Flags: madMAx43v3r/chia-plotter src/chia_plot.cpp (cxxopts ``options``); every directory must end
in a slash there ("needs trailing '/'"). Names: the plot is ``plot-k<k>-<date>-<id>``; phase 1-3
write ``<name>.p1.table<i>.tmp``, ``<name>.p<..>.t<i>.sort_bucket_<n>.tmp`` (include/chia/phase*.hpp,
DiskSort.hpp) in tmp/tmp2, phase 3 writes ``<stage>/<name>.plot.tmp`` which phase 4 renames to
``.plot``; the copy to dst goes through ``<dst>/<name>.plot.tmp`` (include/chia/copy.h).
"""

from __future__ import annotations

from pathlib import Path

from plotter.plotting.backends.base import Backend, JobSpec, optional, pool_args

KMAX_PLAIN = 32  # chia_plot is built with KMAX 32, chia_plot_k34 with 34 (include/chia/entries.h)


def _dir(path: Path) -> str:
    return str(path).rstrip("/") + "/"


class MadmaxBackend(Backend):
    name = "madmax"
    default_executable = "chia_plot"
    # src/chia_plot.cpp refuses ``k > KMAX || k < 16`` ("Invalid k option"), KMAX 32 or 34 by build
    # (include/chia/entries.h); plot names here start at k18, so k16/k17 are not offered.
    k_values = range(18, 35)
    log_format = "madmax"

    def executable(self, spec: JobSpec) -> str:
        if spec.executable:
            return spec.executable
        return "chia_plot_k34" if spec.k > KMAX_PLAIN else self.default_executable

    def arguments(self, spec: JobSpec) -> list[str]:
        assert spec.tmp_dir is not None
        args = ["-k", str(spec.k), "-n", "1"]
        args += optional("-r", spec.threads) + optional("-u", spec.buckets)
        args += ["-t", _dir(spec.tmp_dir)]
        if spec.tmp2_dir is not None:
            args += ["-2", _dir(spec.tmp2_dir)]
        args += ["-d", _dir(spec.dst_dir), "-f", spec.farmer_key, *pool_args(spec)]
        return [*args, *spec.extra_args]


BACKEND = MadmaxBackend()
