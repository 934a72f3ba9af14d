"""What makes a group file farmable with given keys, checked with chia_rs and chia-blockchain: the
name's id is the header's group id, the memo holds the pool target and farmer key, chia's own
derivation from the memo's master key gives that group id, and proofs solve and validate."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from chia_rs import G1Element, Prover, compute_plot_id_v2, solve_proof, validate_proof_v2
from chia_rs.sized_bytes import bytes32
from chia_rs.sized_ints import uint8, uint16

from plotter.plotting.pos2.address import puzzle_hash
from tests.plotter.plotting.pos2.chiaref import chia_derive

CHALLENGES = 12


@dataclass(frozen=True)
class Keys:
    farmer: str
    pool: str | None = None
    contract: str | None = None


def check_farmable(paths: list[Path], keys: Keys, k: int = 18, strength: int = 2) -> list[int]:
    """Every file farmable with ``keys``; the meta group of each (AssertionError otherwise)."""
    provers = [Prover(str(path)) for path in paths]
    pool_info = puzzle_hash(keys.contract) if keys.contract else bytes.fromhex(keys.pool or "")
    cases: list[dict[str, object]] = []
    for path, prover in zip(paths, provers, strict=True):
        memo = bytes(prover.get_memo())
        assert path.name == f"plot-k{k}-{bytes(prover.plot_group_id()).hex()}.gplot"
        assert (prover.size(), prover.get_strength(), prover.get_group_size()) == (k, strength, 1)
        assert memo[:len(pool_info)] == pool_info
        assert memo[len(pool_info):len(pool_info) + 48].hex() == keys.farmer
        cases.append({"master_sk": memo[-32:].hex(), "farmer": keys.farmer, "strength": strength,
                      **({"contract": keys.contract} if keys.contract else {"pool": keys.pool})})
    for prover, chia in zip(provers, chia_derive(cases), strict=True):
        assert bytes(prover.plot_group_id()).hex() == chia["group_id"]
        assert bytes(prover.get_memo()).hex() == chia["memo"]
        plot_pk = G1Element.from_bytes(bytes.fromhex(chia["plot_pk"]))
        pool_pk = None if keys.contract else G1Element.from_bytes(pool_info)
        contract = bytes32(pool_info) if keys.contract else None
        meta = uint8(prover.get_meta_group())
        assert prover.plot_id_for_index(uint16(0)) == compute_plot_id_v2(uint8(strength), plot_pk, pool_pk, contract,
                                                                          uint16(0), meta)
        assert valid_proofs(prover, k, strength) > 0
    return [prover.get_meta_group() for prover in provers]


def valid_proofs(prover: Prover, k: int, strength: int) -> int:
    """Proofs for random challenges, each solved and validated; all must validate."""
    count = 0
    for _ in range(CHALLENGES):
        challenge = bytes32(secrets.token_bytes(32))
        for quality in prover.get_qualities_for_challenge(challenge):
            index = uint16(quality.plot_index)
            assert index == 0
            proof = solve_proof(quality.chain, prover.plot_id_for_index(index), strength, k)
            assert validate_proof_v2(prover.plot_group_id(), index, k, strength, uint8(prover.get_meta_group()),
                                     challenge, proof) is not None
            count += 1
    return count
