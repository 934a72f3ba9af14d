"""The hashed stream over a real loopback TCP connection, including O_DIRECT tails."""

from __future__ import annotations

import errno
import mmap
import os
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import xxhash

from common.errors import DiskWriteError, NoSpaceError, TransferError
from common.transfer import stream
from common.transfer.sink import SPARES, disk_error, open_for_receive, receive_to_fd
from common.transfer.stream import DEPTH, WRITERS, copies_out, hash_file, in_memory, is_local_peer, same_host, send_file
from tests.common.transfer.loopback import CHUNK


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
stream.copies_out = lambda sock, fd: sys.argv[5] == "copy"
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


def _fs_type(path: Path) -> str:
    """The file system type of ``path``'s mount, as the kernel lists it (the longest mount point)."""
    best, kind = "", ""
    for line in Path("/proc/self/mounts").read_text().splitlines():
        point, fstype = line.split()[1].replace("\\040", " "), line.split()[2]
        if (str(path) + "/").startswith(point.rstrip("/") + "/") and len(point) > len(best):
            best, kind = point, fstype
    return kind


@pytest.mark.parametrize("where", ["/dev/shm", "tmp_path", "repo"])
def test_a_file_in_ram_is_told_apart(tmp_path: Path, where: str) -> None:
    """in_memory agrees with the mount table: tmpfs and ramfs are RAM, a disk is not."""
    directory = {"/dev/shm": Path("/dev/shm"), "tmp_path": tmp_path,
                 "repo": Path(__file__).resolve().parent}[where]
    if not directory.is_dir():
        pytest.skip(f"no {directory}")
    fd, name = tempfile.mkstemp(dir=directory)
    try:
        assert in_memory(fd) == (_fs_type(Path(name).resolve()) in ("tmpfs", "ramfs"))
    finally:
        os.close(fd)
        os.unlink(name)


def test_copies_only_from_ram_to_this_machine(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        with socket.create_connection(listener.getsockname(), timeout=30) as sock:
            fd = os.open(tmp_path, os.O_RDONLY)
            try:
                assert copies_out(sock, fd) == in_memory(fd)
            finally:
                os.close(fd)
        assert not copies_out(listener, 0)  # not connected: no peer here
