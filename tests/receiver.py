"""``drive-manager receive`` driven by hand, as a plotter would: every read bounded."""

from __future__ import annotations

import json
import select
import socket
import subprocess
import sys
from pathlib import Path

from common.transfer import protocol
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

    def finish(self) -> int:
        self.proc.communicate(timeout=60)
        return self.proc.returncode


def connect(ready: dict[str, object]) -> socket.socket:
    """A data connection to the port of a ``ready`` answer (no token sent yet)."""
    port = ready["port"]
    assert isinstance(port, int)
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def stream(ready: dict[str, object], data: bytes) -> None:
    """Connect to the data port with the right token, send ``data``, close."""
    with connect(ready) as conn:
        conn.sendall(bytes.fromhex(str(ready["token"])) + data)
        conn.shutdown(socket.SHUT_WR)
