"""The farm check of this NAS, as ``status --json`` (``farm``) and ``drive-manager farm check --json``
carry it (I/O edge: lists the drives' plots, asks the harvester; the decisions are in ``compare``)."""

from __future__ import annotations

import logging
import os
from typing import Any

from common.errors import ConfigError
from nas.config import NasConfig
from nas.drives.listing import Drive, list_drives, list_plots
from nas.farm.compare import NOT_FARMED, FarmCheck, LocalPlot, compare, harvested
from nas.farm.farmer import ask_farmer, farmer_figures
from nas.farm.harvester import HarvesterConf, HarvesterUnreachable, ask, read_conf

log = logging.getLogger(__name__)

LISTED = 50  # plots, names and directories listed by name; the counts are complete


def local_plots(drives: list[Drive]) -> tuple[list[LocalPlot], list[str]]:
    """The harvestable plot files on the drives (resolved paths) and every drive's resolved mount point."""
    plots: list[LocalPlot] = []
    mounts: list[str] = []
    for drive in drives:
        mount = os.path.realpath(drive.mountpoint)
        mounts.append(mount)
        try:
            entries = list_plots(drive.mountpoint)
        except OSError as exc:
            log.debug("%s: cannot list for the farm check: %s", drive.mountpoint, exc)
            continue
        for entry in entries:
            if not harvested(entry.name):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue  # deleted meanwhile
            plots.append(LocalPlot(os.path.join(mount, entry.name), mount, max(st.st_mtime, st.st_ctime)))
    return plots, mounts


def farm_status(cfg: NasConfig, now: float, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the harvester farms against what is on the drives; ``previous``: the last check's ``farm``
    (``not_farmed_since`` carries over while plots stay unfarmed)."""
    plots, mounts = local_plots(list_drives(cfg))
    names = sorted({p.name for p in plots})
    base: dict[str, Any] = {"enabled": cfg.chia.farm_check, "chia_root": str(cfg.chia.root), "plots": len(plots),
                            "names": names, "harvester": None, "reachable": None, "error": None}
    try:
        conf = read_conf(cfg.chia.root)
    except ConfigError as exc:
        return {**base, "reachable": False, "error": exc.message}
    base.update(harvester=conf.url, rescan_seconds=conf.interval, retry_invalid_seconds=conf.retry_invalid)
    if cfg.chia.farmer_rpc is not None:
        base["farmer"] = farmer_status(cfg, conf, *cfg.chia.farmer_rpc)
    try:
        harvest = ask(cfg.chia.root, conf)
    except HarvesterUnreachable as exc:
        log.debug("farm check: %s", exc.message)
        return {**base, "reachable": False, "error": exc.message}
    check = compare(plots, harvest, now, conf.interval, conf.recursive, mounts)
    return {**base, "reachable": True, **figures(check, len(harvest.farmed)),
            "not_farmed_since": _since(check, now, previous)}


def farmer_status(cfg: NasConfig, conf: HarvesterConf, host: str, port: int) -> dict[str, Any]:
    """``farm.farmer``: what the farmer says of all its harvesters (``[chia] farmer_rpc``)."""
    url = f"https://{host}:{port}"
    try:
        reports = ask_farmer(cfg.chia.root, conf, host, port)
    except HarvesterUnreachable as exc:
        log.debug("farm check: %s", exc.message)
        return {"url": url, "reachable": False, "error": exc.message}
    return {"url": url, "reachable": True, "error": None, **farmer_figures(reports, LISTED)}


def figures(check: FarmCheck, harvester_plots: int) -> dict[str, Any]:
    counts = check.counts()
    problems = sorted((p for p, s in check.states.items() if s in NOT_FARMED), key=os.path.basename)
    return {
        "farmed": counts["farmed"], "pending": counts["pending"], "not_farmed": check.not_farmed,
        "by_state": counts, "harvester_plots": harvester_plots, "foreign": len(check.foreign),
        "duplicates": len(check.duplicates), "unknown_dirs": list(check.unknown_dirs),
        "not_farmed_plots": [{"name": os.path.basename(p), "drive": check.drives[p], "state": str(check.states[p])}
                             for p in problems[:LISTED]],
        "foreign_plots": list(check.foreign[:LISTED]), "duplicate_names": list(check.duplicates[:LISTED]),
    }


def _since(check: FarmCheck, now: float, previous: dict[str, Any] | None) -> float | None:
    if not check.not_farmed:
        return None
    before = previous.get("not_farmed_since") if previous else None
    return float(before) if isinstance(before, (int, float)) and before <= now else now


def render(farm: dict[str, Any]) -> str:
    """``drive-manager farm check`` for people."""
    lines = [f"harvester {farm.get('harvester') or '?'} (chia root {farm['chia_root']})"]
    if not farm.get("reachable"):
        return "\n".join([*lines, f"  not reachable: {farm.get('error')}", ""])
    lines.append(f"  {farm['plots']} plots on the drives: {farm['farmed']} farmed, {farm['pending']} pending "
                 f"(delivered less than two rescans of {farm['rescan_seconds']} s ago), "
                 f"{farm['not_farmed']} not farmed")
    lines += [f"  not farmed: {p['name']} on {p['drive']}: {_why(p['state'], farm)}" for p in farm["not_farmed_plots"]]
    lines += [f"  drive not in the harvester's plot_directories: {d}" for d in farm["unknown_dirs"]]
    lines.append(f"  {farm['harvester_plots']} plots farmed in all, {farm['foreign']} not on a plotyard drive, "
                 f"{farm['duplicates']} names twice where the harvester looks")
    lines += [f"  not on a plotyard drive: {p}" for p in farm["foreign_plots"]]
    lines += [f"  name twice: {n}" for n in farm["duplicate_names"]]
    return "\n".join(lines + _farmer_lines(farm.get("farmer"))) + "\n"


def _farmer_lines(farmer: dict[str, Any] | None) -> list[str]:
    if not farmer:
        return []
    if not farmer["reachable"]:
        return [f"farmer {farmer['url']}: not reachable: {farmer['error']}"]
    lines = [f"farmer {farmer['url']}: {len(farmer['harvesters'])} harvesters, {farmer['plots']} plots, "
             f"{farmer['failed_to_open']} failed to open, {farmer['no_key']} no key, {farmer['duplicates']} duplicates"]
    lines += [f"  {h['host']}: {h['plots']} plots, {h['failed_to_open']} failed to open, {h['no_key']} no key, "
              f"{h['duplicates']} duplicates{' (syncing)' if h['syncing'] else ''}" for h in farmer["harvesters"]]
    return lines


def _why(state: str, farm: dict[str, Any]) -> str:
    return {"failed_to_open": f"the harvester cannot open it (it retries after {farm['retry_invalid_seconds']} s)",
            "no_key": "its farmer or pool key is not this farm's (no_key)",
            "no_directory": "its drive is not in the harvester's plot_directories",
            "duplicate": "the same name is farmed from another path",
            "not_loaded": "the harvester did not load it (see its log: compression level? still copying?)",
            }.get(state, state)
