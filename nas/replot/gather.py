"""The replot figures of this NAS, as ``drive-manager replot --json`` and ``status --json`` carry them
(I/O edge: lists the drives' plots, asks the full node; the decisions are in ``progress``,
``deadline`` and ``order``)."""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from nas.config import NasConfig
from nas.drives.inventory import DriveInfo
from nas.replace.plan import candidates
from nas.replot.deadline import Chain, HeightSource, estimated
from nas.replot.node import NodeError, peak_height
from nas.replot.order import DriveRoom, replot_order, untouched
from nas.replot.progress import RATE_BASIS, Counts, Deadline, Format, count, figures
from nas.replot.scan import file_format, forget_old_cache, plot_files
from nas.state import Store

log = logging.getLogger(__name__)

HEIGHT_CACHE = "replot-height.json"
HEIGHT_MAX_AGE = 600.0  # ask the node at most every 10 minutes; between, its height + 4608 a day


def replot_status(cfg: NasConfig, store: Store, infos: list[DriveInfo], now: float) -> dict[str, Any]:
    forget_old_cache(cfg.nas.state_dir)
    counts = {info.mountpoint: _counts(info, now) for info in infos}
    chain, note = chain_now(cfg, now)
    deadline = None if cfg.replot.fork_height is None else Deadline(cfg.replot.fork_height, chain)
    total = sum((c for c in counts.values() if c is not None), Counts())
    drives = [{"name": i.drive.name, "mountpoint": str(i.mountpoint), "listed": counts[i.mountpoint] is not None,
               **figures(counts[i.mountpoint] or Counts(), deadline, now)} for i in infos]
    rooms = [_room(cfg, store, i, counts[i.mountpoint] or Counts()) for i in infos]
    order = replot_order(rooms, total.per_day, now)
    return {
        **figures(total, deadline, now), "rate_basis": RATE_BASIS, "fork_height": cfg.replot.fork_height,
        "height": None if chain is None else chain.height,
        "height_source": None if chain is None else str(chain.source), "height_note": note,
        "replacement": cfg.replace.enabled, "drives": drives,
        "order": [{**asdict(s), "done_at": _iso(s.done_at)} for s in order],
        "by_hand": [{"name": d.name, "mountpoint": d.mountpoint, "v1_bytes": d.v1_bytes - d.replaceable
                     if d.receives else d.v1_bytes} for d in untouched(rooms)],
    }


def _counts(info: DriveInfo, now: float) -> Counts | None:
    return count(plot_files(info.files), now) if info.listed else None


def _room(cfg: NasConfig, store: Store, info: DriveInfo, c: Counts) -> DriveRoom:
    receives = info.drive.receives and info.listed
    replaceable = c.v1_bytes if receives else 0  # replacement off: the farmer replots, in the same order
    if cfg.replace.enabled and receives:
        # What the rule lets go, of the v1 plots: PoS2 plots only ever go by a rule saying pos2.
        # Their file sizes, as v1_bytes counts them (``freed`` is the blocks they hold: less when sparse).
        replaceable = min(c.v1_bytes, sum(_size(v.path) for v in candidates(store, cfg.replace.match, info.mountpoint)
                                           if file_format(v.path.name) == Format.V1))
    room = max(0, info.drive.free_bytes - cfg.nas.reserve) if receives else 0
    return DriveRoom(info.drive.name, str(info.mountpoint), room, replaceable, c.v1_bytes, receives)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # deleted meanwhile


def chain_now(cfg: NasConfig, now: float) -> tuple[Chain | None, str | None]:
    """The height now, from the node (cached ``HEIGHT_MAX_AGE``) or estimated from ``fork_date``;
    the note says why the node's was not used."""
    rc = cfg.replot
    if rc.fork_height is None:
        return None, None
    note = None
    if rc.node_rpc is not None:
        try:
            return _node_chain(cfg, now), None
        except NodeError as exc:
            note = exc.message
            log.debug("replot: %s", note)
    if rc.fork_date is None:
        return None, note
    return estimated(rc.fork_height, rc.fork_date, now), note


def _node_chain(cfg: NasConfig, now: float) -> Chain:
    path = cfg.nas.state_dir / HEIGHT_CACHE
    cached = _read_height(path)
    if cached is not None and 0 <= now - cached.at < HEIGHT_MAX_AGE:
        return cached
    assert cfg.replot.node_rpc is not None
    host, port = cfg.replot.node_rpc
    chain = Chain(peak_height(host, port, cfg.replot.chia_root), now, HeightSource.NODE)
    tmp = path.with_name(f".{HEIGHT_CACHE}.{os.getpid()}")
    try:
        tmp.write_text(json.dumps({"height": chain.height, "at": chain.at}), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        log.debug("cannot write %s: %s", path, exc)
    return chain


def _read_height(path: Path) -> Chain | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Chain(int(data["height"]), float(data["at"]), HeightSource.NODE)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else time.strftime("%Y-%m-%d", time.gmtime(epoch))
