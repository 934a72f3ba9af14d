"""plotter.ini -> frozen dataclasses. The only place that reads the plotter role's config."""

from __future__ import annotations

import configparser
from dataclasses import dataclass, field
from pathlib import Path

from common.config import Section, check_sections, read_ini, sections_with_prefix
from common.confvalues import DAY, GB, HOUR, KB, MINUTE
from common.metrics import PLOTTER_PORT
from common.notify.config import ALERTING_SECTIONS, PLOTTER_KINDS, Alerting, example, load_alerting
from plotter.plotting.config import EXAMPLE as PLOTTING_EXAMPLE
from plotter.plotting.config import PlottingConfig, load_plotting

EXAMPLE = """\
# plot-manager (plotter role) configuration.
[plotter]
# Where finished plots appear (comma or newline separated).
plot_dirs = /mnt/dst0, /mnt/dst1
# Locks and the transfer history live here.
state_dir = /var/lib/plotyard
# Seconds a plot must be unchanged before it is sent (0 allowed).
min_plot_age = 60
# Concurrent transfers (each goes to its own drive).
max_parallel = 1
# Cap per transfer in bytes/s, 0 = line rate (examples: 100MiB, 1GB).
bwlimit = 0
# Seconds between directory scans with send --watch.
poll_interval = 5

# One section per NAS. With several, each plot goes to its referee NAS (chosen from the plot's
# name), or when that one is full to the one with most free space. Every plotter of a farm
# must list the same NAS under the same names: a plot is then stored once in the farm.
[nas nas01]
# ssh (default) or local (drives attached to this machine).
transport = ssh
host = 192.168.1.50
port = 22
user = chia
identity_file = /home/chia/.ssh/id_ed25519
# The NAS host key must be in this file; unknown or changed keys are refused.
known_hosts = /home/chia/.ssh/known_hosts
# How to run the NAS role there ("receive" is appended).
command = drive-manager --config /etc/plotyard/nas.ini
# Optional: address for the data stream (default: host).
# data_host = 10.0.0.50
# Seconds to connect and for the NAS command to answer (its hello).
connect_timeout = 15

# [alerts]
# Alert when a plot directory's filesystem is fuller than this.
# dir_critical_percent = 95
# Alert when this many transfers in a row failed.
# failed_transfers = 3
"""

EXAMPLE += PLOTTING_EXAMPLE
EXAMPLE += example(PLOTTER_KINDS, PLOTTER_PORT)


@dataclass(frozen=True)
class NasTarget:
    name: str
    transport: str
    host: str
    port: int
    user: str | None
    identity_file: Path | None
    known_hosts: Path | None
    command: str
    data_host: str
    connect_timeout: float
    source: Path = Path("plotter.ini")  # the config file it came from: errors about its files name it


@dataclass(frozen=True)
class PlotterSettings:
    plot_dirs: tuple[Path, ...]
    state_dir: Path
    min_plot_age: float
    max_parallel: int
    bwlimit: int
    poll_interval: float


@dataclass(frozen=True)
class PlotterAlerts:
    dir_critical_percent: float = 95.0
    failed_transfers: int = 3


@dataclass(frozen=True)
class PlotterConfig:
    path: Path
    plotter: PlotterSettings
    nas: tuple[NasTarget, ...]
    alerts: PlotterAlerts = field(default_factory=PlotterAlerts)
    alerting: Alerting = field(default_factory=Alerting)
    plotting: PlottingConfig = field(default_factory=PlottingConfig)


KNOWN_SECTIONS = {"plotter", "nas", "alerts", "report", "plotting", "job", *ALERTING_SECTIONS}


def load(path: Path) -> PlotterConfig:
    parser = read_ini(path)
    check_sections(path, parser, KNOWN_SECTIONS)
    plotter = _plotter(Section(path, parser, "plotter"))
    targets = _targets(path, parser)
    return PlotterConfig(path=path, plotter=plotter, nas=targets, alerts=_alerts(Section(path, parser, "alerts")),
                         alerting=load_alerting(path, parser, PLOTTER_KINDS),
                         plotting=load_plotting(path, parser, plotter.plot_dirs, plotter.state_dir))


def _alerts(sec: Section) -> PlotterAlerts:
    percent = sec.get_int("dir_critical_percent", 95, low=1, high=100)
    alerts = PlotterAlerts(dir_critical_percent=float(percent),
                           failed_transfers=sec.get_int("failed_transfers", 3, low=1, high=1000))
    sec.finish()
    return alerts


def _plotter(sec: Section) -> PlotterSettings:
    if not sec.present:
        raise sec.error(None, "section missing (required)")
    settings = PlotterSettings(
        plot_dirs=tuple(Path(p).expanduser() for p in sec.get_list("plot_dirs")),
        state_dir=sec.get_path("state_dir", Path("/var/lib/plotyard")),
        min_plot_age=sec.get_duration("min_plot_age", 60.0, low=0, high=7 * DAY),
        max_parallel=sec.get_int("max_parallel", 1, low=1, high=64),
        bwlimit=sec.get_size("bwlimit", 0, low=100 * KB, high=100 * GB, zero="line rate"),
        poll_interval=sec.get_duration("poll_interval", 5.0, low=0.1, high=HOUR),
    )
    sec.finish()
    return settings


def _targets(path: Path, parser: configparser.ConfigParser) -> tuple[NasTarget, ...]:
    targets = []
    for section, name in sections_with_prefix(parser, "nas"):
        sec = Section(path, parser, section)
        if not name:
            raise sec.error(None, "name the NAS: [nas <name>]")
        targets.append(_target(sec, name))
    if not targets:
        raise Section(path, parser, "nas").error(None, "no [nas <name>] section: nowhere to send plots")
    return tuple(targets)


def _target(sec: Section, name: str) -> NasTarget:
    transport = sec.get_choice("transport", ("ssh", "local"), "ssh")
    ssh = transport == "ssh"
    host = sec.get_host("host") if ssh else sec.get_host("host", "127.0.0.1")
    target = NasTarget(
        name=name, transport=transport, host=host,
        port=sec.get_int("port", 22, low=1, high=65535),
        user=sec.get_str("user") if ssh else sec.opt_str("user"),
        identity_file=sec.get_path("identity_file") if ssh else sec.opt_path("identity_file"),
        known_hosts=sec.get_path("known_hosts") if ssh else sec.opt_path("known_hosts"),
        command=sec.get_str("command", "drive-manager"),
        data_host=sec.get_host("data_host", host),
        connect_timeout=sec.get_duration("connect_timeout", 15.0, low=1, high=10 * MINUTE),
        source=sec.path,
    )
    sec.finish()
    return target
