"""The data port gate on real sockets: idle, slow, wrong and crowding connections never keep
the one with the token out, and the wait ends at its hard deadline whatever peers do."""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from common.errors import TransferError
from nas.receive.dataport import MAX_PENDING, accept_with_token, describe_dropped, listen
from tests.sshd import free_port

TOKEN = secrets.token_bytes(32)
PAYLOAD = b"plot bytes after the token" * 100


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    low = free_port()
    with listen("127.0.0.1", (low, low + 5)) as sock:
        yield sock


def _connect(listener: socket.socket) -> socket.socket:
    return socket.create_connection(listener.getsockname(), timeout=10)


def _trickle(sock: socket.socket, data: bytes, interval: float, stop: threading.Event) -> None:
    """Send ``data`` a byte at a time, ``interval`` seconds apart, until dropped or stopped."""
    for byte in data:
        try:
            sock.send(bytes([byte]))
        except OSError:
            return
        if stop.wait(interval):
            return


def _start_trickle(sock: socket.socket, data: bytes, interval: float, stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=_trickle, args=(sock, data, interval, stop), daemon=True)
    thread.start()
    return thread


def _accept_timed(listener: socket.socket, timeout: float, token_timeout: float = 5.0
                  ) -> tuple[socket.socket | TransferError, float]:
    start = time.monotonic()
    try:
        result: socket.socket | TransferError = accept_with_token(listener, TOKEN, timeout, token_timeout)
    except TransferError as exc:
        result = exc
    return result, time.monotonic() - start


def test_the_token_wins_past_idle_slow_and_wrong_connections(listener: socket.socket) -> None:
    stop = threading.Event()
    crowd = [_connect(listener) for _ in range(200)]  # ahead of the real one in the backlog
    slow, wrong, right = _connect(listener), _connect(listener), _connect(listener)
    trickle = _start_trickle(slow, b"x" * 32, 1.0, stop)
    wrong.sendall(bytes(32))
    right.sendall(TOKEN + PAYLOAD)
    right.shutdown(socket.SHUT_WR)
    try:
        conn, seconds = _accept_timed(listener, timeout=30)
    finally:
        stop.set()
        trickle.join(timeout=10)
        for sock in (*crowd, slow, wrong, right):
            sock.close()

    assert isinstance(conn, socket.socket)
    with conn:
        conn.settimeout(10)
        received = b"".join(iter(lambda: conn.recv(65536), b""))
    assert received == PAYLOAD  # positioned right after the token
    assert seconds < 3.0  # not one token deadline per idle connection


def test_a_crowd_larger_than_the_pending_bound_is_crowded_out(listener: socket.socket) -> None:
    crowd = [_connect(listener) for _ in range(MAX_PENDING + 100)]
    right = _connect(listener)
    right.sendall(TOKEN)
    try:
        conn, seconds = _accept_timed(listener, timeout=30)
    finally:
        for sock in (*crowd, right):
            sock.close()

    assert isinstance(conn, socket.socket)
    conn.close()
    assert seconds < 3.0


@pytest.mark.slow
def test_the_token_deadline_covers_all_32_bytes_not_each_recv(listener: socket.socket) -> None:
    stop = threading.Event()
    slow = _connect(listener)
    trickle = _start_trickle(slow, TOKEN, 0.1, stop)  # the right token, but 3.2 s for all of it
    try:
        result, seconds = _accept_timed(listener, timeout=4.5, token_timeout=1.0)
    finally:
        stop.set()
        trickle.join(timeout=10)
        slow.close()

    assert isinstance(result, TransferError), "a token trickled past its deadline was accepted"
    assert 4.5 <= seconds < 6.5


@pytest.mark.slow
@pytest.mark.parametrize("interval", [None, 0.3])
def test_the_wait_ends_at_its_hard_deadline(listener: socket.socket, interval: float | None) -> None:
    """A silent peer, or one trickling garbage often enough that no single recv times out."""
    stop = threading.Event()
    peer = _connect(listener)
    trickle = _start_trickle(peer, b"x" * 31, interval, stop) if interval else None
    try:
        result, seconds = _accept_timed(listener, timeout=1.5, token_timeout=60.0)
    finally:
        stop.set()
        if trickle is not None:
            trickle.join(timeout=10)
        peer.close()

    assert isinstance(result, TransferError)
    assert "right token within 1.5 s" in result.message
    assert 1.5 <= seconds < 3.5


@pytest.mark.slow
def test_wrong_and_closed_connections_are_dropped_at_once(listener: socket.socket,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    results: list[tuple[socket.socket | TransferError, float]] = []
    waiter = threading.Thread(target=lambda: results.append(_accept_timed(listener, timeout=4.0)))
    wrong, closed = _connect(listener), _connect(listener)
    waiter.start()
    try:
        wrong.sendall(b"GET / HTTP/1.0\r\n\r\n".ljust(32, b"y"))
        closed.close()
        wrong.settimeout(2.0)  # well inside the 4 s the gate still waits
        assert wrong.recv(1) == b"", "the gate kept a connection with a wrong token"
    finally:
        waiter.join(timeout=10)
        wrong.close()
    ((result, _),) = results
    assert isinstance(result, TransferError)
    assert "2 connections without the right token (1 closed early, 1 wrong token)" in caplog.text


def two_free_ports() -> int:
    """A port whose next one is free too (other tests and runs take ports meanwhile: a few tries)."""
    for _ in range(50):
        low = free_port()
        try:
            socket.create_server(("127.0.0.1", low + 1)).close()
        except OSError:
            continue
        return low
    raise AssertionError("no two free ports in a row in 50 tries")


def test_listen_takes_the_first_free_port_and_fails_clearly_when_none_is() -> None:
    low = two_free_ports()
    with socket.create_server(("127.0.0.1", low)), listen("127.0.0.1", (low, low + 1)) as second:
        assert second.getsockname()[1] == low + 1
        with pytest.raises(TransferError, match=f"no free port in data_ports {low}-{low + 1}"):
            listen("127.0.0.1", (low, low + 1))


def test_describe_dropped() -> None:
    assert describe_dropped(Counter({"wrong token": 1})) == "1 connection without the right token (1 wrong token)"
    assert describe_dropped(Counter({"too slow": 2, "closed early": 200, "crowded out": 2})) == (
        "204 connections without the right token (200 closed early, 2 crowded out, 2 too slow)")
