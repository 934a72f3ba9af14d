"""``send --once`` and ``send --watch``: list, decide, send in parallel, report."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from common.errors import (
    AppError,
    ConnectError,
    HostKeyError,
    NoSpaceError,
    PlotBusyError,
    PlotDiffersError,
    SomeFailedError,
)
from plotter.config import PlotterConfig
from plotter.plotting.jobdb import finished_plots as finished_plots_of_jobs
from plotter.send.discover import Seen, check_headers, list_dirs, open_for_writing, split_finished
from plotter.send.history import History, TransferResult
from plotter.send.lanes import Env
from plotter.send.progress import Listener
from plotter.send.sender import send_plot

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    sent: int
    failed: int  # every failure, ``differs`` included; ``busy`` is not a failure
    skipped: int
    verified: int = 0  # already on the NAS, verified: source deleted
    busy: int = 0  # being received from another sender: kept, retried next run
    differs: int = 0  # the NAS holds a different copy: kept, a person must look
    unreachable: int = 0  # no NAS could be asked: kept, never attempted
    host_key: bool = False  # a NAS among those was refused for its host key (unknown or changed)
    no_room: int = 0  # failed plots that no drive (or NAS) had room for


def run_error(result: RunResult) -> AppError | None:
    """The error a ``send --once`` run ends with, None for exit 0. Pure.

    Differing copies first (6: a person must look), then other failures (1; 14 when every one was
    for lack of room), then plots no NAS could be asked about (10: unreachable; 11 when a NAS's host
    key was refused), then plots another sender was sending to the NAS right now (4: retry later)."""
    kept = "kept on the plotter; see the log above"
    if result.differs:
        return PlotDiffersError(f"{result.differs} plot(s) differ from the NAS's copy of the same name: {kept}")
    if result.failed and result.failed == result.no_room:  # every failure was "no room": 14, not 1
        return NoSpaceError(f"{result.failed} plot(s) were kept on the plotter: no drive or NAS has room for them")
    if result.failed:
        return SomeFailedError(f"{result.failed} plot(s) failed to send and were kept; see the log above")
    if result.unreachable and result.host_key:  # 11, not 10: a person must check the key, waiting will not help
        return HostKeyError(f"{result.unreachable} plot(s) {kept}: a NAS's host key is unknown or changed")
    if result.unreachable:
        return ConnectError(f"{result.unreachable} plot(s) {kept}: no NAS is reachable for them")
    if result.busy:
        return PlotBusyError(f"{result.busy} plot(s) are being received by the NAS from another sender "
                             f"right now: {kept}, retried next run")
    return None


def finished_plots(cfg: PlotterConfig, history: History) -> list[Seen]:
    """Finished plots, oldest first; bad ones are logged once (per path and reason)."""
    listing = list_dirs(cfg.plotter.plot_dirs)
    writing = open_for_writing({s.path for s in listing.seen})
    made = finished_plots_of_jobs(cfg.plotter.state_dir) if cfg.plotting.jobs else set()
    now = time.time()
    ready, waiting = split_finished(listing.seen, now, cfg.plotter.min_plot_age, writing, made)
    young = [s for s in waiting if s.path not in writing and s.size > 0]
    if young:
        wait = min(cfg.plotter.min_plot_age - (now - s.mtime) for s in young)
        log.debug("%d plot(s) not old enough yet (min_plot_age %.0f s), next in %.0f s",
                  len(young), cfg.plotter.min_plot_age, max(wait, 0))
    checked = check_headers(ready)
    for item in listing.rejected + checked.bad:
        if history.first_report(item.path, item.reason):
            log.warning("leaving %s alone: %s", item.path, item.reason)
    for seen in checked.unfinished:
        log.debug("%s is still being written (shorter than its header's layout)", seen.path)
    return checked.good


def send_once(cfg: PlotterConfig, env: Env | None = None, stop: threading.Event | None = None) -> RunResult:
    from plotter.monitor.alerts import after_round

    own = env is None  # a caller's env (send --watch) keeps its sessions warm between rounds
    env = env or Env()
    env.host_key_refused.clear()
    env.no_room.clear()
    started = time.time()
    try:
        result = _send_round(cfg, env, stop)
    finally:
        if own:
            close_sessions(env)
    after_round(cfg, env, started)
    return replace(result, host_key=bool(env.host_key_refused), no_room=len(env.no_room))


def _send_round(cfg: PlotterConfig, env: Env, stop: threading.Event | None) -> RunResult:
    history = History(cfg.plotter.state_dir)
    try:
        plots = finished_plots(cfg, history)
        if not plots:
            log.debug("nothing to send")
            return RunResult(0, 0, 0)

        def one(same_name: list[Seen]) -> list[TransferResult | None]:  # None: skipped
            results: list[TransferResult | None] = []
            for item in same_name:  # one after the other: a second link of a sent plot meets "have"
                if stop is not None and stop.is_set():
                    results.append(None)
                    continue
                transfer = send_plot(cfg, item, env, history)
                results.append(None if transfer is None else transfer.result)
            return results

        env.stop = stop
        if env.lanes is None:
            env.lanes = threading.BoundedSemaphore(cfg.plotter.max_parallel)
        # Twice the lanes: while one plot of a lane commits on the NAS, the next one streams.
        with ThreadPoolExecutor(max_workers=2 * cfg.plotter.max_parallel, thread_name_prefix="send") as pool:
            count = Counter(r for group in pool.map(one, by_name(plots)) for r in group)
    finally:
        history.set_last_run(time.time())
        history.close()
    return RunResult(count[TransferResult.OK], count[TransferResult.FAILED] + count[TransferResult.DIFFERS],
                     count[None], count[TransferResult.VERIFIED], count[TransferResult.BUSY],
                     count[TransferResult.DIFFERS], count[TransferResult.UNREACHABLE])


def by_name(plots: list[Seen]) -> list[list[Seen]]:
    """Plots grouped by file name, in order of first appearance. Pure.

    The same plot in two plot dirs (hard-linked, or copied) is sent once and then verified."""
    groups: dict[str, list[Seen]] = {}
    for item in plots:
        groups.setdefault(item.path.name, []).append(item)
    return list(groups.values())


def send_once_checked(cfg: PlotterConfig, stop: threading.Event | None = None,
                      listener: Listener | None = None) -> int:
    env = Env(listener=listener)
    try:
        result = send_once(cfg, env, stop)
    finally:
        close_sessions(env)
    if result.sent or result.failed or result.verified or result.busy or result.unreachable:
        log.info("sent %d, already on the NAS %d, failed %d, busy elsewhere %d, waiting for a NAS %d, skipped %d",
                 result.sent, result.verified, result.failed, result.busy, result.unreachable, result.skipped)
    error = run_error(result)
    if error is not None:
        raise error
    return 0


def watch(cfg: PlotterConfig, stop: threading.Event, max_rounds: int | None = None,
          listener: Listener | None = None) -> int:
    """Send plots as they finish until ``stop`` is set (SIGTERM/SIGINT)."""
    log.info("watching %s every %.0f s", ", ".join(map(str, cfg.plotter.plot_dirs)), cfg.plotter.poll_interval)
    rounds = 0
    env = Env(listener=listener)
    try:
        while not stop.is_set() and (max_rounds is None or rounds < max_rounds):
            env.unreachable.clear()  # give a NAS that was down another chance each round
            result = send_once(cfg, env, stop)
            if result.sent or result.failed:
                log.info("sent %d, failed %d", result.sent, result.failed)
            rounds += 1
            if env.pool is not None:
                env.pool.prune()  # sessions stay warm for the next round, a while
            stop.wait(cfg.plotter.poll_interval)
    finally:
        close_sessions(env)
    return 0


def close_sessions(env: Env) -> None:
    if env.pool is not None:
        env.pool.close()
