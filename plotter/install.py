"""``plot-manager install cron|systemd``: see :mod:`common.install`."""

from __future__ import annotations

import argparse
from pathlib import Path

from common.install import WritePaths, cron_files, emit, make_target, systemd_files
from plotter.config import PlotterConfig


def write_paths(cfg: PlotterConfig) -> WritePaths:
    """The state dir; the plot dirs (sources are deleted there, plots made there); the metrics
    text-file dir; the plot jobs' tmp, tmp2 and log dirs."""
    textfile = cfg.alerting.metrics.textfile
    plotting = [str(cfg.plotting.settings.log_dir)]
    for job in cfg.plotting.jobs:
        plotting += [str(p) for p in (*job.tmp_dirs, job.tmp2_dir) if p is not None]
    return WritePaths(str(cfg.plotter.state_dir), tuple(str(p) for p in cfg.plotter.plot_dirs),
                      str(textfile.parent) if textfile else None, tuple(plotting))


def run(cfg: PlotterConfig, config_path: Path, args: argparse.Namespace) -> int:
    target = make_target("plotter", config_path, args.user, args.group)
    files = cron_files(target) if args.kind == "cron" else systemd_files(target, write_paths(cfg))
    emit(files, args.write)
    return 0
