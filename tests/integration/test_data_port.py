"""The data port: corrupted bytes, wrong tokens and garbage never produce a .plot."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from common import protocol
from common.stream import hash_file
from plotter import config as plotter_config
from plotter.runner import send_once
from plotter.sender import Env
from tests.helpers import ROOT, make_nas, make_plotter
from tests.sshd import LocalSshd

CopyPlots = Callable[..., list[Path]]
FLIP_AT = protocol.TOKEN_BYTES + 1_000_000


class FlippingProxy:
    """Forwards one TCP connection upstream, inverting the byte at ``FLIP_AT``."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(30)
        self.flipped = threading.Event()

    def connect(self, host: str, port: int, timeout: float) -> socket.socket:
        threading.Thread(target=self._pump, args=(host, port), daemon=True).start()
        return socket.create_connection(self.listener.getsockname(), timeout=timeout)

    def _pump(self, host: str, port: int) -> None:
        conn, _ = self.listener.accept()
        with conn, socket.create_connection((host, port), timeout=30) as upstream:
            conn.settimeout(30)
            seen = 0
            while data := conn.recv(65536):
                if seen <= FLIP_AT < seen + len(data):
                    buf = bytearray(data)
                    buf[FLIP_AT - seen] ^= 0xFF
                    data = bytes(buf)
                    self.flipped.set()
                seen += len(data)
                upstream.sendall(data)
            upstream.shutdown(socket.SHUT_WR)


def test_flipped_byte_in_transit_is_caught(tmp_path: Path, sshd: LocalSshd, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, sshd)
    (source,) = copy_plots(plotter.dst, 1)
    digest = hash_file(str(source))
    proxy = FlippingProxy()

    result = send_once(plotter_config.load(plotter.ini), Env(connect_data=proxy.connect))

    assert proxy.flipped.is_set()
    assert (result.sent, result.failed) == (0, 1)
    assert source.exists() and hash_file(str(source)) == digest
    assert nas.plots() == [] and nas.parts() == []


class ReceiverSession:
    """Drives ``drive-manager receive`` by hand, as a plotter would."""

    def __init__(self, nas_ini: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "nas", "--config", str(nas_ini), "receive"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     cwd=ROOT)
        assert self.read()["msg"] == "hello"

    def send(self, msg: str, **fields: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(protocol.encode(msg, **fields))
        self.proc.stdin.flush()

    def read(self) -> dict[str, object]:
        assert self.proc.stdout is not None
        message: dict[str, object] = json.loads(self.proc.stdout.readline())
        return message

    def finish(self) -> int:
        self.proc.communicate(timeout=60)
        return self.proc.returncode


def _connect(port: object) -> socket.socket:
    assert isinstance(port, int)
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def test_wrong_token_and_garbage_are_dropped(tmp_path: Path, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    (source,) = copy_plots(tmp_path / "src", 1)
    session = ReceiverSession(nas.ini)
    session.send("offer", name=source.name, size=source.stat().st_size, hash_alg="xxh3_128")
    ready = session.read()
    assert ready["msg"] == "ready"
    with _connect(ready["port"]) as garbage:
        garbage.sendall(b"GET / HTTP/1.0\r\n\r\n" + b"x" * 100)
    with _connect(ready["port"]) as wrong:
        wrong.sendall(bytes(protocol.TOKEN_BYTES) + source.read_bytes()[:4096])

    with _connect(ready["port"]) as right:
        right.sendall(bytes.fromhex(str(ready["token"])) + source.read_bytes())
        right.shutdown(socket.SHUT_WR)
        session.send("digest", hash=hash_file(str(source)))
        stored = session.read()

    assert stored["msg"] == "stored", stored
    assert session.finish() == 0
    assert [p.name for p in nas.plots()] == [source.name]
    assert hash_file(str(nas.plots()[0])) == hash_file(str(source))


def test_receiver_gives_up_without_a_valid_token(tmp_path: Path, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=1, extra_nas="accept_timeout = 2")
    (source,) = copy_plots(tmp_path / "src", 1)
    session = ReceiverSession(nas.ini)
    session.send("offer", name=source.name, size=source.stat().st_size, hash_alg="xxh3_128")
    ready = session.read()
    with _connect(ready["port"]) as wrong:
        try:
            wrong.sendall(b"\xff" * protocol.TOKEN_BYTES + source.read_bytes())
        except ConnectionError:
            pass  # the receiver hangs up on a wrong token: that is the point

    reply = session.read()

    assert reply["msg"] == "error" and reply["code"] == "transfer"
    assert "right token" in str(reply["error"])
    assert session.finish() != 0
    assert nas.plots() == [] and nas.parts() == []


def test_receiver_rejects_a_bad_name(tmp_path: Path) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    session = ReceiverSession(nas.ini)
    session.send("offer", name="../../etc/passwd; rm -rf /", size=10, hash_alg="xxh3_128")

    reply = session.read()

    assert reply["msg"] == "error" and reply["code"] == "bad_name"
    assert session.finish() != 0
