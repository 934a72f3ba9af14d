"""Builders for test set-ups: a NAS with plain-directory drives, a plotter pointing at it."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from common.plotformat.chiapos import c3_park_bytes
from tests.sshd import LocalSshd, free_port

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class NasSetup:
    root: Path
    ini: Path
    drives: list[Path]
    state: Path

    @property
    def command(self) -> str:
        return f"{sys.executable} -m nas --config {self.ini}"

    def plots(self) -> list[Path]:
        return sorted(p for d in self.drives for pattern in ("plot-*.plot", "plot-*.plot2", "plot-*.gplot")
                      for p in d.glob(pattern))

    def parts(self) -> list[Path]:
        return sorted(p for d in self.drives for p in d.glob(".*.part"))


def make_nas(root: Path, drives: int = 2, extra_nas: str = "", drive_sections: str = "",
             drive_dirs: list[Path] | None = None) -> NasSetup:
    root.mkdir(parents=True, exist_ok=True)
    paths = drive_dirs or [root / "drives" / f"drive{i}" for i in range(1, drives + 1)]
    for path in paths:
        path.mkdir(parents=True, exist_ok=True)
    low = free_port()
    ini = root / "nas.ini"
    globs = ", ".join(str(p) for p in paths)
    ini.write_text(
        f"[nas]\ndrive_globs = {globs}\nrequire_mount = false\ndata_bind = 127.0.0.1\n"
        f"data_ports = {low}-{min(low + 20, 65535)}\nstate_dir = {root / 'state'}\nreserve = 0\n"
        f"{extra_nas}\n{drive_sections}"
    )
    return NasSetup(root, ini, paths, root / "state")


@dataclass
class PlotterSetup:
    root: Path
    ini: Path
    dst: Path
    state: Path
    extra: dict[str, str] = field(default_factory=dict)

    def plots(self) -> list[Path]:
        return sorted(p for pattern in ("*.plot", "*.plot2", "*.gplot") for p in self.dst.glob(pattern))

    def add_plot_dir(self, name: str = "dst2") -> Path:
        """A second plot dir beside ``dst``, and two senders at once, so one plot can sit in both."""
        second = self.root / name
        second.mkdir()
        self.ini.write_text(self.ini.read_text()
                            .replace(f"plot_dirs = {self.dst}", f"plot_dirs = {self.dst}, {second}")
                            .replace("max_parallel = 1", "max_parallel = 2"))
        return second


def nas_section(name: str, nas: NasSetup, sshd: LocalSshd | None) -> str:
    """A plotter's ``[nas NAME]`` section for ``nas``: over the private sshd, or local without one."""
    if sshd is None:
        return f"[nas {name}]\ntransport = local\ncommand = {nas.command}\n"
    return (
        f"[nas {name}]\ntransport = ssh\nhost = 127.0.0.1\nport = {sshd.port}\nuser = {sshd.user}\n"
        f"identity_file = {sshd.client_key}\nknown_hosts = {sshd.known_hosts}\n"
        f"command = {nas.command}\nconnect_timeout = 10\n"
    )


def make_plotter(root: Path, nas: NasSetup, sshd: LocalSshd | None, extra_plotter: str = "",
                 nas_name: str = "nas01", more_nas: str = "") -> PlotterSetup:
    dst = root / "dst"
    dst.mkdir(parents=True, exist_ok=True)
    section = nas_section(nas_name, nas, sshd)
    ini = root / "plotter.ini"
    ini.write_text(
        f"[plotter]\nplot_dirs = {dst}\nstate_dir = {root / 'state'}\nmin_plot_age = 0\n"
        f"max_parallel = 1\n{extra_plotter}\n\n{section}\n{more_nas}"
    )
    return PlotterSetup(root, ini, dst, root / "state")


def v1_plot_header(plot_id: bytes, k: int, size: int) -> bytes:
    """A chiapos-layout v1 header (128-byte memo) whose tables end exactly at ``size``:
    for files that stand in for plots (every check passes) but are never farmed."""
    head = b"Proof of Space Plot" + plot_id + bytes([k]) + (4).to_bytes(2, "big") + b"v1.0"
    head += (128).to_bytes(2, "big") + bytes(128)
    entry = (k + 7) // 8
    c3 = size - c3_park_bytes(k)  # one C3 park: one C1 checkpoint plus its terminator
    c2 = c3 - 2 * entry
    c1 = c2 - 2 * entry
    p_tables = [len(head) + 80 + i for i in range(7)]
    assert p_tables[-1] < c1, f"{size} bytes are too few for a k{k} stand-in plot"
    return head + b"".join(p.to_bytes(8, "big") for p in [*p_tables, c1, c2, c3])


def v2_plot_header(plot_id: bytes, k: int, level: int, size: int) -> bytes:
    """A bladebit-layout v2 header whose one non-empty table ends exactly at ``size``."""
    flags = 1 if level else 0
    head = b"PLOT" + (2).to_bytes(4, "little") + plot_id + bytes([k]) + (0).to_bytes(2, "big")
    head += flags.to_bytes(4, "little") + (bytes([level]) if level else b"")
    start = len(head) + 160
    pointers = [start] + [0] * 9
    sizes = [size - start] + [0] * 9
    return head + b"".join(p.to_bytes(8, "big") for p in pointers) + b"".join(s.to_bytes(8, "little") for s in sizes)


def run_cli(role: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", role, *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, stdin=subprocess.DEVNULL)


def popen_cli(role: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", role, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, stdin=subprocess.DEVNULL)


def pids_holding(path: Path) -> list[int]:
    """Processes that have ``path`` open (to kill the receiver that writes a .part)."""
    found = []
    for pid_dir in Path("/proc").iterdir():
        if not pid_dir.name.isdigit():
            continue
        try:
            links = [os.readlink(fd) for fd in (pid_dir / "fd").iterdir()]
        except OSError:
            continue
        if str(path) in links:
            found.append(int(pid_dir.name))
    return found


def wait_for(predicate: Callable[[], object], timeout: float = 60.0, what: str = "a condition") -> object:
    """Poll ``predicate`` until truthy (bounded); fail the test with ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def read_stderr_until(proc: subprocess.Popen[str], done: Callable[[str], bool], timeout: float) -> str:
    """The process's stderr so far, read line by line until ``done(text)`` (bounded; fails otherwise)."""
    assert proc.stderr is not None
    fd = proc.stderr.fileno()  # not readline(): lines it buffered would never wake select again
    seen = b""
    deadline = time.monotonic() + timeout
    while not done(seen.decode(errors="replace")) and time.monotonic() < deadline:
        if select.select([fd], [], [], 0.2)[0]:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            seen += chunk
    text = seen.decode(errors="replace")
    assert done(text), text
    return text
