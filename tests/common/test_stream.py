"""The hashed stream over a real loopback TCP connection, including O_DIRECT tails."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from common.errors import TransferError
from common.stream import hash_file, open_for_receive, receive_to_fd, send_file

CHUNK = 64 * 1024


def _transfer(tmp_path: Path, data: bytes, announce: int | None = None) -> tuple[str, str, Path, bool]:
    source = tmp_path / "source"
    source.write_bytes(data)
    target = tmp_path / "target"
    size = len(data) if announce is None else announce
    listener = socket.create_server(("127.0.0.1", 0))
    sent: dict[str, str] = {}

    def sender() -> None:
        with socket.create_connection(listener.getsockname(), timeout=30) as sock:
            sent["digest"] = send_file(sock, str(source), len(data), chunk=CHUNK)

    thread = threading.Thread(target=sender)
    thread.start()
    conn, _ = listener.accept()
    conn.settimeout(30)
    fd, direct = open_for_receive(str(target), True)
    try:
        received = receive_to_fd(conn, fd, size, direct=direct, chunk=CHUNK)
    finally:
        os.close(fd)
        conn.close()
        thread.join(timeout=30)
        listener.close()
    return sent["digest"], received, target, direct


@pytest.mark.parametrize("size", [1, 4095, 4096, CHUNK + 1, 7 * CHUNK + 123, 8 * CHUNK])
def test_round_trip_is_identical_and_hashed_on_both_ends(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    sent, received, target, _ = _transfer(tmp_path, data)
    assert target.read_bytes() == data
    assert sent == received == hash_file(str(target))


def test_direct_io_is_used_where_the_filesystem_allows(tmp_path: Path) -> None:
    fd, direct = open_for_receive(str(tmp_path / "probe"), True)
    os.close(fd)
    if not direct:
        pytest.skip("this filesystem has no O_DIRECT")
    _, _, target, used = _transfer(tmp_path, os.urandom(3 * CHUNK + 17))
    assert used and target.stat().st_size == 3 * CHUNK + 17


def test_short_stream_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TransferError, match="early"):
        _transfer(tmp_path, os.urandom(5000), announce=6000)


def test_extra_bytes_are_an_error(tmp_path: Path) -> None:
    with pytest.raises(TransferError, match="more bytes"):
        _transfer(tmp_path, os.urandom(5000), announce=4000)
