"""A relay between the plotter and a real ``drive-manager receive`` that loses the "stored" answer.

Run as the NAS ``command``: ``python relay.py MODE <the real command...>`` (the plotter appends
``receive``). It passes every line both ways until the receiver says "stored" (the plot is
committed on the NAS), then, instead of passing it on:

- ``kill-plotter``: SIGKILLs its parent, the plotter (local transport): the sender died after
  the NAS stored the plot;
- ``hang-up``: closes the channel: the answer was lost (the receiver or the link died after
  the rename), as over SSH.

Deterministic, unlike killing a process "right after" a rename from outside. Standard library
only: over SSH it runs as a script, not from the project.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

STORED = b'"msg":"stored"'


def pump_in(child: subprocess.Popen[bytes]) -> None:
    assert child.stdin is not None
    while line := sys.stdin.buffer.readline():
        try:
            child.stdin.write(line)
            child.stdin.flush()
        except BrokenPipeError:
            return
    child.stdin.close()


def main() -> int:
    mode, argv = sys.argv[1], sys.argv[2:]
    child = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    threading.Thread(target=pump_in, args=(child,), daemon=True).start()
    assert child.stdout is not None
    while line := child.stdout.readline():
        if STORED in line:
            if mode == "kill-plotter":
                os.kill(os.getppid(), signal.SIGKILL)
            break
        sys.stdout.buffer.write(line)
        sys.stdout.buffer.flush()
    sys.stdout.close()
    return child.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
