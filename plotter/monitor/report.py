"""``plot-manager report farm``: every NAS's ``drive-manager status --json``, gathered over SSH,
as one farm-wide report."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from common.errors import AppError, ConnectError, NotifyError
from common.notify.base import Notice, SendMode, Severity
from common.notify.dispatch import Notifier
from common.notify.render import render
from common.status.farm import farm_line, names_on_several
from common.status.summary import ReplotView, Summary, combine_replot, replot_line, summarize
from plotter.config import NasTarget, PlotterConfig
from plotter.link.session import run_command
from plotter.monitor.nas_status import NotAStatus, parse_status
from plotter.plotting.metrics import Made

log = logging.getLogger(__name__)

STATUS_ARGS = ("status", "--json")
STATUS_TIMEOUT = 120.0  # status reads SMART (cached) on every drive


@dataclass(frozen=True)
class NasReport:
    name: str
    summary: Summary | None
    error: str | None = None


@dataclass(frozen=True)
class Farm:
    nases: tuple[NasReport, ...]

    @property
    def reached(self) -> list[NasReport]:
        return [n for n in self.nases if n.summary is not None]

    def _sum(self, pick: Callable[[Summary], float | None]) -> float | None:
        values = [pick(n.summary) for n in self.reached if n.summary is not None]
        return None if not values or any(v is None for v in values) else sum(v for v in values if v is not None)

    @property
    def drives(self) -> int:
        return int(self._sum(lambda s: s.drive_count) or 0)

    @property
    def plots(self) -> int:
        return int(self._sum(lambda s: s.plots) or 0)

    @property
    def plot_tb(self) -> float | None:
        return self._sum(lambda s: s.plot_tb)

    @property
    def plots_until_full(self) -> float | None:
        return self._sum(lambda s: s.plots_until_full)

    @property
    def received_24h(self) -> float | None:
        return self._sum(lambda s: s.received_24h)

    @property
    def tb_per_day(self) -> float | None:
        return self._sum(lambda s: s.tb_per_day)

    @property
    def days_to_full(self) -> float | None:
        until, got = self.plots_until_full, self.received_24h
        return None if until is None or not got else until / got

    @property
    def replot(self) -> ReplotView | None:
        """The replot figures of the NAS that report them, summed (None: none does)."""
        return combine_replot([n.summary.replot for n in self.reached if n.summary and n.summary.replot])

    @property
    def farm_lines(self) -> list[tuple[str, str]]:
        """(NAS, what its harvester farms) for the NAS that run the farm check."""
        return [(n.name, farm_line(n.summary.farm)) for n in self.reached if n.summary and n.summary.farm]

    @property
    def not_farmed(self) -> int:
        return sum(n.summary.farm.not_farmed or 0 for n in self.reached if n.summary and n.summary.farm)

    @property
    def stored_twice(self) -> dict[str, tuple[str, ...]]:
        """Plot names stored on two NAS or more (farmed twice, or one copy wasted)."""
        return names_on_several({n.name: n.summary.farm.names for n in self.reached
                                 if n.summary and n.summary.farm})


def gather(targets: Sequence[NasTarget], fetch: Callable[[NasTarget], bytes] | None = None) -> Farm:
    """Ask every NAS at once; one that fails, or answers with something that is not a NAS
    status, is listed with its reason, never fatal."""
    fetch = fetch or (lambda t: run_command(t, STATUS_ARGS, STATUS_TIMEOUT))

    def one(target: NasTarget) -> NasReport:
        try:
            data = parse_status(fetch(target))
        except AppError as exc:
            return NasReport(target.name, None, exc.message)
        except NotAStatus as exc:
            return NasReport(target.name, None, f"[nas {target.name}]: {exc}")
        return NasReport(target.name, summarize(data, host=data.get("host") or target.host))

    with ThreadPoolExecutor(max_workers=min(8, max(1, len(targets))), thread_name_prefix="report") as pool:
        return Farm(tuple(pool.map(one, targets)))


def farm_notice(farm: Farm, made: Made | None = None) -> Notice:
    """``made``: what this plotter's plot jobs made in the last 24 h (None: it does not plot)."""
    day = time.strftime("%Y-%m-%d")
    down = [n.name for n in farm.nases if n.summary is None]
    if farm.reached:
        text = (f"{farm.plots} plots on {farm.drives} drives in {len(farm.reached)} NAS; "
                f"{_fmt(farm.received_24h)} received in 24 h; {_fmt(farm.plots_until_full)} until full")
    else:  # no figures: zeros would read as an empty farm
        text = "no NAS could be read"
    if farm.replot is not None:
        text += f"; {replot_line(farm.replot)}"
    if farm.farm_lines:
        text += f"; {farm.not_farmed} plots not farmed"
    if farm.stored_twice:
        text += f"; {len(farm.stored_twice)} plot names stored on two NAS"
    if down:
        text += f"; unreachable: {', '.join(down)}"
    if made is not None:
        text += f"; this plotter made {made.plots} plots in 24 h ({made.failed} failed)"
    return Notice(kind="farm_report", key=f"farm_report:{day}", title=f"Farm report {day}", text=text,
                  severity=Severity.WARNING if down else Severity.INFO, standing=False,
                  context={"farm": farm, "made": made})


def _made(cfg: PlotterConfig) -> Made | None:
    if not cfg.plotting.jobs:
        return None
    from plotter.plotting.metrics import DAY, job_rows, made_since

    return made_since(job_rows(cfg), time.time() - DAY)


def _fmt(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f}"


def run(cfg: PlotterConfig, print_it: bool, send: bool) -> int:
    """Print and/or send the report; then fail (exit 10) if not one NAS could be read,
    so a timer or cron job notices a farm report without figures."""
    farm = gather(cfg.nas)
    notice = farm_notice(farm, _made(cfg))
    notifier = Notifier(cfg.alerting.notify)
    if print_it or not send:
        print(render(notice, SendMode.ONCE, notifier.host).text, end="", flush=True)
    if send and not notifier.deliver(notice, SendMode.ONCE):
        raise NotifyError("the farm report reached no channel (see [notify] farm_report and the log above)")
    if not farm.reached:
        raise ConnectError(f"no NAS could be read ({len(farm.nases)} unreachable; the report says why)")
    return 0
