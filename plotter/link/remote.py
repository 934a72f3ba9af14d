"""The text of the NAS command's life: the pid announcement put before it, the command that ends its
process group, and the lines logged about it. Only text is made here; :mod:`plotter.link.session`
runs it and does the waiting.
"""

from __future__ import annotations

import re

from plotter.config import NasTarget

CLOSE_WAIT = 10.0  # seconds a NAS command gets to exit once its stdin is closed (our receiver needs far less)
TERM_WAIT = 5.0  # seconds between SIGTERM and SIGKILL to a NAS command that outlived CLOSE_WAIT
# sshd starts the login shell as a session (and process group) leader; a child sh prints that
# shell's pid, so a hung command can be ended with its whole group. Not `$$`: fish refuses it.
ANNOUNCE = "sh -c 'echo plotyard-pid $PPID'; "
PID_LINE = re.compile(rb"(?:^|\n)plotyard-pid ([0-9]{1,10})\r?\n")
HEAD_LIMIT = 2**16  # the announcement comes before the command's output, after at most the rc files' noise


def last_line(err: bytes) -> str:
    lines = err.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else ""


def still_running(target: NasTarget, pid: int | None) -> str:
    group = f" (process group {pid})" if pid else ""
    return (f"[nas {target.name}]: `{target.command}` is still running{group} {CLOSE_WAIT:.0f} s after "
            "its input closed")


def without_announcement(out: bytes) -> bytes:
    found = PID_LINE.search(out)
    if found is None:
        return out
    keep = b"\n" if found.group(0).startswith(b"\n") else b""  # the line before it keeps its end
    return out[:found.start()] + keep + out[found.end():]


def kill_command(pid: int, sig: str) -> str:
    """A command for the NAS's login shell that signals the process group ``pid`` leads (or,
    if it leads none, ``pid``): POSIX ``kill -s``, which dash, bash, zsh and procps all take."""
    return f"kill -s {sig} -- -{pid} 2>/dev/null || kill -s {sig} {pid}"
