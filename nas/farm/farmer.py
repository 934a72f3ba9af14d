"""What a chia farmer says of all its harvesters (I/O edge; optional, ``[chia] farmer_rpc``): for a
farm whose harvesters report to one farmer. ``get_harvesters_summary`` (counts per harvester), then
per harvester every page of ``get_harvester_plots_invalid``, ``_keys_missing`` and ``_duplicates``
(chia-blockchain 2.7.5's ``farmer_rpc_api``: ``node_id``, ``page``, ``page_size``; answers
``page_count``, ``total_count``, ``plots``). Mutual TLS with the harvester's certificate of this
NAS's chia root: a harvester's CA is its farmer's (``chia init -c``), so the farmer accepts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nas.farm.harvester import HarvesterConf, HarvesterUnreachable
from nas.replot.node import NodeError, answer, call, tls_context

PAGE_SIZE = 1000
MAX_PAGES = 10_000  # bounds the walk: 10 million paths per list
LISTS = {"failed_to_open": "get_harvester_plots_invalid", "no_key": "get_harvester_plots_keys_missing",
         "duplicates": "get_harvester_plots_duplicates"}


@dataclass(frozen=True)
class HarvesterReport:
    host: str
    node_id: str
    plots: int
    syncing: bool
    paths: dict[str, tuple[str, ...]]  # failed_to_open / no_key / duplicates -> every path, all pages


def ask_farmer(root: Path, conf: HarvesterConf, host: str, port: int,
               page_size: int = PAGE_SIZE) -> list[HarvesterReport]:
    """Every harvester the farmer knows; :class:`HarvesterUnreachable` (the farmer's) says why not."""
    where = f"farmer https://{host}:{port}"
    try:
        ctx = tls_context(root, conf.cert, conf.key, "harvester", conf.ca)
        summary = answer(where, call(where, host, port, "get_harvesters_summary", ctx, {}))
        reports = []
        for harvester in _field(where, summary, "harvesters", list):
            connection = _field(where, harvester, "connection", dict)
            node_id = str(_field(where, connection, "node_id", str))
            paths = {name: _all_pages(where, host, port, endpoint, ctx, node_id, page_size)
                     for name, endpoint in LISTS.items()}
            reports.append(HarvesterReport(str(connection.get("host")), node_id,
                                           int(_field(where, harvester, "plots", int)),
                                           harvester.get("syncing") is not None, paths))
        return reports
    except NodeError as exc:
        raise HarvesterUnreachable(exc.message) from None


def _all_pages(where: str, host: str, port: int, endpoint: str, ctx: Any, node_id: str,
               page_size: int) -> tuple[str, ...]:
    found: list[str] = []
    page, pages = 0, 1
    while page < min(pages, MAX_PAGES):
        got = answer(where, call(where, host, port, endpoint, ctx,
                                 {"node_id": node_id, "page": page, "page_size": page_size}))
        pages = int(_field(where, got, "page_count", int))
        found += [str(p) for p in _field(where, got, "plots", list)]
        page += 1
    return tuple(found)


def _field(where: str, data: Any, key: str, kind: type) -> Any:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise NodeError(f"{where}: no {key} ({kind.__name__}) in its answer")
    return value


def farmer_figures(reports: list[HarvesterReport], listed: int) -> dict[str, Any]:
    """``farm.farmer`` in ``status --json``: per harvester and in all. Pure."""
    totals = {name: sum(len(r.paths[name]) for r in reports) for name in LISTS}
    return {
        "harvesters": [{"host": r.host, "node_id": r.node_id, "plots": r.plots, "syncing": r.syncing,
                        **{name: len(r.paths[name]) for name in LISTS}} for r in reports],
        "plots": sum(r.plots for r in reports), **totals,
        "paths": {name: sorted(p for r in reports for p in r.paths[name])[:listed] for name in LISTS},
    }
