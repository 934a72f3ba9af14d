"""The plotter's exactly-once decisions: how a NAS copy compares, how a run ends, same-name grouping."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from common.errors import (
    ConnectError,
    HostKeyError,
    NoSpaceError,
    PlotBusyError,
    PlotDiffersError,
    RemoteError,
    SomeFailedError,
    TransferError,
)
from common.plotformat.plotfile import parse_name
from plotter.link.replies import Have
from plotter.send.discover import Seen
from plotter.send.history import TransferResult
from plotter.send.resend import differ, differs_notice, no_room, result_of
from plotter.send.runner import RunResult, by_name, run_error

NAME = "plot-k32-2024-01-01-00-00-" + "ab" * 32 + ".plot"


def seen(directory: str, size: int = 1000, name: str = NAME) -> Seen:
    return Seen(Path(directory) / name, size, time.time(), parse_name(name))


@pytest.mark.parametrize(("have", "local_hash", "expected"), [
    (Have("/mnt/d1/x", 1000, "aa"), "aa", None),
    (Have("/mnt/d1/x", 1000, "aa"), None, None),  # size alone cannot tell: the caller hashes next
    (Have("/mnt/d1/x", 999, "aa"), None, "999 bytes there, 1000 here"),
    (Have("/mnt/d1/x", 1000, "aa"), "bb", "hash aa there, bb here"),
])
def test_differ(have: Have, local_hash: str | None, expected: str | None) -> None:
    why = differ(seen("/plots"), have, "nas01", local_hash)
    if expected is None:
        assert why is None
    else:
        assert why is not None and why.startswith("the copies differ: nas01:/mnt/d1/x") and expected in why


def test_result_of() -> None:
    assert result_of(RemoteError("x is being received", "busy")) == TransferResult.BUSY
    assert result_of(PlotBusyError("x")) == TransferResult.BUSY
    assert result_of(PlotDiffersError("the copies differ")) == TransferResult.DIFFERS
    assert result_of(RemoteError("exists", "exists")) == TransferResult.FAILED
    assert result_of(TransferError("broken")) == TransferResult.FAILED
    assert no_room(RemoteError("no drive can take 1 bytes", "no_space")) and no_room(NoSpaceError("full"))
    assert not no_room(RemoteError("exists", "exists"))


@pytest.mark.parametrize(("result", "kind"), [
    (RunResult(3, 0, 1, verified=2), None),
    (RunResult(0, 0, 0, busy=1), PlotBusyError),
    (RunResult(0, 1, 0, busy=1), SomeFailedError),
    (RunResult(0, 2, 0, busy=1, differs=1), PlotDiffersError),
    (RunResult(0, 2, 0, no_room=2), NoSpaceError),  # 14: every failure was "no room"
    (RunResult(0, 2, 0, no_room=1), SomeFailedError),
    (RunResult(0, 0, 0, unreachable=1), ConnectError),
    (RunResult(0, 0, 0, unreachable=1, host_key=True), HostKeyError),  # 11: a person must check the key
])
def test_run_error_precedence(result: RunResult, kind: type | None) -> None:
    error = run_error(result)
    assert (error is None) if kind is None else type(error) is kind


def test_by_name_keeps_links_of_one_plot_together() -> None:
    other = "plot-k32-2024-01-01-00-00-" + "cd" * 32 + ".plot"
    plots = [seen("/a"), seen("/a", name=other), seen("/b")]
    assert [[str(s.path.parent) for s in group] for group in by_name(plots)] == [["/a", "/b"], ["/a"]]


def test_differs_notice_is_a_transfer_failing_event() -> None:
    row = {"plot": NAME, "nas": "nas01", "error": "the copies differ: ...", "finished_at": 0.0}
    notice = differs_notice(row)
    assert notice.kind == "transfer_failing" and notice.severity == "critical" and not notice.standing
    assert notice.key == f"transfer_failing:differs:{NAME}" and notice.context["failures"] == [row]
