"""The pos2 plotter's keys against chia-blockchain 2.7.5's own functions (its venv, a subprocess):
same master key, farmer key and pool key or contract -> same plot pk, pool info, group id and memo."""

from __future__ import annotations

import pytest

from plotter.plotting.pos2.address import encode
from plotter.plotting.pos2.keys import derive
from tests.chiacli import FARMER_KEY, POOL_KEY
from tests.plotter.plotting.pos2.chiaref import chia_derive

CONTRACTS = (encode("xch", bytes.fromhex("5a" * 32)), encode("txch", bytes(range(32))))


@pytest.mark.slow
def test_keys_match_chia_blockchain() -> None:
    cases: list[dict[str, object]] = []
    ours = []
    for number, (pool, contract, strength) in enumerate([(POOL_KEY, None, 2), (POOL_KEY, None, 5),
                                                         (None, CONTRACTS[0], 2), (None, CONTRACTS[1], 17)]):
        seed = bytes([number + 1]) * 32
        ours.append(derive(FARMER_KEY, pool, contract, strength, seed))
        cases.append({"seed": seed.hex(), "farmer": FARMER_KEY, "strength": strength,
                      **({"contract": contract} if contract else {"pool": pool})})
    for mine, chia in zip(ours, chia_derive(cases), strict=True):
        assert mine.plot_pk.hex() == chia["plot_pk"]
        assert mine.pool_info.hex() == chia["pool_info"]
        assert mine.group_id.hex() == chia["group_id"]
        assert mine.memo.hex() == chia["memo"]
    assert len({k.group_id for k in ours}) == len(ours)
    assert ours[2].plot_pk != derive(FARMER_KEY, POOL_KEY, None, 2, bytes([3]) * 32).plot_pk  # the taproot key


def test_keys_refuse_what_is_not_a_key() -> None:
    with pytest.raises(ValueError, match="farmer key is not a BLS public key"):
        derive("8" + "a1" * 47 + "b", POOL_KEY, None, 2)
    with pytest.raises(ValueError, match="pool key is not a BLS public key"):
        derive(FARMER_KEY, "9" + "c2" * 47 + "d", None, 2)
    with pytest.raises(ValueError, match="checksum"):
        derive(FARMER_KEY, None, CONTRACTS[0][:-1] + "x", 2)
    with pytest.raises(ValueError, match="exactly one"):
        derive(FARMER_KEY, POOL_KEY, CONTRACTS[0], 2)
