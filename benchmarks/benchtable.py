"""The arithmetic of benchmarks/many_plots.py (pure, unit-tested): medians, rates, ratios,
the fixed cost per plot beyond the stream, the table, and the k a stand-in plot's name needs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from common.plotformat.plotfile import POS2_MAX_K, POS2_MIN_K
from common.plotformat.sizes import POS2_MAX_GROUP, group_range, pos2_plot_bytes

SINK, DD = "sink", "dd"


@dataclass(frozen=True)
class Run:
    """One method moving one workload once (a round), timed to after sync."""
    method: str
    workload: str
    plots: int
    nbytes: int
    seconds: float
    cpu_send: float
    cpu_recv: float | None  # None: one process does both ends (dd)
    ok: bool


@dataclass(frozen=True)
class Row:
    method: str
    workload: str
    runs: int
    seconds_per_plot: float
    mb_per_s: float
    x_sink: float | None
    x_dd: float | None
    cpu_send_per_gb: float
    cpu_recv_per_gb: float | None
    fixed_ms: float | None
    ok: bool


def median_run(runs: list[Run]) -> Run:
    """The median round by time (the lower middle of an even count: no invented figures)."""
    ordered = sorted(runs, key=lambda r: r.seconds)
    return ordered[(len(ordered) - 1) // 2]


def fixed_cost(seconds: float, nbytes: int, plots: int, large_seconds: float, large_bytes: int) -> float:
    """Seconds per plot beyond the stream: ``(total - bytes / rate) / plots``.

    The rate comes from one large plot, whose own time holds one fixed cost too. Both runs
    follow ``T = plots * f + bytes / rate``; solved for ``f``, two equations, two unknowns.
    """
    share = nbytes / large_bytes  # how many large streams' worth of bytes this run moved
    if plots == 1 and share == 1:
        raise ValueError("the large run cannot measure its own fixed cost")
    return (seconds - share * large_seconds) / (plots - share)


def stream_rate(large_seconds: float, large_bytes: int, fixed: float) -> float:
    """Bytes per second of the stream alone, once one fixed cost is taken off the large run."""
    return large_bytes / (large_seconds - fixed)


def rows(runs: Iterable[Run], large_workload: str | None) -> list[Row]:
    """One row per (workload, method): its median round, the ratios to the sink's and dd's
    median rates on the same workload, and the fixed cost against its own large run."""
    groups: dict[tuple[str, str], list[Run]] = {}
    for run in runs:
        groups.setdefault((run.workload, run.method), []).append(run)
    medians = {key: median_run(group) for key, group in groups.items()}
    out = []
    for (workload, method), med in medians.items():
        rate = med.nbytes / med.seconds
        sink, dd = medians.get((workload, SINK)), medians.get((workload, DD))
        large = medians.get((large_workload, method)) if large_workload else None
        fixed = None
        if large is not None and workload != large_workload:
            fixed = fixed_cost(med.seconds, med.nbytes, med.plots, large.seconds, large.nbytes)
        gb = med.nbytes / 1e9
        out.append(Row(
            method, workload, len(groups[(workload, method)]), med.seconds / med.plots, rate / 1e6,
            rate / (sink.nbytes / sink.seconds) if sink else None,
            rate / (dd.nbytes / dd.seconds) if dd else None,
            med.cpu_send / gb, None if med.cpu_recv is None else med.cpu_recv / gb,
            None if fixed is None else fixed * 1000, all(r.ok for r in groups[(workload, method)])))
    return out


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def markdown(table: list[Row]) -> str:
    head = ("| workload | method | s/plot | MB/s | × sink | × dd | CPU-s/GB send | CPU-s/GB receive "
            "| fixed ms/plot | copies ok |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
    return head + "".join(
        f"| {r.workload} | {r.method} | {r.seconds_per_plot:.3f} | {r.mb_per_s:.0f} | {_num(r.x_sink)} "
        f"| {_num(r.x_dd)} | {r.cpu_send_per_gb:.2f} | {_num(r.cpu_recv_per_gb)} | {_num(r.fixed_ms, 0)} "
        f"| {'yes' if r.ok else 'NO'} |\n" for r in table)


def pos2_shape_for(size: int) -> tuple[int, int]:
    """(k, group size) of a ``.gplot`` group that ``size`` bytes can plausibly be: k28 (mainnet's) when
    a k28 group of 1 to POS2_MAX_GROUP plots fits, else the largest even k that does. A stand-in's
    name and header must pass the NAS's plausible-size and group-size checks."""
    order = [28, *(k for k in range(POS2_MAX_K, POS2_MIN_K - 1, -2) if k != 28)]
    for k in order:
        plots = max(1, round(size / pos2_plot_bytes(k)))
        low, high = group_range(k, plots, plots)
        if plots <= POS2_MAX_GROUP and low <= size <= high:
            return k, plots
    raise ValueError(f"{size} bytes are no plausible PoS2 group (a k18 plot needs {group_range(18, 1, 1)[0]})")
