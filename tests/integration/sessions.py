"""Parts for the session fault tests: a NAS command that counts its receivers, the receivers of a
NAS found in /proc, a NAS switched off (its sshd and everything under it killed), and the checks
that hold whatever broke: a plot is on the NAS once and whole, or its source is still here."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from common.transfer.stream import hash_file
from plotter.plotting.process import procs
from plotter.plotting.process.procs import ProcStat
from tests.helpers import NasSetup, PlotterSetup, make_nas, make_plotter, wait_for
from tests.sshd import LocalSshd

CopyPlots = Callable[..., list[Path]]

# The NAS command, wrapped: one line per start, then the real `drive-manager` in the same process
# (so /proc shows the receiver's own command line, and signals reach it, not a wrapper).
COUNTING = """\
import os, sys
with open({log!r}, "a") as handle:
    handle.write(" ".join(sys.argv[1:]) + "\\n")
os.execv(sys.executable, [sys.executable, "-m", "nas", *sys.argv[1:]])
"""


@dataclass
class Lab:
    """A NAS, a plotter sending to it, and the plots it started with (name -> hash)."""

    nas: NasSetup
    plotter: PlotterSetup
    hashes: dict[str, str]
    log: Path  # one line per NAS command started

    def receiver_starts(self) -> int:
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        return sum(1 for line in lines if line.split()[-1:] == ["receive"])

    def sources(self) -> list[str]:
        return sorted(p.name for p in self.plotter.plots())

    def stored(self) -> list[str]:
        return sorted(p.name for p in self.nas.plots())

    def assert_safe(self) -> None:
        """Whatever broke: every file under a plot name on the NAS is the whole plot (its source's
        hash), none is there twice, and every source that is gone has its copy there."""
        copies = self.nas.plots()
        names = [p.name for p in copies]
        assert len(names) == len(set(names)), f"a plot stored twice: {names}"
        for copy in copies:
            assert hash_file(str(copy)) == self.hashes[copy.name], f"{copy} is not the whole plot"
        for name in set(self.hashes) - set(self.sources()):
            assert name in names, f"{name}: source deleted without a copy on the NAS"

    def assert_all_stored_once(self) -> None:
        self.assert_safe()
        assert self.stored() == sorted(self.hashes) and self.sources() == []
        assert self.nas.parts() == []


def lab(root: Path, sshd: LocalSshd, copy_plots: CopyPlots, plots: int, extra_plotter: str = "",
        drives: int = 1, extra_nas: str = "", drive_dirs: list[Path] | None = None,
        drive_sections: str = "") -> Lab:
    nas = make_nas(root / "nas", drives=drives, extra_nas=extra_nas, drive_dirs=drive_dirs,
                   drive_sections=drive_sections)
    plotter = make_plotter(root / "plotter", nas, sshd, extra_plotter=extra_plotter)
    log = root / "nas-starts.log"
    wrapper = root / "counting-nas.py"
    wrapper.write_text(COUNTING.format(log=str(log)))
    ini = plotter.ini.read_text()
    assert f"command = {nas.command}\n" in ini
    plotter.ini.write_text(ini.replace(f"command = {nas.command}\n",
                                       f"command = {sys.executable} {wrapper} --config {nas.ini}\n"))
    sources = copy_plots(plotter.dst, plots)
    return Lab(nas, plotter, {p.name: hash_file(str(p)) for p in sources}, log)


def size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1  # renamed or removed since it was listed


def streaming_after(nas: NasSetup, stored: int, timeout: float = 60) -> str:
    """Wait until ``stored`` plots are on the NAS and the next one streams into a ``.part``
    (bytes in it, not all yet); the name of that plot."""
    def next_part() -> str | None:
        if len(nas.plots()) != stored:
            return None
        parts = [p for p in nas.parts() if size_of(p) > 0]
        return parts[0].name[1:-len(".part")] if parts else None
    name = wait_for(next_part, timeout, f"plot {stored + 1} to stream after {stored} stored")
    assert isinstance(name, str)
    return name


def _argv(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [a.decode("utf-8", "replace") for a in raw.split(b"\0")[:-1]]


def receivers(nas: NasSetup) -> list[ProcStat]:
    """The live ``drive-manager receive`` processes of this NAS (by their whole command line:
    this interpreter, this NAS's config; never a shell that merely mentions it)."""
    want = [sys.executable, "-m", "nas", "--config", str(nas.ini), "receive"]
    found = (procs.stat(int(e)) for e in os.listdir("/proc") if e.isdigit() and _argv(int(e)) == want)
    return [p for p in found if p is not None and p.state != "Z"]


def kill_receiver(nas: NasSetup) -> ProcStat:
    """SIGKILL the NAS's one receiver (pid and start time checked through a pidfd); returns once it is gone."""
    (receiver,) = receivers(nas)
    assert procs.send(receiver, signal.SIGKILL)
    wait_for(lambda: not procs.alive(receiver.pid, receiver.start), 30, "the killed receiver to be gone")
    return receiver


def _ppid(pid: int) -> int | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(text[text.rindex(")") + 2:].split()[1])


def _tree(root: int) -> list[ProcStat]:
    """``root`` and every live process under it, from one look at /proc."""
    parents = {int(e): _ppid(int(e)) for e in os.listdir("/proc") if e.isdigit()}
    members, todo = [], [root]
    while todo:
        pid = todo.pop()
        found = procs.stat(pid)
        if found is not None and found.state != "Z":
            members.append(found)
        todo += [child for child, parent in parents.items() if parent == pid]
    return members


def power_off(server: LocalSshd) -> list[ProcStat]:
    """The NAS goes down at once: its sshd and every process under it (each session's shell and
    receiver) are stopped, so none can fork away, then killed. Returns what was killed."""
    held: dict[tuple[int, int], ProcStat] = {}
    for _ in range(20):  # each round stops what the last one found; stopped processes fork no more
        new = [p for p in _tree(server.proc.pid) if (p.pid, p.start) not in held]
        if not new:
            break
        for process in new:
            if procs.send(process, signal.SIGSTOP):
                held[(process.pid, process.start)] = process
    else:
        raise AssertionError("the sshd's process tree kept growing while it was being stopped")
    for process in held.values():
        procs.send(process, signal.SIGKILL)
    server.proc.wait(timeout=30)
    wait_for(lambda: not any(procs.alive(p.pid, p.start) for p in held.values()), 30, "the NAS's processes to die")
    return list(held.values())
