"""``drive-manager check``: refresh drives, SMART (cached), rotation and events.

:func:`run_check` is the cron entry: it returns the new state and the events
(computed by the pure :func:`nas.monitor.events.diff` against the state the previous
check stored), so notifications and metrics can hook in after it.
:func:`collect` builds a state without rotating or storing (``status``).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from common.errors import LockBusyError
from common.locking import FileLock, is_locked
from common.notify.base import Severity
from nas.config import NasConfig
from nas.drives.headers import meta_groups
from nas.drives.health import probe_marked
from nas.drives.inventory import DriveInfo, average_plot_size, inventory
from nas.drives.listing import list_drives, natural_key, no_drive_reason
from nas.drives.locks import LOCK_WAIT, TARGET_LOCK, lock_path
from nas.drives.placement import reserved_on
from nas.drives.select import choose_target, remove_stale_parts
from nas.drives.smart import cache_key, no_device
from nas.drives.smart_refresh import smart_for
from nas.farm.gather import farm_status
from nas.model import DriveState, DriveStatus, NasState, SmartInfo, SmartStatus, with_status
from nas.monitor.events import Event, diff
from nas.replace.plan import candidates
from nas.replot.gather import replot_status
from nas.state import Store

log = logging.getLogger(__name__)

DAY = 86400.0
LOCK_NAME = "drive-check.lock"


class CheckRunningError(LockBusyError):
    """Another ``check`` is still running (its SMART reads outlasted the cron minute)."""


def run_check(cfg: NasConfig, now: float | None = None) -> tuple[NasState, list[Event]]:
    """One check; raises :class:`CheckRunningError` while another check runs."""
    now = time.time() if now is None else now
    lock = FileLock(cfg.nas.state_dir / LOCK_NAME)
    if not lock.try_acquire():
        raise CheckRunningError(f"{lock.path} is locked by another check")
    with lock, Store(cfg.nas.state_dir) as store:
        previous = store.load_check_state()
        probe_marked(cfg, store)  # a failing drive that writes again may receive again
        sweep_stale_parts(cfg, [Path(d.mountpoint) for d in (previous.drives if previous else ())])
        state = collect(cfg, store, now, previous, rotate=True)
        events = diff(previous, state, cfg.alerts, cfg.chia)
        store.save_check_state(stored(state))
        store.prune(now)
        store.set_last_check_end(time.time())
    _log_no_drive(cfg, previous, state)
    _log_events(events, diff(None, previous, cfg.alerts, cfg.chia) if previous is not None else [])
    return state, events


def present(state: NasState | None) -> bool:
    return state is not None and any(d.state != DriveState.MISSING for d in state.drives)


def _log_no_drive(cfg: NasConfig, previous: NasState | None, state: NasState) -> None:
    """A NAS without a single drive is said plainly, with its patterns, once (not every minute)."""
    if not present(state):
        first = previous is None or present(previous)
        log.log(logging.ERROR if first else logging.DEBUG, "%s", no_drive_reason(cfg))


def _log_events(events: list[Event], before: list[Event]) -> None:
    """Changes and new conditions at info/warning; a condition the previous check
    already had at debug (cron mails whatever a run prints at -q: once, not every minute)."""
    known = {e.key for e in before if e.standing}
    for event in events:
        news = not event.standing or event.key not in known
        level = logging.DEBUG if not news else logging.INFO if event.severity == Severity.INFO else logging.WARNING
        log.log(level, "%s", event.title)


def sweep_stale_parts(cfg: NasConfig, known: list[Path]) -> None:
    """Remove ``.part`` files a killed receiver left on drives no receiver is using now
    (a full drive is never reserved again, so its receivers would never clean it).
    Failing drives are left alone: the removal would fail again every minute."""
    drives = list_drives(cfg)
    failing = {d.mountpoint for d in drives if d.failing is not None}
    for mountpoint in {*known, *(d.mountpoint for d in drives)} - failing:
        lock = FileLock(lock_path(cfg.nas.state_dir, mountpoint))
        if is_dir(mountpoint) and lock.try_acquire():
            try:
                remove_stale_parts(mountpoint)
            finally:
                lock.release()


def is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False  # a dead mount: nothing to sweep


def current_state(cfg: NasConfig, refresh_smart: bool = True, now: float | None = None) -> NasState:
    """The drives now, as ``status`` sees them: no rotation, nothing stored. Scrapes and views pass
    ``refresh_smart=False`` and read SMART from the cache that ``check`` keeps fresh."""
    with Store(cfg.nas.state_dir) as store:
        return collect(cfg, store, time.time() if now is None else now, store.load_check_state(),
                       refresh_smart=refresh_smart)


def collect(cfg: NasConfig, store: Store, now: float, previous: NasState | None, rotate: bool = False,
            refresh_smart: bool = True) -> NasState:
    infos = inventory(cfg, store)
    last = store.last_receipt()
    plot_size = average_plot_size(infos) or (last[1] if last else None)
    disks = [(i.device, i.smart_type) for i in infos if i.device]
    smart = smart_for(store, cfg.smart, disks, now, refresh=refresh_smart)
    target = _rotate(cfg, store, infos, plot_size) if rotate else store.target()
    replaced = store.deletions_since(previous.time) if previous else Counter[str]()
    before = {d.mountpoint: d for d in previous.drives} if previous else {}
    present = _with_meta_groups(store, now, infos, [_status(cfg, i, smart, plot_size, replaced[str(i.mountpoint)],
                                                            before.get(str(i.mountpoint))) for i in infos])
    drives = present + _missing(cfg, previous, {d.mountpoint for d in present})
    drives.sort(key=lambda d: natural_key(d.mountpoint))
    return NasState(time=now, drives=tuple(drives), target=None if target is None else str(target),
                    plot_size=plot_size, received_24h=store.receipts_since(now - DAY),
                    last_receipt=last[0] if last else None, since=store.since(now), policy=cfg.nas.policy,
                    replaceable=_replaceable(cfg, store, infos), replot=replot_status(cfg, store, infos, now),
                    farm=_farm(cfg, now, previous, refresh_smart))


def stored(state: NasState) -> NasState:
    """The state as the next check and the views read it back: without the farm's plot names. Those
    go out fresh in ``status --json`` (the plotter's farm report); at replot scale they are 360,000
    names, 30 MB of JSON, not to be rewritten every minute."""
    if state.farm is None or "names" not in state.farm:
        return state
    return replace(state, farm={k: v for k, v in state.farm.items() if k != "names"})


def _with_meta_groups(store: Store, now: float, infos: list[DriveInfo], drives: list[DriveStatus]) -> list[DriveStatus]:
    """Each drive's meta groups in use (its PoS2 headers, from the inventory's scan) and reserved by placements."""
    placed = store.placements(now)
    used = {str(i.mountpoint): meta_groups(i.files) for i in infos}
    return [replace(d, meta_groups=tuple(sorted(used.get(d.mountpoint, ()))),
                    meta_groups_reserved=tuple(sorted(reserved_on(placed, Path(d.mountpoint))))) for d in drives]


def _farm(cfg: NasConfig, now: float, previous: NasState | None, fresh: bool) -> dict[str, Any] | None:
    """Asks the harvester for ``check`` and ``status``; scrapes and views (``fresh`` False, like
    their SMART) show what the last check found rather than ask it every few seconds."""
    if not cfg.chia.farm_check:
        return None
    last = previous.farm if previous else None
    return farm_status(cfg, now, last) if fresh else last


def _replaceable(cfg: NasConfig, store: Store, infos: list[DriveInfo]) -> int | None:
    """How many plots replacement may still delete on drives that may receive (headers are cached)."""
    if not cfg.replace.enabled:
        return None
    return sum(len(candidates(store, cfg.replace.match, i.mountpoint)) for i in infos if i.drive.receives)


def _rotate(cfg: NasConfig, store: Store, infos: list[DriveInfo], plot_size: int | None) -> Path | None:
    with FileLock(cfg.nas.state_dir / TARGET_LOCK).wait(LOCK_WAIT):  # agree with receivers
        current = store.target()
        if cfg.nas.policy == "spread":
            # Every plot goes to the drive with most room: no single receive drive to
            # follow, and no "receive drive changed" alert after every plot.
            if current is not None:
                store.set_target(None)
            return None
        busy = current is not None and is_locked(lock_path(cfg.nas.state_dir, current))
        chosen = choose_target([i.drive for i in infos], current, plot_size, cfg.nas.reserve, cfg.nas.policy,
                               busy)
        if chosen != current:
            store.set_target(chosen)
            # Debug: the check's "Receive drive changed from … to …" event says it, once.
            log.debug("receive drive: %s (was %s)", chosen or "none (all full)", current or "none")
    return chosen


def _status(cfg: NasConfig, info: DriveInfo, smart: dict[str, SmartInfo], plot_size: int | None,
            replaced: int, last: DriveStatus | None) -> DriveStatus:
    drive = info.drive
    usable = max(0, drive.free_bytes - cfg.nas.reserve)
    plots_free = usable // plot_size if plot_size else None
    if drive.failing is not None:  # broken outranks "offline": it still needs someone's attention
        state, plots_free = DriveState.FAILING, 0
    elif drive.offline:
        state = DriveState.OFFLINE
    else:
        state = DriveState.FULL if (plots_free == 0 if plots_free is not None else usable == 0) else DriveState.ACTIVE
    reading = smart.get(cache_key(info.device, info.smart_type)) if info.device else None
    status = DriveStatus(mountpoint=str(drive.mountpoint), name=drive.name, device=info.device,
                         total_bytes=drive.total_bytes, free_bytes=drive.free_bytes, plots=info.plots,
                         plot_bytes=info.plot_bytes, state=state, plots_free=plots_free,
                         smart=reading or no_device(), replaced=replaced, reason=drive.failing,
                         plot_files=info.plot_files)
    return _unknown_as_last(status, info, last)


def _unknown_as_last(status: DriveStatus, info: DriveInfo, last: DriveStatus | None) -> DriveStatus:
    """A drive that cannot be listed (or stat'ed) keeps the figures it last had: its plots did
    not vanish, they cannot be seen now."""
    if last is None:
        return status
    if not info.listed:
        status = replace(status, plots=last.plots, plot_bytes=last.plot_bytes, plot_files=last.plot_files)
    if status.total_bytes == 0 and status.state == DriveState.FAILING:
        status = replace(status, total_bytes=last.total_bytes, free_bytes=last.free_bytes)
    return status


def _missing(cfg: NasConfig, previous: NasState | None, present: set[str]) -> list[DriveStatus]:
    """Drives known before (or named by a [drive] section) that are not here now."""
    known = {d.mountpoint: d for d in previous.drives} if previous else {}
    for override in cfg.drives:
        known.setdefault(str(override.mountpoint), _never_seen(override.mountpoint, override.device))
    return [_as_missing(d) for mp, d in known.items() if mp not in present]


def _never_seen(mountpoint: Path, device: str | None) -> DriveStatus:
    return DriveStatus(mountpoint=str(mountpoint), name=mountpoint.name, device=device, total_bytes=0,
                       free_bytes=0, plots=0, plot_bytes=0, state=DriveState.MISSING, plots_free=None,
                       smart=SmartInfo(device=device, status=SmartStatus.UNKNOWN, reason="drive missing"))


def _as_missing(last: DriveStatus) -> DriveStatus:
    smart = with_status(last.smart, SmartStatus.UNKNOWN, "drive missing")
    return DriveStatus(mountpoint=last.mountpoint, name=last.name, device=last.device,
                       total_bytes=last.total_bytes, free_bytes=last.free_bytes, plots=last.plots,
                       plot_bytes=last.plot_bytes, state=DriveState.MISSING, plots_free=None, smart=smart,
                       plot_files=last.plot_files)


def forget(store: Store, mountpoint: str) -> bool:
    """Drop a missing drive from the remembered ones (it was removed on purpose)."""
    previous = store.load_check_state()
    if previous is None or previous.drive(mountpoint) is None:
        return False
    kept = tuple(d for d in previous.drives if d.mountpoint != mountpoint)
    store.save_check_state(replace(previous, drives=kept))
    return True
