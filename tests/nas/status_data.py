"""A ``status --json`` document made with nas.model, for the report, alert and metrics tests."""

from __future__ import annotations

import time
from typing import Any

from nas.model import DriveState, DriveStatus, NasState, SmartInfo, SmartStatus, state_to_dict
from nas.replot.deadline import Chain, HeightSource
from nas.replot.progress import Counts, Deadline, figures

PLOT = 108_800_000_000  # one k32 plot, as the NAS measured it


def drive(n: int, plots: int, free: int, state: DriveState, temp: int, serial: str,
          health: str = "PASS") -> DriveStatus:
    smart = SmartInfo(device=f"/dev/sd{'abcdefgh'[n]}", status=SmartStatus.OK, read_at=time.time(),
                      model="ST18000NM000J", serial=serial, temperature=temp, health=health)
    return DriveStatus(mountpoint=f"/mnt/e1/drive{n}", name=f"drive{n}", device=smart.device,
                       total_bytes=18_000_000_000_000, free_bytes=free, plots=plots, plot_bytes=plots * PLOT,
                       state=state, plots_free=free // PLOT if state == DriveState.ACTIVE else 0, smart=smart)


def make_state(received_24h: int = 30, hot: int = 41, health: str = "PASS") -> NasState:
    drives = (drive(1, 163, 50_000_000_000, DriveState.FULL, 38, "ZR5A1234"),
              drive(2, 80, 9_000_000_000_000, DriveState.ACTIVE, hot, "ZR5A5678", health))
    return NasState(time=time.time(), drives=drives, target="/mnt/e1/drive2", plot_size=PLOT,
                    received_24h=received_24h, last_receipt=time.time() - 600, since=time.time() - 86400 * 30)


def make_replot(now: float) -> dict[str, Any]:
    """``status --json``'s ``replot``: drive1 all v1, drive2 half replotted; 20 days into the phase-out."""
    deadline = Deadline(9_562_000, Chain(9_562_000 + 20 * 4608, now, HeightSource.NODE))
    one = Counts(v1_plots=163, v1_bytes=163 * PLOT)
    two = Counts(v1_plots=40, v1_bytes=40 * PLOT, v2_plots=400, v2_bytes=400 * PLOT // 100,
                 v2_bytes_24h=70 * PLOT // 100, v2_bytes_7d=400 * PLOT // 100)
    drives = [{"name": f"drive{n}", "mountpoint": f"/mnt/e1/drive{n}", "listed": True, **figures(c, deadline, now)}
              for n, c in ((1, one), (2, two))]
    return {**figures(one + two, deadline, now), "drives": drives}


STATUS: dict[str, Any] = {**state_to_dict(make_state()), "replot": make_replot(time.time())}
