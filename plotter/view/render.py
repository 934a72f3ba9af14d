"""``plot-manager view`` as text: a :class:`~plotter.view.data.Snapshot` laid out for a screen of a
given size. Pure; the App only turns the lines into styled text.

An 80-column screen gets the essential columns; from :data:`WIDE` columns on, the jobs table adds
the pid and full directories and the bars grow. Short screens keep the jobs and transfers and
drop rows (then whole sections) from the bottom, saying how many are hidden.
"""

from __future__ import annotations

import time

from common.ui.viewtext import Line, Section, bar, cells, clip, clip_left, compose, duration, size
from plotter.view.data import DirLine, Event, FinishedLine, JobLine, Snapshot, TransferLine
from plotter.view.kinds import EventKind, LineState
from plotter.view.nascache import NasLine
from plotter.view.schedule import ScheduleLine

WIDE = 120
KEYS = "q quit  ↑↓/j/k select  s suspend  r resume  K kill  ? help"
STATE_STYLES = {LineState.RUNNING: "green", LineState.STARTING: "green", LineState.SUSPENDED: "yellow",
                LineState.FAILED: "red", LineState.DONE: "dim", LineState.STALLED: "red", LineState.ENDED: "yellow"}
EVENT_STYLES = {EventKind.FAILED: "red", EventKind.SEND_FAILED: "red", EventKind.ALERT: "yellow",
                EventKind.MADE: "green"}


def clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at))


def job_widths(width: int) -> tuple[list[str], list[int], frozenset[int]]:
    wide = width >= WIDE
    titles = ["ID", "JOB", "BACKEND", "K", "PHASE", "", "ELAPSED", "TMP", "DST", "STATE"]
    widths = [3, 9, 7, 2, 5, 16 if wide else 8, 7, 0, 0, 9]  # JOB: "(by hand)" fits
    if wide:
        titles.insert(1, "PID")
        widths.insert(1, 7)
    room = min(max(8, width - sum(widths) - len(widths) + 1), 80)
    widths[titles.index("TMP")] = room // 2
    widths[titles.index("DST")] = room - room // 2
    right = frozenset({0, titles.index("K"), titles.index("ELAPSED")} | ({1} if wide else set()))
    return titles, widths, right


def job_row(job: JobLine, titles: list[str], widths: list[int]) -> list[str]:
    values = {"ID": "-" if job.by_hand else str(job.id), "PID": str(job.pid or "-"), "JOB": job.job,
              "BACKEND": job.backend, "K": str(job.k),
              "PHASE": str(job.phase), "": bar(job.fraction, widths[titles.index("")]),
              "ELAPSED": duration(job.elapsed), "STATE": job.state}
    for column, path in (("TMP", job.tmp_dir), ("DST", job.dst_dir)):
        values[column] = clip_left(path or "-", widths[titles.index(column)])
    return [values[t] for t in titles]


def schedule_text(line: ScheduleLine | None, width: int) -> Line:
    if line is None or not line.jobs_configured:
        return ("no [job NAME] section: nothing to plot", "dim")
    lead = "" if line.scheduler_running else "no scheduler running (plot-manager plot); "
    if line.start is not None:
        return (f"{lead}next start: now, {line.start}", "green")
    if line.next_in is not None:
        return (f"{lead}next start in {line.next_in:.0f} s: {line.next_job}", "")
    if line.paused:
        return (f"{lead}paused: {line.paused}", "yellow")
    reasons = "; ".join(f"{job}: {why}" for job, why in line.waits) if width >= WIDE else (
        f"{line.waits[0][0]}: {line.waits[0][1]}" if line.waits else "?")
    return (f"{lead}nothing starts: {reasons}", "yellow")


def jobs_section(snap: Snapshot, width: int, selected: int | None) -> Section:
    titles, widths, right = job_widths(width)
    rows: list[Line] = []
    keep = 0
    for index, job in enumerate(snap.jobs):
        style = STATE_STYLES.get(job.state, "")
        if job.id == selected:
            style, keep = f"{style} reverse".strip(), index
        rows.append((cells(job_row(job, titles, widths), widths, right), style))
    stalled: list[Line] = [(clip(f"job {job.id} stalled since {clock(job.stalled_since)}: {job.reason}", width), "red")
                           for job in snap.jobs if job.stalled_since is not None]
    return Section("Jobs", rows, head=[(cells(titles, widths, right), "bold")],
                   tail=[*stalled, schedule_text(snap.schedule, width)], priority=0, keep=keep, empty="no plot jobs")


