"""``pos2``: plotyard's own PoS2 plotter on chia_rs (:mod:`plotter.plotting.pos2.plotter`).

It runs under the Python running plotyard (``executable`` names another one that has plotyard and
chia_rs), makes one single-plot group per job (chia_rs 0.53 writes no larger groups), in the tmp dir
as ``plot-k<k>-<group id>.gplot.tmp``, and renames it into the dst dir once checked (through
``<dst>/<name>.tmp`` when tmp is another file system). Its group id is the plot id its log names.
"""

from __future__ import annotations

import sys

from plotter.plotting.backends.base import V2_K_VALUES, Backend, JobSpec, optional
from plotter.plotting.pos2.address import puzzle_hash

MODULE = "plotter.plotting.pos2.plotter"


class Pos2Backend(Backend):
    name = "pos2"
    default_executable = sys.executable
    k_values = V2_K_VALUES
    log_format = "pos2"
    v2 = True
    group_sizes = range(1, 2)  # chia_rs 0.53: create_v2_single_plot_group only
    final_suffix = ".gplot"

    def check(self, spec: JobSpec) -> None:
        super().check(spec)
        if spec.pool_contract is not None:
            puzzle_hash(spec.pool_contract)  # a mistyped address fails here, not after the plot
        for label, value in (("tmp2_dir", spec.tmp2_dir), ("buckets", spec.buckets), ("buffer", spec.buffer_mib)):
            if value is not None:
                raise ValueError(f"pos2 takes no {label}: it plots in memory and writes one file in tmp_dir")
        if spec.threads is not None:
            raise ValueError("pos2 takes no threads: chia_rs sizes its own thread pool (bound it with cpu_affinity)")

    def arguments(self, spec: JobSpec) -> list[str]:
        assert spec.tmp_dir is not None
        args = ["-m", MODULE, "-k", str(spec.k), "--strength", str(spec.strength),
                *optional("--meta-group", spec.meta_group), "-f", spec.farmer_key]
        args += ["-c", spec.pool_contract] if spec.pool_contract is not None else ["-p", str(spec.pool_key)]
        return [*args, "-t", str(spec.tmp_dir), "-d", str(spec.dst_dir), *spec.extra_args]


BACKEND = Pos2Backend()
