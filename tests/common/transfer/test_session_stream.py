"""One connection, plot after plot: exact lengths, the receiver's wake-ups, slow links."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest
import xxhash

from common.errors import TransferError
from common.transfer.sink import RCVLOWAT, kernel_at_least
from common.transfer.stream import hash_file, send_file
from tests.common.transfer.loopback import CHUNK, receive_one


def test_plots_in_a_row_share_one_connection(tmp_path: Path, way_out: str) -> None:
    """A connection that carries plot after plot: the sender keeps its direction open, and the
    receiver takes exactly each plot's bytes, so what follows (the next plot, a trailer) is
    still in the socket. The sender is done before the receiver reads anything: every byte
    is queued at once, so a receive that asked for more than its plot would take the next."""
    sizes = [CHUNK + 5, 4095, 2 * CHUNK, 1]
    sources = []
    for i, size in enumerate(sizes):
        sources.append(tmp_path / f"source{i}")
        sources[-1].write_bytes(os.urandom(size))
    sent: list[str] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)  # room for all of it

        def sender() -> None:
            with socket.create_connection(listener.getsockname(), timeout=30) as sock:
                for source, size in zip(sources, sizes, strict=True):
                    sent.append(send_file(sock, str(source), size, chunk=CHUNK, close=False))
                sock.sendall(b"trailer")

        thread = threading.Thread(target=sender)
        thread.start()
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(30)
            thread.join(timeout=30)  # bounded: if it is still sending, receiving below unblocks it
            received = [receive_one(conn, tmp_path / f"target{i}", size, expect_eof=False)
                        for i, size in enumerate(sizes)]
            rest = b"".join(iter(lambda: conn.recv(64), b""))
        thread.join(timeout=30)
    assert rest == b"trailer"
    assert received == sent == [hash_file(str(s)) for s in sources]
    for i, source in enumerate(sources):
        assert (tmp_path / f"target{i}").read_bytes() == source.read_bytes()


def test_a_plot_ends_without_waiting_for_the_next(tmp_path: Path) -> None:
    """On a session's connection the sender waits for a plot's verdict before it sends more: the
    receiver must take the plot's last bytes at once, though it otherwise waits for a MiB at a
    time (SO_RCVLOWAT), and leave the socket as it found it for the frames that follow."""
    size = RCVLOWAT + RCVLOWAT // 2 + 7
    source = tmp_path / "source"
    source.write_bytes(os.urandom(size))
    verdict: list[bytes] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def sender() -> None:
            with socket.create_connection(listener.getsockname(), timeout=30) as sock:
                send_file(sock, str(source), size, chunk=CHUNK, close=False)
                verdict.append(sock.recv(16))  # nothing more until the receiver answers
                sock.sendall(b"x")

        thread = threading.Thread(target=sender)
        thread.start()
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(10)  # a receive waiting for a MiB that never comes would time out
            received = receive_one(conn, tmp_path / "target", size, expect_eof=False)
            assert conn.getsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT) == 1
            conn.sendall(b"ok")
            assert conn.recv(16) == b"x"
        thread.join(timeout=30)
    assert verdict == [b"ok"] and received == hash_file(str(source))
    assert (tmp_path / "target").read_bytes() == source.read_bytes()


def _trickle(tmp_path: Path, pieces: int, gap: float, announce: int) -> str:
    """The sender sends ``pieces`` of 200 bytes ``gap`` seconds apart, then keeps the connection
    open without another byte; the receiver (timeout 0.5 s) waits for ``announce`` bytes."""
    data = os.urandom(200 * pieces)
    done = threading.Event()
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def sender() -> None:
            with socket.create_connection(listener.getsockname(), timeout=30) as sock:
                for i in range(pieces):
                    sock.sendall(data[200 * i:200 * (i + 1)])
                    done.wait(gap)  # a slow link, not a wait for the test's sake
                done.wait(30)

        thread = threading.Thread(target=sender)
        thread.start()
        conn, _ = listener.accept()
        try:
            with conn:
                conn.settimeout(0.5)
                digest = receive_one(conn, tmp_path / "target", announce, expect_eof=False)
        finally:
            done.set()
            thread.join(timeout=30)
    assert digest == xxhash.xxh3_128(data).hexdigest()
    return digest


@pytest.mark.slow
def test_a_slow_link_is_not_a_timeout(tmp_path: Path) -> None:
    """Waking per MiB must not turn a slow link into a timeout: bytes came every 0.05 s, but
    fewer than the plot's 4000 in the 0.5 s timeout. The timeout still means no byte at all."""
    _trickle(tmp_path, pieces=20, gap=0.05, announce=20 * 200)
    assert (tmp_path / "target").stat().st_size == 20 * 200


def test_silence_is_still_a_timeout(tmp_path: Path) -> None:
    with pytest.raises(TransferError, match="timed out"):
        _trickle(tmp_path, pieces=1, gap=0, announce=4000)


@pytest.mark.parametrize(("release", "new"), [
    ("6.18.44-fc-v1300", True), ("5.10.0-28-amd64", True), ("10.0", True),
    ("5.4.0-150-generic", False), ("4.19.0-26-amd64", False), ("unknown", False),
])
def test_kernel_release_is_compared_by_number(release: str, new: bool) -> None:
    assert kernel_at_least(release, (5, 10)) is new
