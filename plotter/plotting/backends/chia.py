"""``chia plots create``: chiapos, the reference plotter, run through chia's own command line.

Flags: chia-blockchain chia/cmds/plots.py (``create_cmd``). File names: chia/plotting/create_plots.py
names the plot ``plot-k<k>-<YYYY-MM-DD-HH-MM>-<id>.plot``; chiapos src/plotter_disk.hpp and
src/phase*.hpp / sort_manager.hpp put ``<plot name>.table<i>.tmp``, ``.sort.tmp`` and
``.p<phase>.t<table>.sort_bucket_<nnn>.tmp`` in tmp_dir, ``<plot name>.2.tmp`` in tmp2_dir (and,
when tmp2 and dst are on different file systems, again in dst_dir) before the final rename.
"""

from __future__ import annotations

from plotter.plotting.backends.base import Backend, JobSpec, optional, pool_args

# chia's own default ``min_mainnet_k_size`` is 32; ``--override-k`` lets it go down to 25.
MAINNET_K = 32


class ChiaBackend(Backend):
    name = "chia"
    default_executable = "chia"
    # chiapos makes k18..k50 (kMinPlotSize/kMaxPlotSize), but ``chia plots create`` refuses k < 25
    # ("The minimum k size allowed from the cli is k=25", chia/plotting/util.py validate_plot_size) and k < 32
    # without --override-k, which :meth:`arguments` passes. Test sizes: base.TEST_SIZES.
    k_values = range(25, 51)
    log_format = "chia"

    def arguments(self, spec: JobSpec) -> list[str]:
        assert spec.tmp_dir is not None
        args = ["plots", "create", "-k", str(spec.k)]
        if spec.k < MAINNET_K:
            args.append("--override-k")
        args += ["-n", "1", "-t", str(spec.tmp_dir)]
        args += optional("-2", spec.tmp2_dir)
        args += ["-d", str(spec.dst_dir)]
        args += optional("-r", spec.threads) + optional("-u", spec.buckets) + optional("-b", spec.buffer_mib)
        args += ["-f", spec.farmer_key, *pool_args(spec)]
        # -x: do not add dst_dir to this host's harvester config; plots move on to a NAS.
        return [*args, "-x", *spec.extra_args]


BACKEND = ChiaBackend()
