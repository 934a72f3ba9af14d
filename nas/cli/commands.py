"""``check``, ``status``, ``temps``, ``drive offline|online|forget``, ``replace --dry-run``, ``replot``,
``farm check``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from common.confvalues import PB, parse_size
from common.errors import UsageError
from nas.config import NasConfig
from nas.state import Store

log = logging.getLogger(__name__)

COMMANDS = ("check", "status", "temps", "drive", "replace", "replot", "farm")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub.add_parser("check", help="refresh drives, SMART, receive drive and alerts (cron, every minute)")
    status = sub.add_parser("status", help="drives, plots, health and totals")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    sub.add_parser("temps", help="drive temperatures at a glance")
    drive = sub.add_parser("drive", help="take a drive offline or bring it back")
    drive.add_argument("action", choices=("offline", "online", "forget"),
                       help="offline: never receive on it; online: undo (and clear a failing mark); "
                            "forget: drop a removed drive")
    drive.add_argument("drive", help="drive name (e.g. drive7) or mount point")
    replace = sub.add_parser("replace", help="plot replacement (replotting) preview")
    replace.add_argument("--dry-run", action="store_true", help="list what would be deleted next")
    replace.add_argument("--size", help="size of the next plot (default: the average plot on the NAS)")
    replot = sub.add_parser("replot", help="replot progress: v1 and v2 plots, rate, the phase-out deadline, "
                                           "which drives next")
    replot.add_argument("--json", action="store_true", help="machine-readable output")
    farm = sub.add_parser("farm", help="what the chia harvester farms, against the plots on the drives")
    farm.add_argument("action", choices=("check",), help="check: ask the harvester now (exit 1: plots not farmed, "
                                                         "10: harvester unreachable)")
    farm.add_argument("--json", action="store_true", help="machine-readable output")


def run(cfg: NasConfig, args: argparse.Namespace) -> int:
    handler = {"check": _check, "status": _status, "temps": _temps, "drive": _drive, "replace": _replace,
               "replot": _replot, "farm": _farm}
    return handler[args.command](cfg, args)


def _check(cfg: NasConfig, args: argparse.Namespace) -> int:
    from nas.monitor.alerts import after_check
    from nas.monitor.check import CheckRunningError, run_check

    try:
        state, events = run_check(cfg)
    except CheckRunningError as exc:  # the previous minute's check is still at it: nothing to tell cron
        log.debug("check skipped: %s", exc)
        return 0
    after_check(cfg, state, events)
    return 0


def _status(cfg: NasConfig, args: argparse.Namespace) -> int:
    from common.ui.tables import write_table
    from nas.drives.listing import no_drive_reason
    from nas.monitor.check import current_state, present
    from nas.monitor.status import NUMERIC, drive_rows, render_notes, render_table, to_json

    state = current_state(cfg)
    if not present(state):
        log.warning("%s", no_drive_reason(cfg))
    if args.json:
        sys.stdout.write(to_json(state))
    elif sys.stdout.isatty():  # a rich table on a terminal, plain aligned text into a pipe
        write_table(drive_rows(state), sys.stdout, NUMERIC, terminal=True)
        sys.stdout.write(render_notes(state))
    else:
        sys.stdout.write(render_table(state))
    return 0


def _temps(cfg: NasConfig, args: argparse.Namespace) -> int:
    from nas.monitor.check import current_state
    from nas.monitor.status import render_temps

    state = current_state(cfg)
    sys.stdout.write(render_temps(state, cfg.alerts.temperature_limit, color=sys.stdout.isatty()))
    return 0


def resolve_drive(cfg: NasConfig, known: list[str], text: str) -> Path:
    """A drive by mount point or by short name; ambiguity is an error."""
    from nas.drives.listing import candidate_paths

    paths = dict.fromkeys([str(p) for p in candidate_paths(cfg)] + known)
    wanted = os.path.normpath(text) if text.startswith("/") else None
    matches = [p for p in paths if p == wanted or Path(p).name == text]
    if len(matches) == 1:
        return Path(matches[0])
    if not matches:
        raise UsageError(f"no drive named {text!r} (use its name, e.g. drive7, or its mount point)")
    raise UsageError(f"{text!r} names several drives ({', '.join(matches)}): give the mount point")


def _drive(cfg: NasConfig, args: argparse.Namespace) -> int:
    with Store(cfg.nas.state_dir) as store:
        previous = store.load_check_state()
        known = [d.mountpoint for d in previous.drives] if previous else []
        mountpoint = resolve_drive(cfg, known, args.drive)
        message = {"offline": _offline, "online": _online, "forget": _forget}[args.action](cfg, store, mountpoint)
    print(message)
    return 0


def _offline(cfg: NasConfig, store: Store, mountpoint: Path) -> str:
    from common.locking import is_locked
    from nas.drives.locks import lock_path

    store.set_offline(mountpoint, True)
    running = " (a transfer to it is running and will finish)" if is_locked(
        lock_path(cfg.nas.state_dir, mountpoint)) else ""
    return f"{mountpoint} is offline: it receives no plots and counts as no free space{running}"


def _online(cfg: NasConfig, store: Store, mountpoint: Path) -> str:
    from nas.drives.listing import OFFLINE_MARKER, exists, override_for

    override = override_for(cfg, mountpoint)
    if override is not None and override.offline:
        raise UsageError(f"{mountpoint} is offline in {cfg.path} ([drive {mountpoint}] offline = true); "
                         f"change it there")
    from nas.drives.health import clear

    marker = mountpoint / OFFLINE_MARKER
    if exists(marker):
        marker.unlink()
        log.info("removed %s", marker)
    store.set_offline(mountpoint, False)
    was = clear(store, mountpoint)
    return f"{mountpoint} is online" + (f" (no longer marked failing: {was})" if was else "")


def _forget(cfg: NasConfig, store: Store, mountpoint: Path) -> str:
    from nas.drives.health import clear
    from nas.drives.listing import override_for
    from nas.monitor.check import forget, is_dir

    if override_for(cfg, mountpoint) is not None:
        raise UsageError(f"{mountpoint} has a [drive] section in {cfg.path}: remove it there")
    if os.path.ismount(mountpoint) or (not cfg.nas.require_mount and is_dir(mountpoint)):
        raise UsageError(f"{mountpoint} is still there; only a removed drive can be forgotten")
    store.set_offline(mountpoint, False)
    clear(store, mountpoint)
    forgotten = forget(store, str(mountpoint))
    return f"{mountpoint} forgotten" if forgotten else f"{mountpoint} was not remembered"


def _replace(cfg: NasConfig, args: argparse.Namespace) -> int:
    from nas.replace.preview import preview

    if not args.dry_run:
        raise UsageError("plots are replaced only when a plot arrives; use --dry-run to see what would go")
    try:
        size = parse_size(args.size, low=1, high=PB) if args.size else None
    except ValueError as exc:
        raise UsageError(f"--size: {exc}") from None
    sys.stdout.write(preview(cfg, size))
    return 0


def _replot(cfg: NasConfig, args: argparse.Namespace) -> int:
    import json

    from nas.monitor.check import current_state
    from nas.replot.render import render

    replot = current_state(cfg, refresh_smart=False).replot or {}
    sys.stdout.write(json.dumps(replot, indent=2) + "\n" if args.json else render(replot))
    return 0


def _farm(cfg: NasConfig, args: argparse.Namespace) -> int:
    import json
    import time

    from common.errors import ConnectError
    from nas.farm.gather import farm_status, render
    from nas.farm.harvester import read_conf

    read_conf(cfg.chia.root)  # an unreadable config.yaml is a config error (exit 3), not a harvester down
    with Store(cfg.nas.state_dir) as store:
        previous = store.load_check_state()
    farm = farm_status(cfg, time.time(), previous.farm if previous else None)
    sys.stdout.write(json.dumps(farm, indent=2) + "\n" if args.json else render(farm))
    if not farm["reachable"]:
        return ConnectError.exit_code
    return 1 if farm["not_farmed"] else 0
