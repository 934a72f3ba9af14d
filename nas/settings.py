"""``[smart]``, ``[replace]``, ``[replot]``, ``[chia]`` and ``[alerts]`` of nas.ini -> frozen dataclasses
(called by nas.config)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from common.config import Section
from common.confvalues import DAY, parse_date, parse_https_url
from nas.replace.rules import SYNTAX, Rule, parse_rule

T = TypeVar("T")


@dataclass(frozen=True)
class SmartSettings:
    smartctl: Path | None = None  # None: looked up on PATH (and in the sbin dirs) when needed
    interval: float = 600.0
    parallel: int = 8  # disks read at the same time


@dataclass(frozen=True)
class ReplaceSettings:
    enabled: bool = False
    match: Rule = ()


@dataclass(frozen=True)
class ReplotSettings:
    """The v1 phase-out deadline; ``fork_height`` None: no ``[replot]`` section, no deadline."""

    fork_height: int | None = None
    node_rpc: tuple[str, int] | None = None  # a full node's RPC (host, port): the height now
    chia_root: Path | None = None  # its SSL client cert and key (config/ssl/full_node)
    fork_date: float | None = None  # epoch seconds: the height's estimate when no node answers


DEFAULT_CHIA_ROOT = Path("~/.chia/mainnet").expanduser()


@dataclass(frozen=True)
class ChiaSettings:
    """The chia install on this NAS: its root (config.yaml, SSL files) for the harvester's (and the full
    node's) RPC. ``farm_check`` False: no ``[chia]`` section, ``check`` does not ask the harvester."""

    root: Path = DEFAULT_CHIA_ROOT
    farm_check: bool = False
    not_farmed_grace: float = 1800.0  # seconds plots may stay unfarmed before plots_not_farmed
    farmer_rpc: tuple[str, int] | None = None  # a farmer's RPC: what all its harvesters report


@dataclass(frozen=True)
class AlertSettings:
    low_water_plots: int = 10  # 0 = off
    temperature_limit: int = 50  # degrees Celsius, 0 = off
    no_plot_hours: int = 12  # 0 = off


def parse_smart(sec: Section) -> SmartSettings:
    settings = SmartSettings(smartctl=sec.opt_path("smartctl"),
                             interval=sec.get_duration("interval", 600.0, low=0, high=30 * DAY),
                             parallel=sec.get_int("parallel", 8, low=1, high=64))
    sec.finish()
    return settings


def parse_replace(sec: Section) -> ReplaceSettings:
    enabled = sec.get_bool("enabled", False)
    try:
        match = parse_rule(sec.opt_str("match") or "")
    except ValueError as exc:
        raise sec.error("match", str(exc)) from None
    if enabled and not match:
        raise sec.error("match", f"required when enabled (which plots may be deleted? {SYNTAX})")
    sec.finish()
    return ReplaceSettings(enabled=enabled, match=match)


MAX_HEIGHT = 2**32 - 1  # heights are uint32 in chia
FORK_DATES = ("2024-01-01", "2100-01-01")


def parse_replot(sec: Section) -> ReplotSettings:
    if not sec.present:
        return ReplotSettings()
    settings = ReplotSettings(
        fork_height=sec.get_int("fork_height", low=1, high=MAX_HEIGHT),
        node_rpc=sec.convert("node_rpc", parse_https_url, None), chia_root=sec.opt_path("chia_root"),
        fork_date=sec.convert("fork_date", lambda text: parse_date(text, low=FORK_DATES[0], high=FORK_DATES[1]), None),
    )
    if settings.node_rpc is None and settings.fork_date is None:
        raise sec.error("node_rpc", "set node_rpc (a full node's RPC, for the height now) or fork_date "
                        "(the day the fork activated or will, e.g. 2026-11-10), or both")
    if settings.chia_root is not None and settings.node_rpc is None:
        raise sec.error("chia_root", "only used to reach node_rpc, which is not set")
    sec.finish()
    return settings


def parse_chia(sec: Section) -> ChiaSettings:
    if not sec.present:
        return ChiaSettings()
    settings = ChiaSettings(
        root=sec.get_path("root", DEFAULT_CHIA_ROOT), farm_check=sec.get_bool("farm_check", True),
        not_farmed_grace=sec.get_duration("not_farmed_grace", 1800.0, low=60, high=7 * DAY),
        farmer_rpc=sec.convert("farmer_rpc", parse_https_url, None))
    sec.finish()
    return settings


