"""The chia_rs call that makes a group, in a child process, and a heartbeat while it runs.

``create_v2_single_plot_group`` holds the GIL and says nothing until it returns (minutes at k28, an
hour or more at k32), so the log would show no progress and the scheduler would call the job
stalled. The call runs in a child process (spawned: a fresh interpreter whose command line is not the
plotter's, so /proc shows one pos2 job, not two; same process group, so a signal to the job reaches it);
this process prints a line every HEARTBEAT seconds in which the child used CPU. A child that uses
none (stopped, hung in the kernel) gets no line, so a real stall still shows.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

HEARTBEAT = 60.0
_TICKS = os.sysconf("SC_CLK_TCK")


class PlotError(Exception):
    """The plotting child failed or was killed."""


def _child(temp: str, k: int, strength: int, group_id: bytes, meta_group: int, memo: bytes) -> None:
    from chia_rs import create_v2_single_plot_group
    from chia_rs.sized_bytes import bytes32
    from chia_rs.sized_ints import uint8, uint16

    signal.signal(signal.SIGINT, signal.SIG_DFL)  # ^C ends it like SIGTERM, without a traceback
    try:
        # plot index 0: a single-plot group's one member (another index makes proofs that do not validate)
        create_v2_single_plot_group(temp, k, strength, bytes32(group_id), uint16(0), uint8(meta_group), memo)
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"pos2: error: chia_rs could not write {temp}: {exc}", flush=True)
        sys.exit(1)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a live process, from /proc; None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def plot_with_heartbeat(temp: Path, k: int, strength: int, group_id: bytes, meta_group: int, memo: bytes,
                        say: Callable[[str], None], heartbeat: float = HEARTBEAT) -> None:
    child = multiprocessing.get_context("spawn").Process(
        target=_child, args=(str(temp), k, strength, group_id, meta_group, memo), daemon=True)
    begun = time.monotonic()
    child.start()
    assert child.pid is not None
    last_cpu = 0.0
    while True:
        child.join(heartbeat)
        if child.exitcode is not None:
            break
        used = cpu_seconds(child.pid)
        if used is not None and used > last_cpu:
            say(f"plotting, {time.monotonic() - begun:.0f} s so far, {used:.0f} CPU s")
            last_cpu = used
    if child.exitcode < 0:
        name = signal.Signals(-child.exitcode).name
        hint = " (out of memory? k28 needs about 12 GiB)" if child.exitcode == -signal.SIGKILL else ""
        raise PlotError(f"the plotting process was killed by {name}{hint}")
    if child.exitcode != 0:
        raise PlotError(f"the plotting process failed (exit code {child.exitcode})")
