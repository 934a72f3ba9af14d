"""The data port: corrupted bytes, wrong tokens and garbage never produce a .plot."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from common.locking import is_locked
from common.transfer import protocol
from common.transfer.stream import hash_file
from nas import config as nas_config
from nas.drives.locks import lock_path
from plotter import config as plotter_config
from plotter.link.session import connect_data
from plotter.send.lanes import Env
from plotter.send.runner import send_once
from tests.flood import PortFlood, Trickler
from tests.helpers import NasSetup, make_nas, make_plotter, wait_for
from tests.receiver import HandReceiver, connect, opening
from tests.sshd import LocalSshd, free_port

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


def test_wrong_token_and_garbage_are_dropped(tmp_path: Path, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    (source,) = copy_plots(tmp_path / "src", 1)
    session = HandReceiver(nas.ini)
    session.send("offer", name=source.name, size=source.stat().st_size, hash_alg="xxh3_128")
    ready = session.read()
    assert ready["msg"] == "ready"
    with connect(ready) as garbage:
        garbage.sendall(b"GET / HTTP/1.0\r\n\r\n" + b"x" * 100)
    with connect(ready) as wrong:
        wrong.sendall(bytes(protocol.TOKEN_BYTES) + source.read_bytes()[:4096])

    with connect(ready) as right:
        right.sendall(opening(ready, source.stat().st_size) + source.read_bytes())
        right.shutdown(socket.SHUT_WR)
        session.send("digest", hash=hash_file(str(source)))
        stored = session.read()

    assert stored["msg"] == "stored", stored
    assert session.finish() == 0
    assert [p.name for p in nas.plots()] == [source.name]
    assert hash_file(str(nas.plots()[0])) == hash_file(str(source))


@pytest.mark.slow
def test_receiver_gives_up_without_a_valid_token(tmp_path: Path, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=1, extra_nas="accept_timeout = 2")
    (source,) = copy_plots(tmp_path / "src", 1)
    session = HandReceiver(nas.ini)
    session.send("offer", name=source.name, size=source.stat().st_size, hash_alg="xxh3_128")
    ready = session.read()
    with connect(ready) as wrong:
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
    session = HandReceiver(nas.ini)
    session.send("offer", name="../../etc/passwd; rm -rf /", size=10, hash_alg="xxh3_128")

    reply = session.read()

    assert reply["msg"] == "error" and reply["code"] == "bad_name"
    assert session.goes_on()  # refused before any byte: the session goes on


def _narrow_ports(nas: NasSetup, count: int) -> tuple[int, int]:
    """Give the NAS a data_ports range of ``count`` ports (small, so a flood can cover it all)."""
    low = free_port()
    ports = (low, low + count - 1)
    text = nas.ini.read_text()
    old = next(line for line in text.splitlines() if line.startswith("data_ports"))
    nas.ini.write_text(text.replace(old, f"data_ports = {ports[0]}-{ports[1]}"))
    return ports


@pytest.mark.slow
def test_a_flood_on_every_data_port_does_not_block_the_transfer(
        tmp_path: Path, sshd: LocalSshd, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    ports = _narrow_ports(nas, 3)
    plotter = make_plotter(tmp_path / "plotter", nas, sshd)
    cfg = plotter_config.load(plotter.ini)
    undisturbed = _timed_send(cfg, Env(), copy_plots(plotter.dst, 1))
    (second,) = copy_plots(plotter.dst, 1, start=1)
    digest = hash_file(str(second))

    with PortFlood("127.0.0.1", ports, idle=200) as flood:
        waited: dict[int, float] = {}

        def connect_into_the_flood(host: str, port: int, timeout: float) -> socket.socket:
            start = time.monotonic()  # the attack has outlasted a token deadline and is in place
            wait_for(lambda: flood.churned(port) and flood.saturated(port), 25,
                     f"200 idle and 2 slow connections to port {port}, dropped and back")
            waited[port] = time.monotonic() - start
            return connect_data(host, port, timeout)

        disturbed = _timed_send(cfg, Env(connect_data=connect_into_the_flood), [second]) - sum(waited.values())

    ((port, _),) = waited.items()
    assert flood.churned(port) and flood.peak_idle[port] >= 200
    (stored,) = [p for p in nas.plots() if p.name == second.name]
    assert hash_file(str(stored)) == digest and not second.exists()
    assert disturbed < 3 * undisturbed + 5, f"{disturbed:.1f} s under attack, {undisturbed:.1f} s without"


def _timed_send(cfg: plotter_config.PlotterConfig, env: Env, expected: list[Path]) -> float:
    start = time.monotonic()
    result = send_once(cfg, env)
    seconds = time.monotonic() - start
    assert (result.sent, result.failed) == (len(expected), 0)
    assert not any(p.exists() for p in expected)
    return seconds


@pytest.mark.slow
def test_the_receiver_gives_up_at_accept_timeout_and_frees_its_drive(
        tmp_path: Path, copy_plots: CopyPlots) -> None:
    """Peers that never finish a token (silent, 1 byte/s, 1 byte/9 s) cannot stretch the wait."""
    nas = make_nas(tmp_path / "nas", drives=1, extra_nas="accept_timeout = 3")
    (source,) = copy_plots(tmp_path / "src", 1)
    lock = lock_path(nas_config.load(nas.ini).nas.state_dir, nas.drives[0])
    session = HandReceiver(nas.ini)
    session.send("offer", name=source.name, size=source.stat().st_size, hash_alg="xxh3_128")
    ready = session.read()
    offered = time.monotonic()
    slow = [Trickler(1.0), Trickler(9.0)]
    for client in slow:  # first in line, each sending its first byte at once
        client.step("127.0.0.1", int(str(ready["port"])), offered)
    silent = connect(ready)
    stop = threading.Event()
    pacer = threading.Thread(target=_pace, args=(slow, ready["port"], stop), daemon=True)
    pacer.start()
    try:
        reply = session.read()
        seconds = time.monotonic() - offered
        locked_after = is_locked(lock)
    finally:
        stop.set()
        pacer.join(timeout=10)
        silent.close()

    assert reply["msg"] == "error" and "right token within 3 s" in str(reply["error"]), reply
    assert 3 <= seconds < 8, f"the receiver gave up after {seconds:.1f} s"
    assert not locked_after
    assert session.finish() != 0
    assert nas.plots() == [] and nas.parts() == []


def _pace(clients: list[Trickler], port: object, stop: threading.Event) -> None:
    assert isinstance(port, int)
    while not stop.wait(0.05):
        for client in clients:
            client.step("127.0.0.1", port, time.monotonic())
    for client in clients:
        client.close()