def place(nas: str | None, drive: str | None, width: int) -> str:
    """NAS:drive; the drive's mount point in full on a wide screen, its last name otherwise."""
    shown = drive if drive is None or width >= WIDE else drive.rstrip("/").rsplit("/", 1)[-1] or drive
    return f"{nas or 'no NAS'}:{shown or '-'}"


def transfer_row(t: TransferLine, width: int) -> Line:
    where = place(t.nas, t.drive, width)
    if t.connecting:
        return (f"{clip(t.name, width - 20)}  connecting", "")
    wide = width >= WIDE
    tail = (f" {bar(t.fraction, 20 if wide else 10)} {100 * t.fraction:3.0f}% {t.mb_per_s:6.1f} MB/s "
            f"ETA {duration(t.eta_seconds)}")
    head = max(10, width - len(tail) - len(where) - 4)
    return (f"{clip(t.name, head)} → {where}{tail}", "cyan")


def finished_row(f: FinishedLine, width: int) -> Line:
    where = place(f.nas, f.drive, width)
    if f.ok:
        text = f"{clock(f.finished_at)} sent {f.mb_per_s:5.1f} MB/s {duration(f.seconds):>5} → {where} {f.plot}"
        return (text, "dim")
    return (f"{clock(f.finished_at)} FAILED {f.plot}: {f.error or '?'}", "red")


def transfers_section(snap: Snapshot, width: int, finished_shown: int) -> Section:
    rows = [transfer_row(t, width) for t in snap.transfers]
    rows += [finished_row(f, width) for f in snap.finished[:finished_shown]]
    waiting = f"{snap.waiting} plot{'s' if snap.waiting != 1 else ''} waiting to be sent"
    return Section(f"Transfers ({len(snap.transfers)} running)", rows, tail=[(waiting, "")], priority=1,
                   empty="no transfer running, none finished yet")


def dir_row(d: DirLine, width: int) -> Line:
    if d.free is None or d.total is None:
        return (f"{d.path} ({', '.join(d.roles)}): cannot be read", "red")
    used = 1 - d.free / d.total if d.total else 0.0
    headed = f"jobs {','.join(map(str, d.jobs))}" if d.jobs else "no job"
    tail = f" {bar(used, 8)} {size(d.free):>7} free  {headed}" + (f", {d.waiting} to send" if d.waiting else "")
    label = f" {'/'.join(d.roles)}"
    path = clip_left(d.path, max(8, width - len(tail) - len(label)))
    return (f"{path}{label}{tail}", "")


def nas_row(n: NasLine, now: float, width: int) -> Line:
    if n.reachable is None:
        return (f"{n.name}: not asked yet", "dim")
    error = "" if n.reachable else f"  UNREACHABLE: {n.error}"
    if n.ok_at is None:
        return (f"{n.name}: no status yet{error}", "red")
    target = place(None, n.target, width).split(":", 1)[1] if n.target else (
        "spread" if n.policy == "spread" else "none")
    free = "?" if n.plots_free is None else str(n.plots_free)
    problems = ", ".join(f"{count} {what}" for count, what in ((n.full, "full"), (n.offline, "offline"),
                                                              (n.missing, "missing"), (n.failing, "failing")) if count)
    text = (f"{n.name} {'ok' if n.reachable else 'DOWN'}  receive {target}  {free} plots free "
            f"({size(n.free_bytes)})  {n.drives} drives" + (f": {problems}" if problems else "")
            + f"  read {duration(now - n.ok_at)} ago{error}")
    return (text, "" if n.reachable and not n.failing else "red")


def event_row(e: Event) -> Line:
    style = EVENT_STYLES.get(e.kind, "")
    return (f"{clock(e.at)} {e.kind:<11} {e.text}", style)


def screen(snap: Snapshot, width: int, height: int, selected: int | None = None, message: str | None = None
           ) -> list[Line]:
    tall = height >= 40
    sections = [
        jobs_section(snap, width, selected),
        transfers_section(snap, width, 5 if tall else 3),
        Section("Directories", [dir_row(d, width) for d in snap.dirs], priority=3, empty="no directories"),
        Section("NAS", [nas_row(n, snap.taken_at, width) for n in snap.nas], priority=2, empty="no [nas] section"),
        Section("Recent events", [(p, "red") for p in snap.problems] + [event_row(e) for e in snap.events],
                priority=4, empty="nothing yet"),
    ]
    top = (f"plot-manager view  {snap.host}  {clock(snap.taken_at)}", "bold")
    bottom = (message, "bold yellow") if message else (KEYS, "dim")
    return compose(top, sections, bottom, width, height)
