"""Each NAS's ``drive-manager status --json``, cached in the state dir for the view.

A background worker asks every NAS (the same transport, host-key pinning and answer checks as
``report farm``) and writes ``<state_dir>/nas-status/<name>.json``; the screen only reads these
files, so a slow or unreachable NAS never holds it up, and a restarted view shows the last known
data at once. A failed ask keeps the last good status and adds the reason.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.errors import AppError
from plotter.config import NasTarget
from plotter.monitor.nas_status import NotAStatus, parse_status

log = logging.getLogger(__name__)
CACHE_DIR = "nas-status"
REFRESH_EVERY = 60.0  # seconds between two asks of one NAS (status reads every drive)
FAILING = ("FAIL", "WARN")

Fetch = Callable[[NasTarget], bytes]


@dataclass(frozen=True)
class NasLine:
    name: str
    reachable: bool | None  # None: never asked yet
    error: str | None = None
    asked_at: float | None = None
    ok_at: float | None = None  # when the status shown was read
    target: str | None = None
    policy: str | None = None
    drives: int = 0
    plots: int = 0
    plots_free: int | None = None
    free_bytes: int | None = None
    full: int = 0
    offline: int = 0
    missing: int = 0
    failing: int = 0


def cache_path(state_dir: Path, name: str) -> Path:
    return state_dir / CACHE_DIR / f"{name}.json"


def read_cached(state_dir: Path, name: str) -> dict[str, Any] | None:
    try:
        data = json.loads(cache_path(state_dir, name).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write(path: Path, data: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def default_fetch(target: NasTarget) -> bytes:
    from plotter.link.session import run_command
    from plotter.monitor.report import STATUS_ARGS, STATUS_TIMEOUT

    return run_command(target, STATUS_ARGS, STATUS_TIMEOUT)


def refresh_one(state_dir: Path, target: NasTarget, fetch: Fetch, now: Callable[[], float] = time.time) -> None:
    """Ask one NAS and store the answer (or the reason there is none, keeping the last good status)."""
    previous = read_cached(state_dir, target.name) or {}
    record: dict[str, Any] = {"name": target.name, "asked_at": now(), "error": None,
                              "ok_at": previous.get("ok_at"), "status": previous.get("status")}
    try:
        record["status"] = parse_status(fetch(target))
        record["ok_at"] = now()
    except AppError as exc:
        record["error"] = exc.message
    except NotAStatus as exc:
        record["error"] = f"[nas {target.name}]: {exc}"
    try:
        _write(cache_path(state_dir, target.name), record)
    except OSError as exc:
        log.error("cannot cache the status of NAS %s: %s", target.name, exc)


def refresh_all(state_dir: Path, targets: Sequence[NasTarget], fetch: Fetch = default_fetch) -> None:
    """Ask every NAS at once (each within its own timeout)."""
    if not targets:
        return
    with ThreadPoolExecutor(max_workers=min(8, len(targets)), thread_name_prefix="view-nas") as pool:
        list(pool.map(lambda t: refresh_one(state_dir, t, fetch), targets))


def summarize(name: str, cached: Mapping[str, Any] | None) -> NasLine:
    """What the view shows of one NAS. Pure."""
    if cached is None:
        return NasLine(name, None)
    status = cached.get("status")
    base = NasLine(name, cached.get("error") is None, cached.get("error"), cached.get("asked_at"),
                   cached.get("ok_at"))
    if not isinstance(status, dict):
        return base
    drives = [d for d in status.get("drives", []) if isinstance(d, dict)]
    totals = status.get("totals", {})

    def count(state: str) -> int:
        return sum(1 for d in drives if d.get("state") == state)

    failing = sum(1 for d in drives if d.get("state") != "missing"
                  and isinstance(d.get("smart"), dict) and d["smart"].get("health") in FAILING)
    return NasLine(name, base.reachable, base.error, base.asked_at, base.ok_at, target=status.get("target"),
                   policy=status.get("policy"), drives=int(totals.get("drives", 0)), plots=int(totals.get("plots", 0)),
                   plots_free=totals.get("plots_until_full"), free_bytes=totals.get("free_bytes"), full=count("full"),
                   offline=count("offline"), missing=count("missing"), failing=failing)


def lines(state_dir: Path, names: Sequence[str]) -> list[NasLine]:
    return [summarize(name, read_cached(state_dir, name)) for name in names]


def due(state_dir: Path, names: Sequence[str], now: float, every: float = REFRESH_EVERY) -> bool:
    """Whether some NAS was not asked within ``every`` seconds (or never)."""
    for name in names:
        asked = (read_cached(state_dir, name) or {}).get("asked_at")
        if not isinstance(asked, (int, float)) or now - asked >= every:
            return True
    return False
