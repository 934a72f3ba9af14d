"""``plot-manager view``: the textual App (keys, the job actions, the NAS status worker)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import ClassVar

from textual.binding import Binding, BindingType

from common.errors import AppError
from common.ui.viewapp import Confirm, LiveView
from common.ui.viewtext import Line
from plotter.config import PlotterConfig
from plotter.view import data, nascache, render

HELP = """plot-manager view

q          quit
↑ ↓ j k    select a job
s          suspend the selected job (SIGSTOP to its processes)
r          resume it (SIGCONT)
K          kill it (asks first, only while it runs; its temp files are removed)
?          this help (any key closes it)

NAS figures come from each NAS's status, asked in the background
every minute and kept in the state dir (nas-status/)."""
NAS_POLL = 5.0  # seconds between two looks at whether a NAS is due


class PlotView(LiveView[data.Snapshot]):
    BINDINGS: ClassVar[list[BindingType]] = [
        *LiveView.BINDINGS,
        Binding("up,k", "move(-1)", "up", show=False),
        Binding("down,j", "move(1)", "down", show=False),
        Binding("s", "suspend", "suspend"),
        Binding("r", "resume", "resume"),
        Binding("K", "kill", "kill"),
    ]
    HELP_TEXT = HELP

    def __init__(self, cfg: PlotterConfig, refresh: float = 1.0, nas_every: float = nascache.REFRESH_EVERY,
                 fetch: nascache.Fetch = nascache.default_fetch) -> None:
        super().__init__(refresh)
        self.cfg = cfg
        self.selected: int | None = None
        self.nas_every = nas_every
        self.fetch = fetch

    def collect(self) -> data.Snapshot:
        return data.build(self.cfg)

    def on_mount(self) -> None:
        super().on_mount()
        if self.cfg.nas:
            self.background(self._nas_worker, "view-nas")

    def _nas_worker(self) -> None:
        names = [t.name for t in self.cfg.nas]
        while not self.stopping.is_set():
            if nascache.due(self.cfg.plotter.state_dir, names, time.time(), self.nas_every):
                nascache.refresh_all(self.cfg.plotter.state_dir, self.cfg.nas, self.fetch)
                self.refresh_soon()
            self.stopping.wait(min(NAS_POLL, self.nas_every))

    def show(self, snapshot: data.Snapshot) -> None:
        ids = [j.id for j in snapshot.jobs]
        if self.selected not in ids:
            live = [j.id for j in snapshot.jobs if j.live]
            self.selected = live[0] if live else (ids[0] if ids else None)
        super().show(snapshot)

    def lines(self, snapshot: data.Snapshot, width: int, height: int) -> list[Line]:
        return render.screen(snapshot, width, height, self.selected, self.message)

    def action_move(self, step: int) -> None:
        if self.snapshot is None or not self.snapshot.jobs:
            return
        ids = [j.id for j in self.snapshot.jobs]
        at = ids.index(self.selected) if self.selected in ids else 0
        self.selected = ids[min(max(at + step, 0), len(ids) - 1)]
        self.say(None)

    def _selected_job(self) -> data.JobLine | None:
        """The selected job of the scheduler's own; says why not when there is none."""
        job = None if self.snapshot is None else next((j for j in self.snapshot.jobs if j.id == self.selected), None)
        if job is None:
            self.say("no job selected")
        elif job.by_hand:
            self.say(f"pid {job.pid} was started by hand: only plot-manager's own jobs can be acted on")
            return None
        return job

    def action_suspend(self) -> None:
        self._act("suspend", "suspended")

    def action_resume(self) -> None:
        self._act("resume", "resumed")

    def action_kill(self) -> None:
        job = self._selected_job()
        if job is None:
            return
        try:
            ended = kill_refusal(self.cfg, job.id)
        except (AppError, OSError, sqlite3.Error) as exc:
            ended = f"job {job.id}: {exc}"
        if ended is not None:
            self.say(ended)
            return
        question = f"Kill job {job.id} ({job.job}, phase {job.phase})? Its temp files are removed."
        self.push_screen(Confirm(question), lambda yes: self._act("kill", "killed") if yes else self.say("not killed"))

    def _act(self, action: str, done: str) -> None:
        job = self._selected_job()
        if job is None:
            return
        self.say(f"job {job.id}: {action}…")
        self.background(lambda: self._run_action(job.id, action, done), f"view-{action}")

    def _run_action(self, job_id: int, action: str, done: str) -> None:
        """In a thread: kill may wait seconds for the plotter to go."""
        try:
            apply_action(self.cfg, job_id, action)
            message = f"job {job_id} {done}"
        except (AppError, OSError, sqlite3.Error) as exc:
            message = f"job {job_id}: {exc}"
        if self.is_running:
            self.call_from_thread(self.say, message)
            self.refresh_soon()


def kill_refusal(cfg: PlotterConfig, job_id: int) -> str | None:
    """Why ``K`` offers no kill for ``job_id`` (it has ended), or None while the job runs: the
    database says so and its runjob parent is alive by pid and start time, looked at now."""
    from plotter.plotting import jobs
    from plotter.plotting.jobdb import opened

    with opened(cfg.plotter.state_dir) as db:
        row = db.get(job_id)
    if row is None:
        return f"no plot job {job_id}"
    if jobs.running(row) is not None:
        return None
    if row.live:  # its processes are gone; the scheduler records how it ended on its next pass
        return f"job {job_id} has ended: nothing to kill"
    return f"job {job_id} has ended ({row.state}): nothing to kill"


def apply_action(cfg: PlotterConfig, job_id: int, action: str) -> None:
    """What ``plot-manager jobs suspend|resume|kill ID`` does."""
    from common.errors import PlotJobError
    from plotter.plotting import jobs
    from plotter.plotting.jobdb import opened

    with opened(cfg.plotter.state_dir) as db:
        row = db.get(job_id)
        if row is None:
            raise PlotJobError(f"no plot job {job_id}")
        act: dict[str, Callable[..., object]] = {"suspend": jobs.suspend, "resume": jobs.resume, "kill": jobs.kill}
        act[action](db, row)


def run(cfg: PlotterConfig) -> int:
    result = PlotView(cfg).run()
    return 0 if result is None else result
