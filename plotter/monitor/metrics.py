"""The plotter's Prometheus metrics: transfers from the history, plot dirs, current target."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from common.metrics import Family, counter, gauge
from plotter.config import PlotterConfig
from plotter.send.discover import check_headers, list_dirs, plots_in
from plotter.send.history import History, TransferResult

# The results the history records (busy and unreachable are not transfers), in the metrics' order.
_COUNTED = (TransferResult.OK, TransferResult.FAILED, TransferResult.VERIFIED, TransferResult.DIFFERS)


@dataclass(frozen=True)
class DirUsage:
    dir: Path
    total_bytes: int
    free_bytes: int

    @property
    def percent_used(self) -> float:
        return 100.0 * (self.total_bytes - self.free_bytes) / self.total_bytes if self.total_bytes else 0.0


@dataclass(frozen=True)
class Totals:
    count: int
    bytes: int
    seconds: float
    last_at: float | None


def dir_usage(dirs: Sequence[Path]) -> list[DirUsage]:
    """Usage of each plot dir's filesystem as a non-root plotter sees it (f_bavail)."""
    result = []
    for directory in dirs:
        try:
            st = os.statvfs(directory)
        except OSError:
            continue  # a missing dir is reported by the sender's listing
        result.append(DirUsage(directory, st.f_blocks * st.f_frsize, st.f_bavail * st.f_frsize))
    return result


def transfer_totals(history: History) -> dict[str, Totals]:
    rows = history.conn.execute(
        "SELECT result, COUNT(*) AS n, SUM(bytes) AS b, SUM(seconds) AS s, MAX(finished_at) AS last "
        "FROM transfers GROUP BY result")
    return {row["result"]: Totals(row["n"], row["b"] or 0, row["s"] or 0.0, row["last"]) for row in rows}


def last_target(history: History) -> tuple[str, str, float] | None:
    """(nas, drive, MB/s) of the last successful transfer: where plots are going now."""
    row = history.conn.execute(
        "SELECT nas, drive, mb_per_s FROM transfers WHERE result = ? ORDER BY finished_at DESC, id DESC LIMIT 1",
        (TransferResult.OK,)).fetchone()
    return None if row is None else (row["nas"] or "", row["drive"] or "", row["mb_per_s"])


def families(cfg: PlotterConfig, history: History, usage: Sequence[DirUsage]) -> list[Family]:
    totals = transfer_totals(history)
    # verified: a resend found the plot on the NAS; differs: the NAS holds another file of that name.
    results = [(r, totals.get(r, Totals(0, 0, 0.0, None))) for r in _COUNTED]
    target = last_target(history)
    checked = check_headers(list_dirs(cfg.plotter.plot_dirs).seen)
    # a plot left alone is not waiting; a .gplot group counts its plots
    waiting = sum(plots_in(s) for s in [*checked.good, *checked.unfinished])
    return [
        counter("chia_plotter_transfers", "Plot transfers finished, by result.",
                [({"result": r}, t.count) for r, t in results]),
        counter("chia_plotter_transfer_bytes", "Bytes of plots transferred, by result.",
                [({"result": r}, t.bytes) for r, t in results]),
        counter("chia_plotter_transfer_seconds", "Seconds spent transferring, by result.",
                [({"result": r}, t.seconds) for r, t in results]),
        gauge("chia_plotter_last_transfer_timestamp_seconds", "When the last transfer finished, by result.",
              [({"result": r}, t.last_at) for r, t in results]),
        gauge("chia_plotter_target_info", "Where the last plot went (NAS and drive).",
              [({"nas": target[0], "drive": target[1]}, 1)] if target else []),
        gauge("chia_plotter_last_transfer_mb_per_second", "Speed of the last successful transfer.",
              [({}, target[2])] if target else []),
        gauge("chia_plotter_plots_waiting",
              "Plots in the plot dirs waiting to be sent, finished or still written (not those left alone; "
              "a .gplot group file counts its group size).",
              [({}, waiting)]),
        gauge("chia_plotter_dir_total_bytes", "Size of each plot dir's filesystem.",
              [({"dir": str(u.dir)}, u.total_bytes) for u in usage]),
        gauge("chia_plotter_dir_free_bytes", "Free bytes in each plot dir's filesystem.",
              [({"dir": str(u.dir)}, u.free_bytes) for u in usage]),
        gauge("chia_plotter_last_run_timestamp_seconds", "When the last plot-manager send run (or watch round) ended.",
              [({}, history.last_run())]),
        *_plotting(cfg),
    ]


def _plotting(cfg: PlotterConfig) -> list[Family]:
    """The plot jobs' metrics, on a plotter that plots ([job] sections)."""
    if not cfg.plotting.jobs:
        return []
    from plotter.plotting.metrics import job_families, job_rows, live_phases

    rows = job_rows(cfg)
    return job_families(rows, live_phases(rows))


def collect(cfg: PlotterConfig) -> list[Family]:
    history = History(cfg.plotter.state_dir)
    try:
        return families(cfg, history, dir_usage(cfg.plotter.plot_dirs))
    finally:
        history.close()
