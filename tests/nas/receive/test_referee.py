"""The referee's side of exactly once across NAS, with real receivers driven by hand: a held
claim, the ledger, lookups, and what a claim holder may not do."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from common.transfer import protocol
from common.transfer.stream import hash_file
from nas.state import DB_NAME
from tests.helpers import make_nas, wait_for
from tests.receiver import HandReceiver

CopyPlots = Callable[..., list[Path]]
NAME = "plot-k32-2024-01-01-00-00-" + "cd" * 32 + ".plot"
SIZE = 108_000_000_000


def claim(receiver: HandReceiver, name: str = NAME, size: int = SIZE) -> dict[str, object]:
    receiver.send("claim", name=name, size=size, hash_alg=protocol.HASH_ALG, have=True)
    return receiver.read()


def placed(state: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(state / DB_NAME) as conn:
        return list(conn.execute("SELECT name, nas FROM placed"))


def test_a_held_claim_is_the_one_lock_and_ends_with_its_session(tmp_path: Path) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    holder = HandReceiver(nas.ini)
    assert claim(holder) == {"msg": "claimed", "placed": None}
    holder.send("keep")
    holder.send("place", nas="nas02")
    assert holder.read() == {"msg": "placed"}

    rival = HandReceiver(nas.ini)
    answer = claim(rival)
    assert answer["msg"] == "error" and answer["code"] == "busy"
    assert rival.goes_on()  # refused before any byte: the session goes on
    lookup = HandReceiver(nas.ini)  # a lookup meets the claim too: a copy may be about to appear
    lookup.send("lookup", name=NAME, size=SIZE)
    assert lookup.read()["code"] == "busy"
    lookup.finish()

    assert holder.finish() == 0  # its stdin closed: the plotter is gone, and so is the claim
    later = HandReceiver(nas.ini)
    assert claim(later) == {"msg": "claimed", "placed": "nas02"}  # the ledger outlives the claim
    later.send("bye")
    assert later.finish() == 0
    assert placed(nas.state) == [(NAME, "nas02")]


def test_a_claim_holder_may_offer_only_its_name_and_only_a_valid_nas(tmp_path: Path) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    other = HandReceiver(nas.ini)
    assert claim(other)["msg"] == "claimed"
    other.send("offer", name=NAME.replace("cd", "ef"), size=SIZE, hash_alg=protocol.HASH_ALG, have=True)
    answer = other.read()
    assert answer["msg"] == "error" and "while holding the claim" in str(answer["error"])
    other.finish()
    for bad in ("", "x" * 201, "nas\n02", 7):
        receiver = HandReceiver(nas.ini)
        assert claim(receiver)["msg"] == "claimed"
        receiver.send("place", nas=bad)
        assert receiver.read()["code"] == "protocol"
        receiver.finish()
    assert placed(nas.state) == []
    wait_for(lambda: not list(sqlite3.connect(nas.state / DB_NAME).execute("SELECT * FROM incoming")), 10,
             "the claims to go with their receivers")


def test_a_claim_or_lookup_of_a_held_copy_answers_have(tmp_path: Path, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    (copy,) = copy_plots(nas.drives[0], 1)
    size = copy.stat().st_size
    lookup = HandReceiver(nas.ini)
    lookup.send("lookup", name=copy.name, size=size)
    assert lookup.read()["msg"] == "hashing"  # no record yet: hashed once
    assert lookup.read() == {"msg": "have", "path": str(copy), "size": size, "hash": hash_file(str(copy))}
    lookup.send("bye")
    assert lookup.finish() == 0
    holder = HandReceiver(nas.ini)
    assert claim(holder, copy.name, size)["msg"] == "have"  # recorded now: no hashing
    assert holder.finish() == 0
    empty = HandReceiver(nas.ini)
    empty.send("lookup", name=NAME, size=SIZE)
    assert empty.read() == {"msg": "none"}
    empty.send("bye")
    assert empty.finish() == 0
