"""A PoS2 group file read back before it leaves the tmp dir: the header says what was asked, the
memo is the keys', and proofs found for random challenges solve and validate (chia_rs ``Prover``,
``solve_proof``, ``validate_proof_v2``), which is what a harvester and a full node will do."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path


class CheckError(Exception):
    """The file is not the group that was asked for, or a proof of it does not validate."""


@dataclass(frozen=True)
class Expected:
    k: int
    strength: int
    meta_group: int
    group_id: bytes
    memo: bytes
    group_size: int = 1


def check_group(path: Path, expected: Expected, challenges: int) -> int:
    """The number of valid proofs found for ``challenges`` random challenges; CheckError on any
    mismatch or invalid proof (finding none for a challenge is normal: the filter passes few)."""
    from chia_rs import Prover

    prover = Prover(str(path))
    found = (prover.size(), prover.get_strength(), prover.get_meta_group(), bytes(prover.plot_group_id()),
             bytes(prover.get_memo()), prover.get_group_size())
    wanted = (expected.k, expected.strength, expected.meta_group, expected.group_id, expected.memo,
              expected.group_size)
    for label, got, want in zip(("k", "strength", "meta group", "group id", "memo", "group size"), found, wanted,
                                strict=True):
        if got != want:
            raise CheckError(f"{path.name}: its {label} reads back as {_text(got)}, not {_text(want)}")
    return sum(valid_proofs(prover, expected, secrets.token_bytes(32)) for _ in range(challenges))


def valid_proofs(prover: object, expected: Expected, challenge: bytes) -> int:
    """Solve and validate every proof the group holds for ``challenge``; CheckError on a bad one."""
    from chia_rs import Prover, solve_proof, validate_proof_v2
    from chia_rs.sized_bytes import bytes32
    from chia_rs.sized_ints import uint8, uint16

    assert isinstance(prover, Prover)
    count = 0
    for quality in prover.get_qualities_for_challenge(bytes32(challenge)):
        index = uint16(quality.plot_index)
        proof = solve_proof(quality.chain, prover.plot_id_for_index(index), expected.strength, expected.k)
        if validate_proof_v2(bytes32(expected.group_id), index, expected.k, expected.strength,
                             uint8(expected.meta_group), bytes32(challenge), proof) is None:
            raise CheckError(f"a proof of plot {index} for challenge {challenge.hex()} does not validate")
        count += 1
    return count


def _text(value: object) -> str:
    return value.hex() if isinstance(value, bytes) else str(value)
