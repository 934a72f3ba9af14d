"""What the stream tests share: a small chunk (many chunks in a small file), one receive into a new file."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from common.transfer.sink import open_for_receive, receive_to_fd

CHUNK = 64 * 1024


def receive_one(conn: socket.socket, target: Path, size: int, expect_eof: bool) -> str:
    fd, direct = open_for_receive(str(target), True)  # O_DIRECT and its tail, where the filesystem has it
    try:
        return receive_to_fd(conn, fd, size, direct=direct, chunk=CHUNK, expect_eof=expect_eof)
    finally:
        os.close(fd)
