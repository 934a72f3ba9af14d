"""The v1 phase-out arithmetic against chia-blockchain's own ``is_v1_phased_out`` (run in its venv)."""

from __future__ import annotations

import json
import subprocess

import pytest

from nas.replot.deadline import (
    EPOCH_BLOCKS,
    Chain,
    HeightSource,
    cut_off_height,
    estimated,
    v1_weight,
    zero_height,
)
from tests.chiacli import chia_venv

FORK = 9_562_000  # CHIP-49's activation height
E = EPOCH_BLOCKS

# In chia's venv: one v1 proof for each value of the hash byte its phase-out compares, then the
# share of those proofs chia still accepts at each height: the v1 weight, exactly.
CHIA_WEIGHTS = """
import json, sys
from chia_rs.sized_ints import uint32
from chia.consensus.default_constants import DEFAULT_CONSTANTS
from chia.types.blockchain_format.proof_of_space import is_v1_phased_out, v1_cut_off_height
from chia.util.hash import std_hash

fork, heights = int(sys.argv[1]), json.loads(sys.argv[2])
constants = DEFAULT_CONSTANTS.replace(HARD_FORK2_HEIGHT=uint32(fork))
proofs, i = {}, 0
while len(proofs) < 256 and i < 100_000:
    proof = i.to_bytes(8, "big")
    proofs.setdefault(std_hash(proof + b"chia proof-of-space v1 phase-out")[0], proof)
    i += 1
accepted = {h: sum(not is_v1_phased_out(p, uint32(h), constants) for p in proofs.values()) for h in heights}
print(json.dumps({"values": len(proofs), "cut_off": v1_cut_off_height(constants), "accepted": accepted}))
"""


def chia_weights(fork: int, heights: list[int]) -> dict[str, object]:
    python = chia_venv() / "bin" / "python"
    done = subprocess.run([str(python), "-c", CHIA_WEIGHTS, str(fork), json.dumps(heights)], capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.mark.slow  # builds chia-blockchain's venv when it is not cached yet
@pytest.mark.parametrize("fork", [FORK, 1000])
def test_weight_is_chias_share_of_accepted_v1_proofs(fork: int) -> None:
    heights = [fork - 1, fork, fork + 1, fork + E - 1, fork + E, fork + E + 1, fork + 100 * E + 7,
               fork + 253 * E, fork + 253 * E + 1, fork + 254 * E, fork + 254 * E + 1, cut_off_height(fork) - 1,
               cut_off_height(fork), cut_off_height(fork) + 1, fork + 256 * E]
    chia = chia_weights(fork, heights)
    assert chia["values"] == 256
    assert chia["cut_off"] == cut_off_height(fork) == fork + 255 * E
    accepted = chia["accepted"]
    assert isinstance(accepted, dict)
    for height in heights:
        assert v1_weight(height, fork) == accepted[str(height)] / 256, height
    # The first height chia accepts no v1 proof at all is ours.
    assert accepted[str(zero_height(fork) - 1)] == 1 and accepted[str(zero_height(fork))] == 0


def test_weight_by_hand() -> None:
    assert v1_weight(FORK - 1, FORK) == 1.0
    assert v1_weight(FORK, FORK) == 255 / 256  # chia's counter starts at 255 (CHIP-49's table: 1.000)
    assert v1_weight(FORK + 1, FORK) == 254 / 256
    assert v1_weight(FORK + 10 * E + 1, FORK) == 244 / 256
    assert zero_height(FORK) == FORK + 254 * E + 1 == 10_732_433  # CHIP-49's table: 0 at 10,741,648
    assert v1_weight(10_741_648, FORK) == 0.0


def test_estimated_height_and_dates() -> None:
    fork_date = 1_794_268_800.0  # 2026-11-10 00:00 UTC
    now = fork_date + 27.5 * 86400
    chain = estimated(FORK, fork_date, now)
    assert chain == Chain(FORK + 126_720, now, HeightSource.FORK_DATE)  # 27.5 x 4608
    assert chain.time_of(FORK) == fork_date
    # 254 epochs and one block after the fork: 254 days and 18.75 s.
    assert chain.time_of(zero_height(FORK)) == pytest.approx(fork_date + 254 * 86400 + 86400 / E)
    before = estimated(FORK, fork_date, fork_date - 3 * 86400)
    assert before.height == FORK - 3 * E and v1_weight(before.height, FORK) == 1.0
