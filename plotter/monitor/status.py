"""``plot-manager status``: plots waiting, transfers running (held locks), recent transfers."""

from __future__ import annotations

import time
from typing import Any

from common import units
from common.locking import is_locked
from plotter.config import PlotterConfig
from plotter.send.discover import check_headers, list_dirs, open_for_writing, plots_in, split_finished
from plotter.send.history import History, TransferResult
from plotter.send.progress import read_published
from plotter.send.sender import plot_lock


def collect(cfg: PlotterConfig, recent: int = 20) -> dict[str, Any]:
    now = time.time()
    listing = list_dirs(cfg.plotter.plot_dirs)
    writing = open_for_writing({s.path for s in listing.seen})
    looks_ready, in_progress = split_finished(listing.seen, now, cfg.plotter.min_plot_age, writing)
    checked = check_headers(looks_ready)  # the sender's own checks: what it would send
    ready, in_progress = checked.good, in_progress + checked.unfinished
    running = [s for s in listing.seen if is_locked(plot_lock(cfg, s.path.name).path)]
    running_paths = {s.path for s in running}

    def plot(item: Any, state: str) -> dict[str, Any]:
        return {"name": item.path.name, "dir": str(item.path.parent), "bytes": item.size,
                "age_seconds": round(now - item.mtime, 1), "state": state, "plots": plots_in(item)}

    history = History(cfg.plotter.state_dir)
    try:
        recent_rows = history.recent(recent)
    finally:
        history.close()
    return {
        "waiting": [plot(s, "ready") for s in ready if s.path not in running_paths]
        + [plot(s, "in_progress") for s in in_progress],
        "running": [running_entry(cfg, plot(s, "sending")) for s in running],
        "recent": recent_rows,
        "rejected": [{"path": str(r.path), "reason": r.reason} for r in listing.rejected + checked.bad],
    }


def running_entry(cfg: PlotterConfig, base: dict[str, Any]) -> dict[str, Any]:
    """A plot whose lock is held, with what its sender publishes (nothing yet while it connects)."""
    published = read_published(cfg.plotter.state_dir, base["name"]) or {}
    return {**base, "nas": published.get("nas"), "drive": published.get("drive"),
            "bytes_done": published.get("bytes_done", 0), "mb_per_s": published.get("mb_per_s", 0.0),
            "eta_seconds": published.get("eta_seconds"), "started_at": published.get("started_at")}


def _running_line(p: dict[str, Any]) -> str:
    if p["started_at"] is None:
        return f"  {p['name']}  {p['bytes'] / 1e9:.1f} GB  connecting"
    eta = "?" if p["eta_seconds"] is None else f"{p['eta_seconds'] / 60:.0f} min"
    percent = 100 * p["bytes_done"] / p["bytes"] if p["bytes"] else 100.0
    return (f"  {p['name']}  -> {p['nas']}:{p['drive']}  {p['bytes_done'] / 1e9:.1f}/{p['bytes'] / 1e9:.1f} GB  "
            f"{percent:.0f}%  {p['mb_per_s']:.1f} MB/s  ETA {eta}")


def outcome_text(transfer: dict[str, Any]) -> str:
    if transfer["result"] == TransferResult.OK:
        return f"{transfer['mb_per_s']:7.1f} MB/s"
    if transfer["result"] == TransferResult.VERIFIED:
        return "already on the NAS, verified"
    return f"FAILED: {transfer['error']}"


def render(data: dict[str, Any]) -> str:
    files, plots = len(data["waiting"]), sum(p.get("plots", 1) for p in data["waiting"])
    lines = [f"Plots waiting: {plots}" + (f" in {files} files" if plots != files else "")]
    for p in data["waiting"]:
        lines.append(f"  {p['name']}  {units.size(p['bytes']):>9}  age {p['age_seconds']:>8.0f} s  {p['state']}")
    lines.append(f"Transfers running: {len(data['running'])}")
    lines += [_running_line(p) for p in data["running"]]
    lines.append(f"Recent transfers: {len(data['recent'])}")
    for t in data["recent"]:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t["finished_at"]))
        where = f"{t['nas']}:{t['path'] or t['drive'] or '-'}" if t["nas"] else "no NAS"
        outcome = outcome_text(t)
        lines.append(f"  {when}  {t['plot']}  -> {where}  {t['seconds']:6.1f} s  {outcome}")
    for r in data["rejected"]:
        lines.append(f"Left alone: {r['path']}: {r['reason']}")
    return "\n".join(lines)
