"""``install cron|systemd|ssh``: the shipped example files, pointed at this install.

The files in ``cron/`` and ``systemd/`` are the single source: they are written for the
default paths (``/usr/local/bin/<command>``, ``/etc/plotyard/<role>.ini``, user ``chia``),
and :func:`render` replaces exactly those words with the running install's absolute paths,
the config file in use, the user, and the ``ReadWritePaths`` the config needs. A venv or
pipx install has no ``/usr/local/bin/drive-manager``; a unit or cron line naming it fails
with exit 127, so every command written here is absolute.
"""

from __future__ import annotations

import os
import re
import sys
import sysconfig
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from common.assets import asset_dir
from common.errors import UsageError

DEFAULT_USER = "chia"
COMMANDS = {"plotter": ("plot-manager", "plotter"), "nas": ("drive-manager", "nas")}
# cron and systemd split words on blanks and sh reads the rest: a path outside this set would
# need quoting rules of three languages, so it is refused with a clear message instead.
_SAFE_PATH = re.compile(r"[A-Za-z0-9_./@:+=-]+")
_SAFE_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class Target:
    """Where the files point: one role of one install."""

    role: str  # "plotter" | "nas"
    command: str  # absolute path of the role's command (or "<python> -m <package>")
    config: str  # absolute path of the config file in use
    user: str = DEFAULT_USER
    group: str = DEFAULT_USER


def default_target(role: str) -> Target:
    """The paths the shipped examples are written for."""
    return Target(role, f"/usr/local/bin/{COMMANDS[role][0]}", f"/etc/plotyard/{role}.ini")


def command_path(role: str, argv0: str | None = None) -> str:
    """The running install's command, absolute: the script that was run, the script beside this
    Python (venv, pipx), or this Python with ``-m`` (always works)."""
    name, package = COMMANDS[role]
    argv0 = sys.argv[0] if argv0 is None else argv0
    if os.path.basename(argv0) == name and os.path.isfile(argv0):
        return os.path.abspath(argv0)
    beside = Path(sysconfig.get_path("scripts")) / name
    if beside.is_file():
        return str(beside)
    return f"{os.path.abspath(sys.executable)} -m {package}"


def make_target(role: str, config: Path, user: str, group: str | None) -> Target:
    target = Target(role, command_path(role), os.path.abspath(config), user, group or user)
    for what, value in (("--user", target.user), ("--group", target.group)):
        if not _SAFE_NAME.fullmatch(value):
            raise UsageError(f"{what} {value!r} is not a valid user or group name")
    for word in [*target.command.split(" "), target.config]:
        check_path(word)
    return target


def check_path(path: str) -> str:
    if not path.startswith("/") or not _SAFE_PATH.fullmatch(path):
        raise UsageError(f"{path!r}: cron and systemd lines need an absolute path without spaces or quotes; "
                         "use a path (or a symlink) without them")
    return path


def static_prefix(pattern: str) -> str:
    """The directory part of a glob before its first wildcard: ``/mnt/enc*/drive*`` -> ``/mnt``."""
    parts = Path(pattern).parts
    fixed = [p for p in parts[:next((i for i, p in enumerate(parts) if _GLOB_CHARS.search(p)), len(parts))]]
    if len(fixed) < len(parts):
        return str(Path(*fixed)) if len(fixed) > 1 else "/"
    return pattern


def outermost(paths: Iterable[str]) -> list[str]:
    """Drop paths inside another one of the list (systemd makes sub-paths writable too)."""
    unique = sorted({os.path.normpath(p) for p in paths})
    kept: list[str] = []
    for path in unique:
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return kept


@dataclass(frozen=True)
class WritePaths:
    """What a role's services write: the state dir; the data dirs (plot dirs, drives), which may be
    absent at start (a '-' tells systemd to skip them, so one missing drive stops nothing); the
    metrics text-file dir."""

    state: str
    data: tuple[str, ...] = ()
    textfile: str | None = None
    plotting: tuple[str, ...] = ()  # tmp, tmp2 and log dirs of plot jobs

    def line(self, groups: Sequence[str]) -> str:
        words = [check_path(self.state)]
        dirs = [*self.data, *(self.plotting if "plotting" in groups else ())] if "data" in groups else []
        state = os.path.normpath(self.state)  # dirs inside the state dir are writable with it
        words += [f"-{check_path(p)}" for p in outermost([state, *dirs]) if p != state]
        if "textfile" in groups and self.textfile:
            words.append(f"-{check_path(self.textfile)}")
        return "ReadWritePaths=" + " ".join(words)


# What each unit writes besides the state dir: sending deletes sources in the plot dirs, check
# sweeps stale .part files on the drives and probes them; both rewrite the metrics file.
UNIT_WRITES: dict[str, tuple[str, ...]] = {
    "plotyard-plotter-send.service": ("data", "textfile"),
    "plotyard-plotter-send-once.service": ("data", "textfile"),
    "plotyard-nas-check.service": ("data", "textfile"),
    "plotyard-plotter-plot.service": ("data", "plotting"),
}


def render(text: str, target: Target, paths: WritePaths | None = None, unit: str = "") -> str:
    """One shipped file with the default words replaced by ``target``'s."""
    default = default_target(target.role)
    text = text.replace(default.command, target.command).replace(default.config, target.config)
    text = re.sub(r"(?m)^User=\S+$", f"User={target.user}", text)
    text = re.sub(r"(?m)^Group=\S+$", f"Group={target.group}", text)
    # cron.d lines (commented-out ones too): five time fields, then the user.
    text = re.sub(r"(?m)^(#? ?[0-9*]\S*\s+(?:\S+\s+){4})" + re.escape(DEFAULT_USER) + r"(\s)",
                  rf"\g<1>{target.user}\g<2>", text)
    if paths is not None:
        line = paths.line(UNIT_WRITES.get(unit, ()))
        text = re.sub(r"(?m)^ReadWritePaths=.*$", line.replace("\\", "\\\\"), text, count=1)
    return text


def unit_names(role: str) -> list[str]:
    return sorted(p.name for p in asset_dir("systemd").iterdir() if p.name.startswith(f"plotyard-{role}-"))


def systemd_files(target: Target, paths: WritePaths) -> dict[str, str]:
    directory = asset_dir("systemd")
    return {name: render((directory / name).read_text(), target, paths, name) for name in unit_names(target.role)}


def cron_files(target: Target) -> dict[str, str]:
    name = f"plotyard-{target.role}"
    return {name: render((asset_dir("cron") / name).read_text(), target)}


def emit(files: dict[str, str], write_dir: str | None, executable: Iterable[str] = ()) -> None:
    """Print the files (one alone as it is, several each under a ``# ==> name <==`` line), or write
    them into ``write_dir`` (each atomically; ``executable`` ones mode 755)."""
    if write_dir is None:
        if len(files) == 1:
            sys.stdout.write(next(iter(files.values())))
            return
        for name, text in files.items():
            sys.stdout.write(f"# ==> {name} <==\n{text}\n")
        return
    directory = Path(write_dir)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            _write(directory / name, text, 0o755 if name in executable else 0o644)
    except OSError as exc:
        raise UsageError(f"cannot write into {directory}: {exc.strerror or exc}") from None


def _write(path: Path, text: str, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.chmod(mode)
    os.replace(tmp, path)
    print(f"wrote {path}")
