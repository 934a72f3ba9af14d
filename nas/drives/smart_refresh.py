"""The SMART cache, refreshed a share at a time: what ``check`` reads this run, and reading it.

A disk is due once its cached reading is ``[smart] interval`` old (or it was never
read). One run reads at most :func:`per_run` disks, those unread longest first, at
most ``[smart] parallel`` at a time, and starts no read after :data:`START_BUDGET`
seconds; the rest stay due for the next run. So a cold cache on a big NAS is filled
over a few cron minutes instead of one ``check`` that outlasts its minute, and the
readings then stay spread: each disk comes due again one interval after its read.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from nas.drives.smart import Disk, cache_key, find_smartctl, read_smart
from nas.model import SmartInfo, SmartStatus, unknown_smart
from nas.settings import SmartSettings
from nas.state import Store

log = logging.getLogger(__name__)

CHECK_PERIOD = 60.0  # cron and the systemd timer run ``check`` every minute
START_BUDGET = 25.0  # seconds into the refresh after which no new read starts
HARD_BUDGET = 40.0  # seconds into the refresh by which every smartctl call has ended (timed out)

Cache = dict[str, tuple[float, SmartInfo]]  # key -> (when last read or tried, reading)


def per_run(disks: int, settings: SmartSettings) -> int:
    """How many disks one run may read: one interval's worth of runs covers every disk,
    and a run never reads fewer than ``parallel`` (one round of parallel reads)."""
    if settings.interval <= CHECK_PERIOD:
        return disks
    return max(settings.parallel, math.ceil(disks * CHECK_PERIOD / settings.interval))


def due_now(cache: Cache, disks: Sequence[Disk], settings: SmartSettings, now: float) -> list[Disk]:
    """The disks to read in this run: due ones, never-read first, then the longest unread. Pure."""
    def last(disk: Disk) -> float:
        cached = cache.get(cache_key(*disk))
        return -math.inf if cached is None else cached[0]

    unique = list(dict.fromkeys(disks))
    due = sorted((d for d in unique if _is_due(cache, d, settings.interval, now)), key=last)
    return due[:per_run(len(unique), settings)]


def _is_due(cache: Cache, disk: Disk, interval: float, now: float) -> bool:
    cached = cache.get(cache_key(*disk))
    return cached is None or now - cached[0] >= interval or now < cached[0]


def read_many(settings: SmartSettings, disks: Sequence[Disk], now: float) -> dict[Disk, SmartInfo]:
    """Read ``disks``, ``parallel`` at a time, within the budget; the ones not started are left out."""
    smartctl = find_smartctl(settings) if disks else None
    start = time.monotonic()

    def one(disk: Disk) -> SmartInfo | None:
        if time.monotonic() - start > START_BUDGET:
            return None
        try:
            return read_smart(smartctl, disk[0], disk[1], now, deadline=start + HARD_BUDGET)
        except Exception as exc:  # one disk's odd answer (or a dying disk) must not end the check
            return unknown_smart(disk[0], f"cannot read SMART ({type(exc).__name__}: {exc})")

    with ThreadPoolExecutor(max_workers=max(1, min(settings.parallel, len(disks)))) as pool:
        results = list(pool.map(one, disks))
    late = [cache_key(*d) for d, r in zip(disks, results, strict=True) if r is None]
    if late:
        log.debug("SMART of %d disks left for the next run (out of time): %s", len(late), ", ".join(late))
    return {d: r for d, r in zip(disks, results, strict=True) if r is not None}


def merge(previous: SmartInfo | None, fresh: SmartInfo) -> SmartInfo:
    """Keep the last values when the disk sleeps or cannot be read now, marked as such."""
    if fresh.status == SmartStatus.OK or previous is None or not previous.has_values:
        return fresh
    return replace(previous, status=fresh.status, reason=fresh.reason)


def smart_for(store: Store, settings: SmartSettings, disks: Sequence[Disk], now: float,
              refresh: bool = True) -> dict[str, SmartInfo]:
    """Readings by :func:`~nas.drives.smart.cache_key`; this run's share of the due disks is re-read
    (none if ``refresh`` is False). A disk never read yet is unknown, "not read yet"."""
    cache = store.smart_all()
    fresh = read_many(settings, due_now(cache, disks, settings, now) if refresh else [], now)
    result = {key: info for key, (_, info) in cache.items()}
    for disk, info in fresh.items():
        key = cache_key(*disk)
        merged = merge(result.get(key), info)
        store.put_smart(key, now, merged)
        result[key] = merged
        if merged.status != SmartStatus.OK:
            log.debug("SMART of %s: %s (%s)", key, merged.status, merged.reason)
    missing = {cache_key(*d): unknown_smart(d[0], "not read yet") for d in disks if cache_key(*d) not in result}
    return {**result, **missing}
