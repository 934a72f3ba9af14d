"""xchplot2: the GPU plotter for the new proof format (PoS2, CHIP-48), Jsewill/xchplot2.

Command line (tools/xchplot2/cli.cpp, mode ``plot``): ``xchplot2 plot -k K -n N -f <farmer pk>
(-p <pool pk> | --pool-ph <hash> | -c <xch1 address>) [-s strength] [-o DIR] [-i index] [-g meta]
[-S seed] [-T] [-v] [--progress] [--devices SPEC] [--tier T] ...``; an unknown word is refused
("Error: unknown argument: ..."). Defaults there: k 28, strength 2, plot index 0, meta group 0,
output dir ".". ``-v`` makes it name each plot it wrote and ``--progress`` prints
``[batch] progress: plot i/n done (...)`` after each (src/host/BatchPlotter.cpp): the backend
passes both, the log parser reads them.

It plots in GPU memory: no temp directory. It writes ``<out>/<final name>.partial`` and renames it
to the final name when complete (src/host/PlotFileWriterParallel.cpp ``write_plot_file_parallel``;
the source closes the stream before the rename, it does not fsync). Today's builds name plots
``plot-k<k>-<plot id>.plot2`` (cli.cpp ``plot_id_to_filename``, header ``pos2`` v1); builds that
make plot groups write ``plot-k<k>-<group id>.gplot``: both are looked for.

The plot id reaches the log only once the plot is written, so a killed job's ``.partial`` cannot be
told apart by its id: :meth:`Xchplot2Backend.orphan_globs` names every xchplot2 partial of that k in
the dst dir, and the scheduler removes those no process has open for writing.
"""

from __future__ import annotations

from pathlib import Path

from plotter.plotting.backends.base import V2_K_VALUES, Backend, JobSpec, _check_plot_id, optional, pool_args

PARTIAL = ".partial"
FINAL_SUFFIXES = (".plot2", ".gplot")


class Xchplot2Backend(Backend):
    name = "xchplot2"
    default_executable = "xchplot2"
    k_values = V2_K_VALUES  # print_usage: "<k> : even integer in [18, 32]" (GpuPipeline.cpp checks it)
    needs_tmp = False
    log_format = "xchplot2"
    v2 = True
    group_sizes = range(1, 2)  # `plot -n N` makes N files of one plot each (plot index counting up)

    def arguments(self, spec: JobSpec) -> list[str]:
        # -n 1: one plot per job, like every backend here (the scheduler counts jobs, not plots);
        # a pool contract goes as -c (xchplot2 decodes the bech32m address itself).
        return ["plot", "-k", str(spec.k), "-n", "1", "-f", spec.farmer_key, *pool_args(spec),
                "-s", str(spec.strength), "-o", str(spec.dst_dir), *optional("-g", spec.meta_group),
                "-v", "--progress", *spec.extra_args]

    def check(self, spec: JobSpec) -> None:
        super().check(spec)
        if spec.tmp_dir is not None or spec.tmp2_dir is not None:
            raise ValueError("xchplot2 plots in GPU memory and takes no temporary directory: remove tmp_dirs "
                             "and tmp2_dir")
        for label, value in (("threads", spec.threads), ("buckets", spec.buckets), ("buffer", spec.buffer_mib)):
            if value is not None:
                raise ValueError(f"xchplot2 has no {label} option: remove it (GPU memory is sized by --tier)")

    def temp_globs(self, spec: JobSpec, plot_id: str) -> list[tuple[Path, str]]:
        _check_plot_id(plot_id)
        return [(spec.dst_dir, f"plot-k*-{plot_id}.*{PARTIAL}")]

    def final_glob(self, plot_id: str) -> str:
        """``.plot2`` or ``.gplot``: the only names of this id ending in ``2`` or ``t`` (not ``.partial``)."""
        _check_plot_id(plot_id)
        return f"plot-k*-{plot_id}.*[2t]"

    def orphan_globs(self, spec: JobSpec) -> list[tuple[Path, str]]:
        return [(spec.dst_dir, f"plot-k{spec.k}-*{suffix}{PARTIAL}") for suffix in FINAL_SUFFIXES]


BACKEND = Xchplot2Backend()
