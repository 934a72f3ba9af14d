"""The hashed stream over a real loopback TCP connection, including O_DIRECT tails."""

from __future__ import annotations

import errno
import mmap
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import xxhash

from common.errors import DiskWriteError, NoSpaceError, TransferError
from common.transfer import stream
from common.transfer.sink import RCVLOWAT, SPARES, disk_error, kernel_at_least, open_for_receive, receive_to_fd
from common.transfer.stream import DEPTH, WRITERS, hash_file, is_local_peer, same_host, send_file

CHUNK = 64 * 1024


@pytest.fixture(params=["copy", "sendfile"])
def way_out(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways the sender hands bytes to the socket: copied from the mapping (to this
    machine) and sendfile (to another machine, which a loopback test cannot be: chosen here)."""
    monkeypatch.setattr(stream, "same_host", lambda sock: request.param == "copy")
    return str(request.param)


def _transfer(tmp_path: Path, data: bytes, announce: int | None = None,
              before_write: Callable[[int], None] | None = None) -> tuple[str, str, Path, bool]:
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
        received = receive_to_fd(conn, fd, size, direct=direct, chunk=CHUNK, before_write=before_write)
    finally:
        os.close(fd)
        conn.close()
        thread.join(timeout=30)
        listener.close()
    return sent["digest"], received, target, direct


@pytest.mark.parametrize("size", [1, 4095, 4096, CHUNK + 1, 7 * CHUNK + 123, 8 * CHUNK])
def test_round_trip_is_identical_and_hashed_on_both_ends(tmp_path: Path, size: int, way_out: str) -> None:
    data = os.urandom(size)
    sent, received, target, _ = _transfer(tmp_path, data)
    assert target.read_bytes() == data
    assert sent == received == hash_file(str(target))


def test_the_next_receive_reuses_the_buffers(tmp_path: Path) -> None:
    """A session receives plot after plot: the buffers of one are the next one's (a fresh set
    costs page faults and zeroing of tens of MiB per plot), and come back after it."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _transfer(tmp_path / "a", os.urandom(3 * CHUNK))
    kept = list(SPARES.free[CHUNK])  # held here, so no new buffer can take an old one's id
    assert len(kept) >= DEPTH + WRITERS
    left: list[int] = []
    data = os.urandom(3 * CHUNK + 1)
    sent, received, target, _ = _transfer(tmp_path / "b", data, before_write=lambda _: left.append(
        len(SPARES.free[CHUNK])))
    assert left and set(left) == {len(kept) - DEPTH - WRITERS}  # taken from the spares, not made
    assert {id(buf) for buf in SPARES.free[CHUNK]} == {id(buf) for buf in kept}
    assert target.read_bytes() == data and sent == received


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


SHRINKING_SENDER = """
import os, socket, sys
from common.errors import TransferError
from common.transfer import stream
from common.transfer.stream import send_file
path, port, size, chunk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
stream.same_host = lambda sock: sys.argv[5] == "copy"
def shrink(done):
    if done == chunk:  # cut the second half under the mapping: the hasher, ahead, meets it first
        os.truncate(path, size // 2)
with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
    try:
        send_file(sock, path, size, chunk=chunk, progress=shrink)
    except TransferError as exc:
        print(exc.message)
        sys.exit(3)
"""


