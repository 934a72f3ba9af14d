"""A PoS2 plot group's keys, derived as chia derives them for its own v2 plots.

A fresh random master secret key per group; its local (harvester) key is the EIP-2334 child at
12381/8444/3/0 (hardened). The plot public key is local pk + farmer pk, plus, for pool plots (a
pool contract), a taproot key: the key generated from sha256(bytes(local + farmer) ‖ local ‖
farmer). The group id is sha256(strength byte ‖ plot pk ‖ pool contract puzzle hash or pool pk),
and the memo a harvester needs to farm it: puzzle hash or pool pk, farmer pk, master secret key.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from plotter.plotting.pos2.address import puzzle_hash

if TYPE_CHECKING:
    from chia_rs import G1Element

LOCAL_KEY_PATH = (12381, 8444, 3, 0)  # bls spec, chia, "local" key, first


@dataclass(frozen=True)
class GroupKeys:
    master_sk: bytes  # 32 bytes; kept only in the memo
    plot_pk: bytes  # 48 bytes
    pool_info: bytes  # the pool contract's puzzle hash (32) or the pool public key (48)
    farmer_pk: bytes
    group_id: bytes
    memo: bytes


def group_id(strength: int, plot_pk: bytes, pool_info: bytes) -> bytes:
    return hashlib.sha256(bytes([strength]) + plot_pk + pool_info).digest()


def derive(farmer_key: str, pool_key: str | None, pool_contract: str | None, strength: int,
           seed: bytes | None = None) -> GroupKeys:
    """The keys of a new group; ``seed`` (32 bytes) fixes the master key (tests), else random.
    ValueError for a key that is not a point of the curve or a bad address."""
    from chia_rs import AugSchemeMPL  # the backend's own dependency, loaded when plotting

    if (pool_key is None) == (pool_contract is None):
        raise ValueError("give exactly one of a pool key or a pool contract address")
    farmer = _g1(farmer_key, "farmer key")
    master = AugSchemeMPL.key_gen(seed if seed is not None else secrets.token_bytes(32))
    local = master
    for index in LOCAL_KEY_PATH:
        local = AugSchemeMPL.derive_child_sk(local, index)
    local_pk = local.get_g1()
    plot_pk = local_pk + farmer
    if pool_contract is not None:
        pool_info = puzzle_hash(pool_contract)
        taproot_seed = hashlib.sha256(bytes(local_pk + farmer) + bytes(local_pk) + bytes(farmer)).digest()
        plot_pk = plot_pk + AugSchemeMPL.key_gen(taproot_seed).get_g1()
    else:
        assert pool_key is not None
        pool_info = bytes(_g1(pool_key, "pool key"))
    plot_pk_bytes, farmer_bytes, master_bytes = bytes(plot_pk), bytes(farmer), bytes(master)
    return GroupKeys(master_sk=master_bytes, plot_pk=plot_pk_bytes, pool_info=pool_info, farmer_pk=farmer_bytes,
                     group_id=group_id(strength, plot_pk_bytes, pool_info),
                     memo=pool_info + farmer_bytes + master_bytes)


def _g1(hex_key: str, label: str) -> G1Element:
    from chia_rs import G1Element

    text = hex_key[2:] if hex_key.startswith("0x") else hex_key
    try:
        return G1Element.from_bytes(bytes.fromhex(text))
    except (ValueError, TypeError) as exc:  # chia_rs: "G1 ... not on curve" and the like
        raise ValueError(f"the {label} is not a BLS public key (a point of the curve): {exc}") from None
