"""What the view shows a job as, and the labels of its recent events: small closed sets of strings."""

from __future__ import annotations

from enum import StrEnum

from plotter.plotting.jobdb import JobState


class LineState(StrEnum):
    """A job as the view shows it: its recorded :class:`JobState`, or what the view sees first."""

    STARTING = JobState.STARTING.value
    RUNNING = JobState.RUNNING.value
    SUSPENDED = JobState.SUSPENDED.value
    DONE = JobState.DONE.value
    FAILED = JobState.FAILED.value
    ENDED = "ended"  # the process is gone; the next scheduling pass records how
    STALLED = "stalled"  # running, but no progress for stall_after (plotter.plotting.stall)


LIVE_LINES = (LineState.STARTING, LineState.RUNNING, LineState.SUSPENDED, LineState.STALLED)


class EventKind(StrEnum):
    """The label of a line in the view's recent events."""

    MADE = "made"
    FAILED = "failed"
    SENT = "sent"
    SEND_FAILED = "send failed"
    ALERT = "alert"
