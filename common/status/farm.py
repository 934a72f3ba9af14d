"""A NAS's farm check as ``status --json``'s ``farm`` carries it (built by ``nas.farm.gather``), read
for the reports on both roles; and the plot names stored on more than one NAS. Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FarmView:
    harvester: str | None
    reachable: bool
    error: str | None
    plots: int  # plots on the drives (the harvester's file types)
    farmed: int | None  # None while the harvester does not answer
    pending: int | None
    not_farmed: int | None
    foreign: int | None  # farmed, not on a plotyard drive
    duplicates: int | None  # names twice where the harvester looks
    unknown_dirs: tuple[str, ...]
    not_farmed_plots: tuple[Mapping[str, Any], ...]
    names: tuple[str, ...]
    farmer: Mapping[str, Any] | None = None  # [chia] farmer_rpc: what the farmer says of all its harvesters


def farm_view(raw: Mapping[str, Any] | None) -> FarmView | None:
    """None when absent (farm check off, or a NAS of an older version) or unreadable."""
    if not isinstance(raw, Mapping):
        return None
    try:
        return FarmView(
            harvester=raw.get("harvester"), reachable=raw.get("reachable") is True, error=raw.get("error"),
            plots=int(raw.get("plots") or 0), farmed=_opt(raw.get("farmed")), pending=_opt(raw.get("pending")),
            not_farmed=_opt(raw.get("not_farmed")), foreign=_opt(raw.get("foreign")),
            duplicates=_opt(raw.get("duplicates")), unknown_dirs=tuple(str(d) for d in raw.get("unknown_dirs") or ()),
            not_farmed_plots=tuple(p for p in raw.get("not_farmed_plots") or () if isinstance(p, Mapping)),
            names=tuple(str(n) for n in raw.get("names") or ()),
            farmer=raw["farmer"] if isinstance(raw.get("farmer"), Mapping) else None)
    except (TypeError, ValueError):
        return None


def _opt(value: Any) -> int | None:
    return None if value is None else int(value)


def farm_line(f: FarmView) -> str:
    if not f.reachable:
        return f"harvester {f.harvester or '?'} not reachable: {f.error}"
    text = f"harvester: {f.farmed} of {f.plots} plots farmed, {f.pending} pending, {f.not_farmed} not farmed"
    extra = [f"{n} {what}" for n, what in ((f.foreign, "farmed from elsewhere"), (f.duplicates, "names twice"),
                                          (len(f.unknown_dirs), "drives not in plot_directories")) if n]
    return text + (f" ({', '.join(extra)})" if extra else "") + _farmer(f.farmer)


def _farmer(farmer: Mapping[str, Any] | None) -> str:
    if farmer is None:
        return ""
    if not farmer.get("reachable"):
        return f"; farmer {farmer.get('url')} not reachable: {farmer.get('error')}"
    return (f"; farmer: {len(farmer.get('harvesters') or ())} harvesters, {farmer.get('plots')} plots, "
            f"{farmer.get('failed_to_open')} failed to open, {farmer.get('no_key')} no key, "
            f"{farmer.get('duplicates')} duplicates")


def names_on_several(names_by_nas: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Plot name -> the NAS storing it, for names on two NAS or more (the farm farms them twice)."""
    where: dict[str, list[str]] = defaultdict(list)
    for nas, names in names_by_nas.items():
        for name in set(names):
            where[name].append(nas)
    return {name: tuple(sorted(hosts)) for name, hosts in sorted(where.items()) if len(hosts) > 1}
