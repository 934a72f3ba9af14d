"""``plot-manager install cron|systemd``: see :mod:`common.assets.install`."""

from __future__ import annotations

import argparse
import pwd
from pathlib import Path

from common.assets.install import DEFAULT_USER, WritePaths, cron_files, emit, make_target, systemd_files
from plotter.config import PlotterConfig


def write_paths(cfg: PlotterConfig, user: str = DEFAULT_USER) -> WritePaths:
    """The state dir; the plot dirs (sources are deleted there, plots made there); the metrics
    text-file dir; the plot jobs' tmp, tmp2 and log dirs, and what their plotters write elsewhere."""
    textfile = cfg.alerting.metrics.textfile
    plotting = [str(cfg.plotting.settings.log_dir)]
    for job in cfg.plotting.jobs:
        plotting += [str(p) for p in (*job.tmp_dirs, job.tmp2_dir) if p is not None]
    plotting += [str(p) for p in plotter_writes({job.backend for job in cfg.plotting.jobs}, user)]
    return WritePaths(str(cfg.plotter.state_dir), tuple(str(p) for p in cfg.plotter.plot_dirs),
                      str(textfile.parent) if textfile else None, tuple(plotting))


def plotter_writes(backends: set[str], user: str) -> list[Path]:
    """What the plotters write besides their tmp, tmp2 and dst dirs, run as ``user`` by the unit.

    chia 2.7.5 on every ``plots create``: a lock next to its config (``<root>/config/config.yaml.lock``,
    chia/util/config.py ``lock_config``) and its keyring's lock (``~/.chia_keys/keyring.yaml.lock``,
    chia/util/file_keyring.py), even with the keys given; it exits 1 when it cannot. Under the unit
    the root is ``~/.chia/mainnet`` of the unit's user (systemd sets HOME from User=; the unit sets
    no CHIA_ROOT or CHIA_KEYS_ROOT). madMAx (src/chia_plot.cpp) and bladebit (src/, cuda/) write
    only the dirs they are given and read no HOME."""
    if "chia" not in backends:
        return []
    home = user_home(user)
    return [home / ".chia" / "mainnet", home / ".chia_keys"]


def user_home(user: str) -> Path:
    """``~user``; a user this machine does not know yet (the unit is often written before the user
    is made) is taken to live in ``/home/<user>``."""
    try:
        return Path(pwd.getpwnam(user).pw_dir)
    except KeyError:
        return Path("/home") / user


def run(cfg: PlotterConfig, config_path: Path, args: argparse.Namespace) -> int:
    target = make_target("plotter", config_path, args.user, args.group)
    files = cron_files(target) if args.kind == "cron" else systemd_files(target, write_paths(cfg, target.user))
    emit(files, args.write)
    return 0
