"""``send --once`` and ``send --watch``: list, decide, send in parallel, report."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from common.errors import SomeFailedError
from plotter.config import PlotterConfig
from plotter.discover import Seen, check_headers, list_dirs, open_for_writing, split_finished
from plotter.history import History
from plotter.plotting.jobdb import finished_plots as finished_plots_of_jobs
from plotter.progress import Listener
from plotter.sender import Env, send_plot

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    sent: int
    failed: int
    skipped: int


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
    from plotter.alerts import after_round

    env = env or Env()
    started = time.time()
    result = _send_round(cfg, env, stop)
    after_round(cfg, env, started)
    return result


def _send_round(cfg: PlotterConfig, env: Env, stop: threading.Event | None) -> RunResult:
    history = History(cfg.plotter.state_dir)
    try:
        plots = finished_plots(cfg, history)
        if not plots:
            log.debug("nothing to send")
            return RunResult(0, 0, 0)

        def one(item: Seen) -> str:
            if stop is not None and stop.is_set():
                return "skipped"
            transfer = send_plot(cfg, item, env, history)
            return "skipped" if transfer is None else transfer.result

        with ThreadPoolExecutor(max_workers=cfg.plotter.max_parallel, thread_name_prefix="send") as pool:
            results = list(pool.map(one, plots))
    finally:
        history.set_last_run(time.time())
        history.close()
    return RunResult(results.count("ok"), results.count("failed"), results.count("skipped"))


def send_once_checked(cfg: PlotterConfig, stop: threading.Event | None = None,
                      listener: Listener | None = None) -> int:
    result = send_once(cfg, Env(listener=listener), stop)
    if result.sent or result.failed:
        log.info("sent %d, failed %d, skipped %d", result.sent, result.failed, result.skipped)
    if result.failed:
        raise SomeFailedError(f"{result.failed} plot(s) failed to send and were kept; see the log above")
    return 0


def watch(cfg: PlotterConfig, stop: threading.Event, max_rounds: int | None = None,
          listener: Listener | None = None) -> int:
    """Send plots as they finish until ``stop`` is set (SIGTERM/SIGINT)."""
    log.info("watching %s every %.0f s", ", ".join(map(str, cfg.plotter.plot_dirs)), cfg.plotter.poll_interval)
    rounds = 0
    env = Env(listener=listener)
    while not stop.is_set() and (max_rounds is None or rounds < max_rounds):
        env.unreachable.clear()  # give a NAS that was down another chance each round
        result = send_once(cfg, env, stop)
        if result.sent or result.failed:
            log.info("sent %d, failed %d", result.sent, result.failed)
        rounds += 1
        stop.wait(cfg.plotter.poll_interval)
    return 0
