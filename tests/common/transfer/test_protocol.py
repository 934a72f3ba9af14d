""":func:`common.transfer.protocol.decode` and the field readers: any bytes at all give a ProtocolError."""

from __future__ import annotations

import pytest

from common.errors import ProtocolError
from common.transfer import protocol


@pytest.mark.parametrize("line", [
    b"",
    b"no newline",
    b"x" * (protocol.MAX_LINE + 1) + b"\n",
    b"\xff\xfe\xfd\n",
    b"[" * 5000 + b"]" * 5000 + b"\n",
    b'{"msg":"a","v":' + b"[" * 5000 + b"]" * 5000 + b"}\n",
    b'{"msg":"a","v":' + b"1" * 5000 + b"}\n",
    b"[1, 2]\n",
    b'{"msg": 3}\n',
    b'"msg"\n',
])
def test_bad_lines_are_protocol_errors(line: bytes) -> None:
    with pytest.raises(ProtocolError):
        protocol.decode(line)


def test_a_good_line_round_trips() -> None:
    assert protocol.decode(protocol.encode("digest", hash="0f" * 16)) == {"msg": "digest", "hash": "0f" * 16}


@pytest.mark.parametrize("value", ["é" * 32, "0F" * 16, "0x1f", "", "f" * 129, " 0f", 15, None])
def test_hex_field_takes_lowercase_hex_only(value: object) -> None:
    with pytest.raises(ProtocolError):
        protocol.hex_field({"msg": "digest", "hash": value}, "hash")


def test_hex_field_returns_the_hex() -> None:
    assert protocol.hex_field({"msg": "digest", "hash": "00ff" * 8}, "hash") == "00ff" * 8
