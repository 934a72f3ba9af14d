"""bladebit: RAM (``ramplot``), disk (``diskplot``) and GPU (``bladebit_cuda ... cudaplot``).

Command line (Chia-Network/bladebit src/main.cpp ``ParseCommandLine``):
``bladebit [GLOBAL_OPTIONS] <command> [COMMAND_OPTIONS] <out_dir>``; global options -t threads,
-n count, -f farmer key, -p pool key, -c pool contract, -z level. diskplot options -t1/-t2/-b
(src/plotdisk/DiskPlotter.cpp ``ParseCLI``), cudaplot options -t1/-t2 with --disk-128/--disk-16
(cuda/CudaPlotter.cu ``ParseCLI``). ``extra_args`` go with the command's options.

bladebit only makes k32 (src/plotting/PlotTools.cpp writes ``plot-k32-[c<NN>-]<date>-<id>.plot.tmp``
in the out dir and renames it to ``.plot`` at the end, src/plotting/PlotWriter.cpp). diskplot and
the cudaplot hybrid modes name their temp files without the plot id (``t1_0.tmp``, ``map2_3.tmp``,
``table_l_2.tmp``...; src/plotdisk/DiskBufferQueue.cpp, cuda/CudaPlotter.cu): give such a job a
temp directory of its own.
"""

from __future__ import annotations

from plotter.plotting.backends.base import Backend, JobSpec, optional, pool_args

HYBRID_FLAGS = ("--disk-128", "--disk-16")


class _Bladebit(Backend):
    default_executable = "bladebit"
    # k32 only: src/ChiaConsts.h ``#define _K 32``, cuda/CudaPlotConfig.h ``#define BBCU_K (32u)``.
    k_values = range(32, 33)
    command_name = ""

    def arguments(self, spec: JobSpec) -> list[str]:
        args = [*optional("-t", spec.threads), "-n", "1", "-f", spec.farmer_key, *pool_args(spec)]
        if spec.compression:
            args += ["-z", str(spec.compression)]
        return [*args, self.command_name, *self.command_options(spec), *spec.extra_args, str(spec.dst_dir)]

    def command_options(self, spec: JobSpec) -> list[str]:
        return []


class BladebitRamBackend(_Bladebit):
    name = "bladebit"
    command_name = "ramplot"
    levels = frozenset(range(0, 8))  # "ramplot currently does not support compression levels greater than 7"
    needs_tmp = False
    log_format = "bladebit"


class BladebitDiskBackend(_Bladebit):
    name = "bladebit-disk"
    command_name = "diskplot"
    levels = frozenset({0})  # "diskplot is currently disabled for compressed plotting due to a bug."
    shared_temp_names = True
    log_format = "bladebit-disk"

    def command_options(self, spec: JobSpec) -> list[str]:
        assert spec.tmp_dir is not None
        return ["-t1", str(spec.tmp_dir), *optional("-t2", spec.tmp2_dir), *optional("-b", spec.buckets)]


class BladebitCudaBackend(_Bladebit):
    name = "bladebit-cuda"
    default_executable = "bladebit_cuda"
    command_name = "cudaplot"
    # main.cpp: levels above 9 are invalid and "Compression level 8 is not currently supported."
    levels = frozenset({*range(0, 8), 9})
    needs_tmp = False
    shared_temp_names = True
    log_format = "bladebit"

    def check(self, spec: JobSpec) -> None:
        super().check(spec)
        hybrid = any(flag in spec.extra_args for flag in HYBRID_FLAGS)
        if spec.tmp_dir is not None and not hybrid:
            raise ValueError("bladebit-cuda uses temp directories only in a hybrid disk mode: "
                             "add --disk-128 or --disk-16 to the extra arguments")
        if hybrid and spec.tmp_dir is None:
            raise ValueError("bladebit-cuda --disk-128/--disk-16 needs a temporary directory (tmp_dir)")
        if hybrid and spec.compression == 0:
            raise ValueError("bladebit-cuda cannot make uncompressed plots in a hybrid disk mode")

    def command_options(self, spec: JobSpec) -> list[str]:
        if spec.tmp_dir is None:
            return []
        return ["-t1", str(spec.tmp_dir), *optional("-t2", spec.tmp2_dir)]


RAM = BladebitRamBackend()
DISK = BladebitDiskBackend()
CUDA = BladebitCudaBackend()
