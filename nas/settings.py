"""``[smart]``, ``[replace]`` and ``[alerts]`` of nas.ini -> frozen dataclasses (called by nas.config)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from common.config import Section
from common.confvalues import DAY
from nas.replace.rules import SYNTAX, Rule, parse_rule


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

[alerts]
# Warn when the drives can take this many more plots or fewer (0 = off).
low_water_plots = 10
# Warn when a drive is hotter than this (degrees Celsius, 0 = off).
temperature_limit = 50
# Warn when no plot arrived for this many hours (0 = off).
no_plot_hours = 12
"""
