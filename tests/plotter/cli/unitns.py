"""Run a command under a systemd unit's home protection, in a mount namespace of its own (as root):
``unshare --mount --propagation private -- python unitns.py --home /home --user-home H --init CHIA
--rw P... --log LOG --until TEXT --timeout S -- COMMAND...``.

``/home`` becomes an empty tmpfs (the machine's real homes are neither seen nor touched), the
user's chia is initialised there (``CHIA init`` with HOME=H, as a farmer sets up the plotting user),
every ``--rw`` path under it that exists is bound onto itself and then ``/home`` is made read-only:
what ``ProtectHome=read-only`` with ``ReadWritePaths=`` does.
The command's output goes to LOG; it is ended once LOG shows TEXT. Prints ``started`` or
``exited <code>``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

MOUNT_TIMEOUT = 30.0
INIT_TIMEOUT = 120.0


def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, timeout=MOUNT_TIMEOUT)


def protect(home: Path, writable: list[Path]) -> None:
    for path in writable:
        if path.is_relative_to(home) and path.exists():
            mount("--bind", str(path), str(path))
    mount("-o", "remount,bind,ro", str(home))


def run(argv: list[str], log: Path, until: str, timeout: float, env: dict[str, str]) -> str:
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if until in log.read_text(errors="replace"):
                return "started"
            if proc.poll() is not None:
                return f"exited {proc.returncode}"
            time.sleep(0.2)
        return "timed out"
    finally:
        proc.kill()
        proc.wait(timeout=MOUNT_TIMEOUT)


def main(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="unitns")
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--rw", type=Path, action="append", default=[])
    parser.add_argument("--init", required=True)
    parser.add_argument("--user-home", required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--until", required=True)
    parser.add_argument("--timeout", type=float, required=True)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    opts = parser.parse_args(args)
    mount("-t", "tmpfs", "-o", "size=64m", "tmpfs", str(opts.home))
    Path(opts.user_home).mkdir(parents=True)
    # The unit's environment: HOME of its user (systemd sets it from User=), no CHIA_ROOT.
    env = {"PATH": "/usr/bin:/bin", "HOME": opts.user_home, "LANG": "C.UTF-8"}
    subprocess.run([opts.init, "init"], env=env, check=True, timeout=INIT_TIMEOUT, stdout=subprocess.DEVNULL)
    protect(opts.home, opts.rw)
    command = opts.command[1:] if opts.command[:1] == ["--"] else opts.command
    print(run(command, opts.log, opts.until, opts.timeout, env))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