def with_chia_root(replot: ReplotSettings, chia: ChiaSettings, chia_present: bool) -> ReplotSettings:
    """One chia root setting: ``[replot] chia_root`` defaults to ``[chia] root`` (when ``[chia]`` is there)."""
    if replot.node_rpc is None or replot.chia_root is not None or not chia_present:
        return replot
    return ReplotSettings(replot.fork_height, replot.node_rpc, chia.root, replot.fork_date)




def parse_alerts(sec: Section) -> AlertSettings:
    """Reads only the drive-manager's keys; the caller calls ``sec.finish()``
    once every reader of ``[alerts]`` has had its turn."""
    return AlertSettings(
        low_water_plots=sec.get_int("low_water_plots", 10, low=0, high=100_000),
        temperature_limit=sec.get_int("temperature_limit", 50, low=0, high=100),
        no_plot_hours=sec.get_int("no_plot_hours", 12, low=0, high=24 * 365),
    )


EXAMPLE = """
[smart]
# smartctl to run (default: found on PATH, /usr/sbin or /usr/local/sbin).
# smartctl = /usr/sbin/smartctl
# SMART is re-read at most this often; sleeping disks are never woken (-n standby).
# Each check reads only its share of the disks that are due (a cold start of 60
# disks is spread over several minutes), so a check stays within its minute.
interval = 10m
# How many disks are read at the same time.
parallel = 8

[replace]
# Replotting: when no drive can take an incoming plot, delete on ONE drive the
# fewest plots matching `match` that make room for it, one at a time and only as
# the plot's bytes arrive and need the room. Off unless enabled.
enabled = false
# Every condition must hold (comma separated):
#   v1 | v2 | pos2 | gplot  plot header version (v1 = chiapos/madMAx, uncompressed;
#                        pos2 = the new proof format, .plot2 files; gplot = its
#                        plot groups, .gplot files: a .plot2 is only ever replaced
#                        by a rule that says pos2, a .gplot by one that says gplot)
#   level < 5            compression level (0 = uncompressed; never matches PoS2)
#   k = 32               plot size k, compared the same way
#   name plot-k32-2021-* shell glob on the file name
#   before 2023-06-01    created before that day (name's date, else file mtime)
# match = v1, before 2024-01-01

# [replot]
# The v1 phase-out (CHIP-49): from fork_height on, v1 plots win less each epoch of 4608
# blocks (about a day) until, 254 epochs later, they win nothing. `drive-manager replot`
# compares the replot's pace with that date. fork_height is required here, and one of:
# node_rpc   a chia full node's RPC (reads the height now; e.g. https://127.0.0.1:8555)
# chia_root  the node's chia root, for its SSL cert (config/ssl/full_node); only with node_rpc
#            (default: [chia] root, when [chia] is there)
# fork_date  the day (UTC) the fork activated or will: the height is then estimated at 4608
#            blocks a day (used too when the node does not answer)
# fork_height = 9562000
# node_rpc = https://127.0.0.1:8555
# chia_root = ~/.chia/mainnet
# fork_date = 2026-11-10

# [chia]
# The chia install on this NAS. With this section, every `check` asks its harvester's RPC
# (port and SSL files from <root>/config/config.yaml) which plots it farms, compares them
# with the plots on the drives and alerts plots_not_farmed / harvester_unreachable
# (`drive-manager farm check` asks it any time).
# root = ~/.chia/mainnet
# farm_check = true
# Plots on the drives that stay unfarmed this long (not just delivered: those wait one
# harvester rescan) raise plots_not_farmed (1m to 7d).
# not_farmed_grace = 30m
# Optional: the farmer all harvesters report to (its invalid, keys-missing and duplicate plots).
# farmer_rpc = https://127.0.0.1:8559

[alerts]
# Warn when the drives can take this many more plots or fewer (0 = off).
low_water_plots = 10
# Warn when a drive is hotter than this (degrees Celsius, 0 = off).
temperature_limit = 50
# Warn when no plot arrived for this many hours (0 = off).
no_plot_hours = 12
"""
