"""Hostile control lines to a real ``drive-manager receive``: a protocol error answer, ProtocolError's
exit code, never a traceback, and no file left behind."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from common.errors import ProtocolError
from common.transfer import protocol
from common.transfer.channel import LineChannel, fd_channel
from tests.helpers import ROOT, NasSetup, make_nas
from tests.receiver import opening

CopyPlots = Callable[..., list[Path]]
TIMEOUT = 60.0


def receiver(nas: NasSetup) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "nas", "--config", str(nas.ini), "receive"], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def answer_to(nas: NasSetup, line: bytes) -> tuple[list[dict[str, object]], int, str]:
    """Send ``line`` as the plotter's first message; the replies, exit code and stderr."""
    proc = receiver(nas)
    out, err = proc.communicate(line, timeout=TIMEOUT)  # communicate ignores the pipe the receiver closed
    return [json.loads(reply) for reply in out.splitlines()], proc.returncode, err.decode()


def assert_protocol_error(replies: list[dict[str, object]], code: int, err: str) -> None:
    assert replies[0]["msg"] == "hello"
    assert replies[-1]["msg"] == "error" and replies[-1]["code"] == "protocol", replies
    assert code == ProtocolError.exit_code == 12
    assert "Traceback" not in err, err


@pytest.mark.parametrize("line", [
    pytest.param(b"[" * 100_000 + b"]" * 100_000 + b"\n", id="nested-100k-deep"),
    # Within the 64 KiB line limit, so json.loads itself meets the depth (RecursionError before the fix).
    pytest.param(b'{"msg":"space","size":' + b"[" * 30_000 + b"]" * 30_000 + b"}\n", id="nested-in-limit"),
    pytest.param(b"x" * 10_000_000 + b"\n", id="10MB-line"),
    pytest.param(b'{"msg":"space","size":' + b"9" * 5000 + b"}\n", id="5000-digit-int"),  # ValueError before
    pytest.param(b'{"msg":"offer","name":"\xff\xfe"}\n', id="not-utf8"),
    pytest.param(b"\x00" * 1000 + b"\n", id="nul-bytes"),
])
def test_hostile_first_line(tmp_path: Path, line: bytes) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    replies, code, err = answer_to(nas, line)
    assert_protocol_error(replies, code, err)


def _offer_and_stream(chan: LineChannel, source: Path) -> None:
    assert chan.read(TIMEOUT)["msg"] == "hello"
    chan.write(protocol.encode("offer", name=source.name, size=source.stat().st_size,
                               hash_alg=protocol.HASH_ALG))
    ready = protocol.expect(chan.read(TIMEOUT), "ready")
    with socket.create_connection(("127.0.0.1", ready["port"]), timeout=TIMEOUT) as data:
        data.sendall(opening(ready, source.stat().st_size) + source.read_bytes())
        data.shutdown(socket.SHUT_WR)


@pytest.mark.parametrize("digest", [
    pytest.param("é" * 32, id="non-ascii"),  # hmac.compare_digest raised TypeError
    pytest.param("zz" * 16, id="not-hex"),
    pytest.param("AB" * 16, id="upper-case"),
])
def test_hostile_digest_after_a_full_stream(tmp_path: Path, copy_plots: CopyPlots, digest: str) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    (source,) = copy_plots(tmp_path / "src", 1)
    proc = receiver(nas)
    assert proc.stdin is not None and proc.stdout is not None
    chan = fd_channel(proc.stdout.fileno(), proc.stdin.fileno())
    try:
        _offer_and_stream(chan, source)
        chan.write(json.dumps({"msg": "digest", "hash": digest}, ensure_ascii=False).encode() + b"\n")
        reply = chan.read(TIMEOUT)
    finally:
        _, err = proc.communicate(timeout=TIMEOUT)
    assert reply["msg"] == "error" and reply["code"] == "protocol", reply
    assert "'hash' that is not lowercase hex" in str(reply["error"])
    assert proc.returncode == ProtocolError.exit_code
    assert "Traceback" not in err.decode()
    assert nas.plots() == [] and nas.parts() == []  # the received bytes are discarded, not named .plot
