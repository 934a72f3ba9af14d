"""chia-blockchain's own derivation of a v2 plot group's keys, run in its venv (tests/chiacli.py):
the reference the pos2 plotter's keys are tested against."""

from __future__ import annotations

import json
import subprocess

from tests.chiacli import chia_venv

TIMEOUT = 120.0

# Runs under chia-blockchain 2.7.5 with its chia_rs: the functions create_v2_plots and the full node use.
_SCRIPT = r"""
import json, sys
from chia_rs import AugSchemeMPL, G1Element, PrivateKey
from chia.types.blockchain_format.proof_of_space import compute_plot_group_id, generate_plot_public_key
from chia.util.bech32m import decode_puzzle_hash
from chia.wallet.derive_keys import master_sk_to_local_sk

out = []
for case in json.loads(sys.stdin.read()):
    if "seed" in case:
        master = AugSchemeMPL.key_gen(bytes.fromhex(case["seed"]))
    else:
        master = PrivateKey.from_bytes(bytes.fromhex(case["master_sk"]))
    farmer = G1Element.from_bytes(bytes.fromhex(case["farmer"]))
    contract = case.get("contract")
    pool_info = decode_puzzle_hash(contract) if contract else G1Element.from_bytes(bytes.fromhex(case["pool"]))
    plot_pk = generate_plot_public_key(master_sk_to_local_sk(master).get_g1(), farmer, contract is not None)
    out.append({"plot_pk": bytes(plot_pk).hex(), "pool_info": bytes(pool_info).hex(),
                "group_id": bytes(compute_plot_group_id(case["strength"], plot_pk, pool_info)).hex(),
                "memo": (bytes(pool_info) + bytes(farmer) + bytes(master)).hex()})
print(json.dumps(out))
"""


def chia_derive(cases: list[dict[str, object]]) -> list[dict[str, str]]:
    """For each case (``seed`` or ``master_sk``, ``farmer``, ``pool`` or ``contract``, ``strength``):
    chia's plot pk, pool info, group id and memo, as hex."""
    python = chia_venv() / "bin" / "python"
    done = subprocess.run([str(python), "-c", _SCRIPT], input=json.dumps(cases), capture_output=True, text=True,
                          timeout=TIMEOUT, check=True, stdin=None)
    found: list[dict[str, str]] = json.loads(done.stdout)
    return found
