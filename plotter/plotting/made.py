"""Which plot a job made: a fact recorded when it becomes true, not when the scheduler next looks.

With ``min_plot_age = 0`` and a fast NAS, or a scheduler stopped around a job's end, the sender may
move the plot before any scheduler pass sees it in the dst dir. So the fact "this job made plot X
(name, size)" has two records independent of who moves the plot later: the ``runjob`` parent writes
it into the job's status file as soon as the plotter exited 0 (:func:`find_final`), and the
sender's history says that a plot of that id was stored on a NAS (:func:`sent`). A job that exited
0 is done when any of them (or the dst dir itself) shows its plot.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from plotter.plotting import logs
from plotter.plotting.backends import get as get_backend
from plotter.send.history import History, TransferResult
from plotter.send.history import db_path as history_path


@dataclass(frozen=True)
class Made:
    name: str
    size: int
    nas: str | None = None  # where the sender stored it, when it was gone from the dst dir


def plot_id_in_log(log: Path, backend: str) -> str | None:
    try:
        lines = logs.split_lines(log.read_bytes())
    except OSError:
        return None
    return logs.plot_id(lines, backend) if lines else None


def find_final(backend: str, dst_dir: Path, plot_id: str) -> Made | None:
    """The job's final plot in its dst dir now, with its size."""
    for path in sorted(dst_dir.glob(get_backend(backend).final_glob(plot_id))):
        try:
            return Made(path.name, path.stat().st_size)
        except OSError:
            continue  # moved between the listing and the stat
    return None


def from_status(status: dict[str, object]) -> Made | None:
    """What the runjob parent recorded (status keys ``plot`` and ``plot_bytes``)."""
    name, size = status.get("plot"), status.get("plot_bytes")
    if isinstance(name, str) and name and isinstance(size, int) and not isinstance(size, bool) and size > 0:
        return Made(name, size)
    return None


def sent(state_dir: Path, backend: str, plot_id: str, since: float) -> Made | None:
    """A plot of this id that the sender stored on a NAS (or found stored there) since ``since``."""
    if not history_path(state_dir).exists():
        return None  # nothing was ever sent from here; do not create the history
    history = History(state_dir)
    try:
        row = history.conn.execute(
            "SELECT plot, bytes, nas FROM transfers WHERE result IN (?, ?) AND plot GLOB ? "
            "AND finished_at >= ? ORDER BY finished_at LIMIT 1",
            (TransferResult.OK, TransferResult.VERIFIED, get_backend(backend).final_glob(plot_id), since)).fetchone()
    finally:
        history.close()
    return None if row is None else Made(str(row["plot"]), int(row["bytes"]), row["nas"])


def made_plot(state_dir: Path, backend: str, dst_dir: Path, plot_id: str | None, status: dict[str, object],
              since: float) -> Made | None:
    """The plot a job that exited 0 made, from whichever record shows it; None when none does."""
    recorded = from_status(status)
    if recorded is not None:
        return recorded
    if plot_id is None:
        return None
    return find_final(backend, dst_dir, plot_id) or sent(state_dir, backend, plot_id, since)
