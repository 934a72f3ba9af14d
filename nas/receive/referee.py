"""Exactly once across several NAS, NAS side: the referee's held claim, its ledger, lookups.

A plotter with several NAS claims each plot name at the name's referee NAS (see
:mod:`plotter.send.farm` for the whole argument). The claim is this NAS's own name reservation
(:class:`nas.receive.reservations.NameClaim`), held by a receiver that then waits on the plotter:
while the plotter asks the other NAS whether they hold the name ("lookup"), and while it sends
the plot to another NAS when this one has no room. The plotter says "keep" every 30 s; a
plotter silent for ``HOLD_TIMEOUT`` or gone (end of the session: a crash, a power cut, a broken
link) ends the receiver, which frees the claim.

The ledger (table ``placed``) is what the referee was told before a plot went elsewhere: name
and the NAS it went to, in the plotter's section names. It outlives the claim, so the next
claim holder learns where a copy may be even when that NAS cannot be asked right now.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from common.errors import ProtocolError
from common.transfer import protocol
from common.transfer.channel import LineChannel
from nas.config import NasConfig
from nas.receive.reservations import NameClaim, held_copy, read_row, write_locked
from nas.state import DB_NAME

HOLD_TIMEOUT = 120.0  # four of the plotter's "keep"s
MAX_NAS_NAME = 200

Handler = Callable[[protocol.Message], None]


def hold(cfg: NasConfig, chan: LineChannel, name: str, answer_space: Callable[[protocol.Message], None],
         receive: Handler) -> bool:
    """With the claim of ``name`` held by the caller: say so, then serve its holder until it is done
    with the name: True when the session goes on (the plot was received here, or the holder said
    "release" once it went elsewhere), False when the holder said "bye" or is gone."""
    state = cfg.nas.state_dir
    chan.write(protocol.encode("claimed", placed=placed_on(state, name)))
    while True:  # each read is bounded by HOLD_TIMEOUT; the session's end ends it
        line = chan.read_line(HOLD_TIMEOUT)
        if not line:
            return False  # the plotter is gone: the claim goes with this process
        message = protocol.decode(line)
        kind = message["msg"]
        if kind == "keep":
            continue
        if kind == "space":
            answer_space(message)
        elif kind == "place":
            record_placed(state, name, nas_name(message))
            chan.write(protocol.encode("placed"))
        elif kind == "offer":
            forget_placed(state, name)  # it comes here now; a ledger naming another NAS was stale
            receive(message)
            return True
        elif kind == "release":
            chan.write(protocol.encode("released"))
            return True
        elif kind == "bye":
            return False
        else:
            raise ProtocolError(f"unexpected message '{kind}' while holding the claim of {name}")


def nas_name(message: protocol.Message) -> str:
    value: str = protocol.field(message, "nas", str)
    if not 0 < len(value) <= MAX_NAS_NAME or not value.isprintable():
        raise ProtocolError("'place' message has no valid 'nas'")
    return value


def answer_lookup(cfg: NasConfig, chan: LineChannel, name: str) -> None:
    """Whether this NAS holds ``name`` ("have" with its size and hash, or "none"); "busy" while a
    receiver here holds the name (its copy may be about to appear)."""
    def hashing(path: Path, size: int) -> None:
        chan.write(protocol.encode("hashing", path=str(path), size=size))

    with NameClaim(cfg.nas.state_dir, name):
        held = held_copy(cfg, name, hashing)
    if held is None:
        chan.write(protocol.encode("none"))
    else:
        chan.write(protocol.encode("have", path=str(held.path), size=held.size, hash=held.hash))


def placed_on(state_dir: Path, name: str) -> str | None:
    row = read_row(state_dir, "SELECT nas FROM placed WHERE name = ?", name)
    return None if row is None else str(row["nas"])


def record_placed(state_dir: Path, name: str, nas: str) -> None:
    """Before the plotter sends elsewhere: a failure here fails the claim (the plot waits)."""
    write_locked(state_dir / DB_NAME, lambda conn: conn.execute(
        "INSERT OR REPLACE INTO placed VALUES (?, ?, ?)", (name, nas, time.time())))


def forget_placed(state_dir: Path, name: str) -> None:
    write_locked(state_dir / DB_NAME, lambda conn: conn.execute("DELETE FROM placed WHERE name = ?", (name,)))
