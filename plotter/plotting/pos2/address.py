"""Pool contract addresses (``xch1...``, ``txch1...``) -> puzzle hashes. Pure.

An address is bech32m (BIP-350): human-readable part, ``1``, then 5-bit groups in the 32-letter
alphabet below, the last six a checksum. The data groups, regrouped into bytes (no padding), are
the 32-byte puzzle hash.
"""

from __future__ import annotations

ALPHABET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
PREFIXES = ("xch", "txch")
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_BECH32M = 0x2BC830A3  # the constant the checksum's polymod equals (bech32 has 1)
CHECKSUM_GROUPS = 6
PUZZLE_HASH_BYTES = 32


def _polymod(groups: list[int]) -> int:
    check = 1
    for group in groups:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ group
        for bit, generator in enumerate(_GENERATOR):
            if top >> bit & 1:
                check ^= generator
    return check


def _expand(prefix: str) -> list[int]:
    return [ord(c) >> 5 for c in prefix] + [0] + [ord(c) & 31 for c in prefix]


def _to_bytes(groups: list[int]) -> bytes:
    """5-bit groups -> bytes; the leftover bits (fewer than 8) must be zero."""
    value = bits = 0
    out = bytearray()
    for group in groups:
        value = value << 5 | group
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append(value >> bits & 0xFF)
    if bits >= 5 or value & ((1 << bits) - 1):
        raise ValueError("its data does not end on a whole byte")
    return bytes(out)


def puzzle_hash(address: str) -> bytes:
    """The puzzle hash an address pays to; ValueError naming what is wrong."""
    text = address.strip()
    if text.lower() != text and text.upper() != text:
        raise ValueError(f"not a pool contract address (mixed case): {address!r}")
    text = text.lower()
    prefix, sep, data = text.rpartition("1")
    if not sep or prefix not in PREFIXES:
        raise ValueError(f"not a pool contract address (xch1... or txch1...): {address!r}")
    if any(c not in ALPHABET for c in data) or len(data) <= CHECKSUM_GROUPS:
        raise ValueError(f"not a pool contract address (letters outside bech32's): {address!r}")
    groups = [ALPHABET.index(c) for c in data]
    if _polymod(_expand(prefix) + groups) != _BECH32M:
        raise ValueError(f"pool contract address has a wrong checksum (mistyped?): {address!r}")
    found = _to_bytes(groups[:-CHECKSUM_GROUPS])
    if len(found) != PUZZLE_HASH_BYTES:
        raise ValueError(f"pool contract address holds {len(found)} bytes, not a 32-byte puzzle hash: {address!r}")
    return found


def encode(prefix: str, payload: bytes) -> str:
    """An address for ``payload`` (the tests' own addresses; the inverse of :func:`puzzle_hash`)."""
    value = bits = 0
    groups: list[int] = []
    for byte in payload:
        value = value << 8 | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            groups.append(value >> bits & 31)
    if bits:
        groups.append(value << (5 - bits) & 31)
    check = _polymod([*_expand(prefix), *groups, *[0] * CHECKSUM_GROUPS]) ^ _BECH32M
    groups += [check >> 5 * (CHECKSUM_GROUPS - 1 - i) & 31 for i in range(CHECKSUM_GROUPS)]
    return prefix + "1" + "".join(ALPHABET[g] for g in groups)
