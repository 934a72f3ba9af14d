"""One snapshot of the NAS for ``drive-manager view``: the state ``status --json`` prints (built the
same way, but SMART only from the cache that ``check`` keeps fresh: the view never runs smartctl),
which drives a receiver holds now (their locks), the ``.part`` files being written and the last
plots received.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from pathlib import Path

from common.locking import is_locked
from common.status.summary import ReplotView, replot_view
from nas.config import NasConfig
from nas.drives.locks import lock_path
from nas.model import DriveState, DriveStatus, NasState, Totals, totals
from nas.monitor.status import health, temperature
from nas.receive.receiving import bytes_received
from nas.state import Store

RECENT = 8


@dataclass(frozen=True)
class DriveLine:
    name: str
    mountpoint: str
    device: str | None
    total: int
    free: int
    plots: int
    plots_free: int | None
    temperature: str
    health: str
    state: str  # active, full, offline, missing
    target: bool  # the receive drive
    receiving: bool  # a receiver holds its lock now
    power_on_hours: int | None = None

    @property
    def fill(self) -> float:
        return 1 - self.free / self.total if self.total else 0.0


@dataclass(frozen=True)
class Part:
    drive: str
    name: str
    bytes: int | None  # received so far, as its receiver publishes it; None before its first report
    size: int  # the plot's size (the .part is preallocated to it)


@dataclass(frozen=True)
class Receipt:
    at: float
    name: str
    drive: str
    bytes: int


@dataclass(frozen=True)
class NasSnapshot:
    taken_at: float
    host: str
    drives: tuple[DriveLine, ...]
    target: str | None
    policy: str
    totals: Totals
    last_check: float | None
    parts: tuple[Part, ...] = ()
    received: tuple[Receipt, ...] = ()
    replot: ReplotView | None = None


def drive_line(drive: DriveStatus, target: str | None, receiving: bool) -> DriveLine:
    return DriveLine(drive.name, drive.mountpoint, drive.device, drive.total_bytes, drive.free_bytes, drive.plots,
                     drive.plots_free, temperature(drive), health(drive), drive.state, drive.mountpoint == target,
                     receiving, drive.smart.power_on_hours)


def parts_on(mountpoint: Path, state_dir: Path) -> list[Part]:
    """Plots being written there now (the receiver's hidden ``.<name>.part``). Their bytes come from
    the receiver's record: a preallocated ``.part`` has its full size from the first byte on."""
    found = []
    for path in sorted(mountpoint.glob(".*.part")):
        name = path.name[1:-len(".part")]
        try:
            found.append(Part(mountpoint.name, name, bytes_received(state_dir, name), path.stat().st_size))
        except OSError:
            continue  # renamed or dropped between the listing and the stat
    return found


def receipts(store: Store, limit: int = RECENT) -> list[Receipt]:
    rows = store.conn.execute("SELECT time, name, drive, size FROM receipts ORDER BY time DESC LIMIT ?", (limit,))
    return [Receipt(float(r["time"]), str(r["name"]), str(r["drive"]), int(r["size"])) for r in rows]


def snapshot(cfg: NasConfig, state: NasState, store: Store, now: float) -> NasSnapshot:
    state_dir = cfg.nas.state_dir
    busy = {d.mountpoint: d.state != DriveState.MISSING and is_locked(lock_path(state_dir, Path(d.mountpoint)))
            for d in state.drives}
    parts = [p for d in state.drives if busy[d.mountpoint] for p in parts_on(Path(d.mountpoint), state_dir)]
    return NasSnapshot(now, socket.gethostname(), tuple(drive_line(d, state.target, busy[d.mountpoint])
                                                        for d in state.drives),
                       state.target, state.policy, totals(state), store.last_check_end(), tuple(parts),
                       tuple(receipts(store)), replot_view(state.replot))


def build(cfg: NasConfig, now: float | None = None) -> NasSnapshot:
    from nas.monitor.check import current_state

    now = time.time() if now is None else now
    state = current_state(cfg, refresh_smart=False, now=now)
    with Store(cfg.nas.state_dir) as store:
        return snapshot(cfg, state, store, now)