@pytest.mark.parametrize("way", ["copy", "sendfile"])
def test_a_source_that_cannot_be_read_is_an_error_not_a_crash(tmp_path: Path, way: str) -> None:
    """Bytes of the mapped source that cannot be read (a bad sector, a truncated file) end the
    transfer with an error; a SIGBUS would kill the whole sender and every transfer in it."""
    source = tmp_path / "source"
    size = 64 * CHUNK
    source.write_bytes(os.urandom(size))
    root = Path(__file__).resolve().parents[3]
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(30)
        child = subprocess.Popen([sys.executable, "-c", SHRINKING_SENDER, str(source),
                                  str(listener.getsockname()[1]), str(size), str(CHUNK), way],
                                 cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(30)
            received = 0
            while chunk := conn.recv(1 << 20):
                received += len(chunk)
        out, err = child.communicate(timeout=30)
    assert child.returncode == 3, (child.returncode, err)
    assert out.strip() == f"cannot read the source at byte {size // 2}: I/O error or the file shrank"
    assert received == size // 2  # what could be read and hashed was sent; nothing past it


def test_pages_that_go_away_after_hashing_are_an_error_naming_the_byte(tmp_path: Path) -> None:
    """Copied out of the mapping, bytes hashed and then cut off (the file truncated meanwhile)
    end the send with the same error as unreadable bytes, at the byte where sending stopped."""
    source = tmp_path / "source"
    source.write_bytes(os.urandom(16 * CHUNK))
    cut = 5 * CHUNK
    fd = os.open(source, os.O_RDONLY)
    try:
        with mmap.mmap(fd, 16 * CHUNK, prot=mmap.PROT_READ) as mapped, memoryview(mapped) as view:
            hash_before = xxhash.xxh3_128(view).hexdigest()  # every page read in
            os.truncate(source, cut)
            received, message = _send_from(view)
    finally:
        os.close(fd)
    assert hash_before and 0 < received <= cut
    assert message == f"cannot read the source at byte {received}: I/O error or the file shrank"


def _send_from(view: memoryview) -> tuple[int, str]:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        out = socket.create_connection(listener.getsockname(), timeout=30)
        conn, _ = listener.accept()
    with out, conn:
        conn.settimeout(30)
        got: list[int] = []
        thread = threading.Thread(target=lambda: got.append(sum(iter(lambda: len(conn.recv(1 << 20)), 0))))
        thread.start()
        with pytest.raises(TransferError) as failed:
            stream._copy_out(out, view)(0, len(view))
        out.shutdown(socket.SHUT_WR)
        thread.join(timeout=30)
    return got[0], failed.value.message


def test_the_peer_on_this_machine_is_told_apart() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        with socket.create_connection(listener.getsockname(), timeout=30) as sock:
            assert same_host(sock)
        assert not same_host(listener)  # not connected
    assert is_local_peer("10.0.0.5", "10.0.0.5") and is_local_peer("10.0.0.5", "127.0.0.2")
    assert is_local_peer("::1", "::1") and is_local_peer("2001:db8::1", "::1")
    assert not is_local_peer("10.0.0.5", "10.0.0.50") and not is_local_peer("2001:db8::1", "2001:db8::2")
    assert not is_local_peer("fe80::1%eth0", "fe80::2%eth0")


@pytest.mark.parametrize(("err", "kind", "words"), [
    (errno.ENOSPC, NoSpaceError, "the drive filled up: No space left on device"),
    (errno.EDQUOT, NoSpaceError, "the drive filled up: Disk quota exceeded"),
    (errno.EIO, DiskWriteError, "writing to the drive: Input/output error"),
])
def test_disk_errors_keep_their_reason(err: int, kind: type[Exception], words: str) -> None:
    error = disk_error(OSError(err, os.strerror(err)))
    assert type(error) is kind and str(error) == words
    if isinstance(error, DiskWriteError):  # what nas.drives.health needs to tell a failing drive
        assert isinstance(error, TransferError) and (error.errno, error.stage) == (err, "write")


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
            received = [_receive_one(conn, tmp_path / f"target{i}", size, expect_eof=False)
                        for i, size in enumerate(sizes)]
            rest = b"".join(iter(lambda: conn.recv(64), b""))
        thread.join(timeout=30)
    assert rest == b"trailer"
    assert received == sent == [hash_file(str(s)) for s in sources]
    for i, source in enumerate(sources):
        assert (tmp_path / f"target{i}").read_bytes() == source.read_bytes()


def _receive_one(conn: socket.socket, target: Path, size: int, expect_eof: bool) -> str:
    fd, direct = open_for_receive(str(target), True)  # O_DIRECT and its tail, where the filesystem has it
    try:
        return receive_to_fd(conn, fd, size, direct=direct, chunk=CHUNK, expect_eof=expect_eof)
    finally:
        os.close(fd)


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
            received = _receive_one(conn, tmp_path / "target", size, expect_eof=False)
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
                digest = _receive_one(conn, tmp_path / "target", announce, expect_eof=False)
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
