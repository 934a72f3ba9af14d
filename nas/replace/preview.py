"""``drive-manager replace --dry-run``: what the next incoming plot would replace. Deletes nothing."""

from __future__ import annotations

import time

from common.errors import UsageError
from nas.config import NasConfig
from nas.drives.inventory import average_file_size, inventory
from nas.drives.listing import Drive, list_drives
from nas.drives.select import plan_room, rank_drives
from nas.monitor.status import size as human
from nas.replace.plan import candidates
from nas.replace.rules import describe
from nas.state import Store


def preview(cfg: NasConfig, size: int | None = None) -> str:
    if not cfg.replace.match:
        raise UsageError(f"{cfg.path}: [replace] match is not set, so no plot may be replaced")
    with Store(cfg.nas.state_dir) as store:
        size = size or _plot_size(cfg, store)
        drives = list_drives(cfg)
        lines = _header(cfg) + _replaceable(cfg, store, drives)
        fits = rank_drives(drives, size, cfg.nas.reserve, cfg.nas.policy, store.target())
        if fits:
            lines.append(f"next plot ({human(size)}): {fits[0].mountpoint} can take it; nothing would be deleted")
            return "\n".join(lines) + "\n"
        plans = plan_room(cfg, store, drives, size)
    if not plans:
        lines.append(f"next plot ({human(size)}): no drive can take it, even by replacing every matching plot")
        return "\n".join(lines) + "\n"
    plan = plans[0]
    lines.append(f"next plot ({human(size)}) would replace {len(plan.victims)} plot(s) on {plan.mountpoint}:")
    for victim in plan.victims:
        created = time.strftime("%Y-%m-%d", time.localtime(victim.created))
        lines.append(f"  {victim.path.name}  {human(victim.freed)}  created {created}")
    return "\n".join(lines) + "\n"


def _plot_size(cfg: NasConfig, store: Store) -> int:
    size = average_file_size(inventory(cfg, store))  # what arrives is a file: a group file as a whole
    last = store.last_receipt()
    size = size or (last[1] if last else None)
    if not size:
        raise UsageError("no plot on the NAS yet to take the size from: pass --size (e.g. --size 101GiB)")
    return size


def _header(cfg: NasConfig) -> list[str]:
    state = "enabled" if cfg.replace.enabled else "DISABLED ([replace] enabled = false: nothing is deleted)"
    return [f"replacement: {state}", f"match: {describe(cfg.replace.match)}"]


def _replaceable(cfg: NasConfig, store: Store, drives: list[Drive]) -> list[str]:
    online = [d for d in drives if d.receives]
    found = [candidates(store, cfg.replace.match, d.mountpoint) for d in online]
    count = sum(len(c) for c in found)
    freed = sum(v.freed for c in found for v in c)
    on = sum(1 for c in found if c)
    return [f"replaceable: {count} plot(s), {human(freed)}, on {on} of {len(online)} online drive(s)"]
