"""``drive-manager receive`` driven by hand, as a plotter would: every read bounded."""

from __future__ import annotations

import json
import select
import socket
import subprocess
import sys
from pathlib import Path

from common.transfer import frame, protocol
from tests.helpers import ROOT

READ_TIMEOUT = 30.0


class HandReceiver:
    def __init__(self, ini: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "nas", "--config", str(ini), "receive"], cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     bufsize=0)
        assert self.read()["msg"] == "hello"

    def send(self, msg: str, **fields: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(protocol.encode(msg, **fields))

    def read(self) -> dict[str, object]:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], READ_TIMEOUT)
        assert ready, "the receiver said nothing"
        message: dict[str, object] = json.loads(self.proc.stdout.readline())
        return message

    def offer(self, name: str, size: int) -> dict[str, object]:
        self.send("offer", name=name, size=size, hash_alg=protocol.HASH_ALG)
        return self.read()

    def goes_on(self) -> bool:
        """After a refused offer: the session still answers (a "space" query), then ends with exit 0
        when its input closes."""
        self.send("space", size=1)
        answered = self.read()["msg"] == "space"
        return answered and self.finish() == 0

    def finish(self) -> int:
        self.proc.communicate(timeout=60)
        return self.proc.returncode


def connect(ready: dict[str, object]) -> socket.socket:
    """A data connection to the port of a ``ready`` answer (no token sent yet)."""
    port = ready["port"]
    assert isinstance(port, int)
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def opening(ready: dict[str, object], size: int) -> bytes:
    """What a plotter sends first on a new data connection: the token, then the plot's frame header."""
    seq = ready["seq"]
    assert isinstance(seq, int)
    return bytes.fromhex(str(ready["token"])) + frame.header(seq, size)


def stream(ready: dict[str, object], data: bytes, size: int | None = None) -> None:
    """Connect to the data port with the right token, send the frame of a plot of ``size`` bytes
    (default: ``len(data)``) and ``data``, close."""
    with connect(ready) as conn:
        conn.sendall(opening(ready, len(data) if size is None else size) + data)
        conn.shutdown(socket.SHUT_WR)
