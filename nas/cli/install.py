"""``drive-manager install cron|systemd|ssh``: see :mod:`common.assets.install`.

``ssh`` makes the plotter's key good for exactly two commands: ``receive`` (a transfer) and
``status --json`` (``plot-manager report farm``). The wrapper only *matches* what the plotter
asked for; each case runs a fixed, absolute command, so nothing the plotter sends reaches a shell.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from common.assets.install import (
    Target,
    WritePaths,
    check_path,
    cron_files,
    emit,
    make_target,
    static_prefix,
    systemd_files,
)
from common.errors import UsageError
from nas.config import NasConfig

WRAPPER = "plotyard-ssh"
DEFAULT_WRAPPER = f"/usr/local/bin/{WRAPPER}"
AUTHORIZED = "authorized_keys"
KEY_PLACEHOLDER = "ssh-ed25519 AAAA...the-plotter's-public-key... plotter01"
_PUBLIC_KEY = re.compile(r"(?:ssh|ecdsa|sk)-[A-Za-z0-9@.-]+ [A-Za-z0-9+/]+={0,3}(?: [ -~]*)?")


def write_paths(cfg: NasConfig) -> WritePaths:
    """The state dir; every drive (the fixed part of each glob, the [drive] mount points);
    the metrics text-file dir."""
    drives = [static_prefix(g) for g in cfg.nas.drive_globs] + [str(d.mountpoint) for d in cfg.drives]
    textfile = cfg.alerting.metrics.textfile
    return WritePaths(str(cfg.nas.state_dir), tuple(drives), str(textfile.parent) if textfile else None)


def wrapper_script(target: Target) -> str:
    run = f"{target.command} --config {target.config}"
    return f"""#!/bin/sh
# What the plotter's SSH key may run on this NAS (written by drive-manager install ssh).
# authorized_keys runs this for that key whatever the plotter asks; the request is only
# matched here, and each case runs a fixed command.
case "${{SSH_ORIGINAL_COMMAND:-}}" in
  receive|*" receive") exec {run} receive ;;
  "status --json"|*" status --json") exec {run} status --json ;;
esac
echo "plotyard: this key may run only 'receive' and 'status --json', not: ${{SSH_ORIGINAL_COMMAND:-}}" >&2
exit 1
"""


def public_key(path: str | None) -> str:
    if path is None:
        return KEY_PLACEHOLDER
    try:
        line = Path(path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--key {path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    if "\n" in line or not _PUBLIC_KEY.fullmatch(line):
        raise UsageError(f"--key {path}: not one OpenSSH public key line (the plotter's *.pub file)")
    return line


def ssh_files(target: Target, wrapper: str, key: str) -> dict[str, str]:
    line = f'command="{check_path(wrapper)}",restrict {key}\n'
    return {WRAPPER: wrapper_script(target), AUTHORIZED: line}


def run(cfg: NasConfig, config_path: Path, args: argparse.Namespace) -> int:
    target = make_target("nas", config_path, args.user, args.group)
    if args.kind == "cron":
        emit(cron_files(target), args.write)
    elif args.kind == "systemd":
        emit(systemd_files(target, write_paths(cfg)), args.write)
    else:
        wrapper = args.wrapper or (str(Path(args.write).absolute() / WRAPPER) if args.write else DEFAULT_WRAPPER)
        emit(ssh_files(target, wrapper, public_key(args.key)), args.write, executable=[WRAPPER])
        if args.write is None:
            print(f"# Put {WRAPPER} at {wrapper} (owned by root, mode 755) and the last line into "
                  f"~{target.user}/.ssh/{AUTHORIZED}.")
    return 0
