"""Pool contract addresses: bech32m decoded here, mistakes refused with a reason."""

from __future__ import annotations

import pytest

from plotter.plotting.pos2.address import encode, puzzle_hash

PAYLOAD = bytes(range(32))


def test_round_trip_and_prefixes() -> None:
    for prefix in ("xch", "txch"):
        address = encode(prefix, PAYLOAD)
        assert address.startswith(prefix + "1")
        assert puzzle_hash(address) == PAYLOAD
        assert puzzle_hash(address.upper()) == PAYLOAD  # bech32 allows all capitals


@pytest.mark.parametrize(("address", "words"), [
    ("xch1bad", "letters outside"),
    (encode("xch", PAYLOAD)[:-1] + "q", "checksum"),
    (encode("xch", PAYLOAD)[:10] + encode("xch", PAYLOAD)[10:].upper(), "mixed case"),
    (encode("bc", PAYLOAD), "xch1... or txch1..."),
    (encode("xch", PAYLOAD[:20]), "not a 32-byte puzzle hash"),
])
def test_refused(address: str, words: str) -> None:
    with pytest.raises(ValueError, match=words.replace(".", r"\.")):
        puzzle_hash(address)


def test_a_changed_letter_is_caught() -> None:
    address = encode("xch", PAYLOAD)
    for at in range(4, len(address)):
        changed = address[:at] + ("q" if address[at] != "q" else "p") + address[at + 1:]
        with pytest.raises(ValueError, match="checksum"):
            puzzle_hash(changed)
