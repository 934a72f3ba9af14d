"""``drive-manager receive``: the NAS side of a transfer session.

Speaks :mod:`common.transfer.protocol` on stdin/stdout (an SSH exec channel or a local pipe) for
as long as the plotter keeps the session: space queries, claims, lookups, placements and offers,
one after another. Each offered plot is taken in on its own (:mod:`nas.receive.intake`): received
into ``<drive>/.<name>.part`` while hashing it, renamed to its final name only after size and hash
match the plotter's and the ``.part``'s own header agrees with the name (id, k, format) and its
layout fits in the bytes received: a matching hash only proves the copy is faithful.

A plot refused before any byte was asked for (busy, already here, no room, a bad name) costs only
itself: the error is said and the session goes on. A failure once bytes were asked for, or on the
control channel itself, ends the session: its data connection is in an unknown state. So does a
state dir this NAS cannot use (exit 9): no request could be answered.
"""

from __future__ import annotations

import logging
import signal
import socket

from common import __version__
from common.errors import (
    AppError,
    PeerTimeoutError,
    ProtocolError,
    StateDirError,
    TransferError,
)
from common.plotformat.plotfile import parse_name
from common.plotformat.sizes import check_plausible_size
from common.statedir import ensure_state_dir
from common.transfer import protocol
from common.transfer.channel import LineChannel
from nas.config import NasConfig
from nas.drives import placement
from nas.drives.select import total_free
from nas.receive import referee
from nas.receive.codes import error_code
from nas.receive.intake import Lane, Offer
from nas.receive.reservations import NameClaim, ensure_nowhere, held_copy

log = logging.getLogger(__name__)

# A session waits this long for the plotter's next request between plots (the plotter closes a
# session it has not used for a minute: plotter.link.pool).
IDLE_TIMEOUT = 600.0
# Errors after which the session cannot go on: the control channel's, and a state dir this NAS cannot use.
SESSION_ENDERS = (ProtocolError, PeerTimeoutError, StateDirError)
NEEDS_STATE = ("space", "offer", "claim", "lookup", "place_group")


class _EndSession(Exception):
    """The plotter said goodbye or hung up."""


def end_on_signals() -> None:
    """SIGTERM and SIGHUP (a plotter ending a receiver it gave up on) unwind like an error:
    the ``.part`` is removed and the name claim released, instead of dying mid-write."""
    def unwind(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, unwind)


def serve(cfg: NasConfig, chan: LineChannel) -> int:
    """Serve one session until the plotter says "bye" or hangs up. Returns an exit code."""
    chan.write(protocol.encode("hello", v=protocol.PROTOCOL_VERSION, max_v=protocol.PROTOCOL_VERSION,
                               host=socket.gethostname(), version=__version__))
    lane = Lane(cfg, chan)
    try:
        while True:
            lane.streaming = False
            try:
                _answer(lane, _next_request(chan))
            except _EndSession:
                return 0
            except AppError as exc:
                _send_error(chan, exc)
                if lane.streaming or isinstance(exc, SESSION_ENDERS):
                    return exc.exit_code
            except OSError as exc:
                error = TransferError(f"I/O error on the NAS: {exc}")
                _send_error(chan, error)
                return error.exit_code
    finally:
        lane.close()


def _next_request(chan: LineChannel) -> protocol.Message:
    line = chan.read_line(IDLE_TIMEOUT)
    if not line:
        raise _EndSession  # the plotter is done with this session (or only asked about space)
    return protocol.decode(line)


def _answer(lane: Lane, message: protocol.Message) -> None:
    cfg, chan, kind = lane.cfg, lane.chan, message["msg"]
    if kind in NEEDS_STATE:
        ensure_state_dir(cfg.nas.state_dir)  # answered now, while the plotter reads a reply
    if kind == "space":
        _answer_space(cfg, chan, message)
    elif kind == "offer":
        _receive(lane, _parse_offer(message))
    elif kind == "claim":
        _hold_claim(lane, _parse_offer(message))
    elif kind == "place_group":
        _answer_place_group(cfg, chan, message)
    elif kind == "lookup":
        referee.answer_lookup(cfg, chan, _parse_name(message))
    elif kind == "bye":
        raise _EndSession
    else:
        raise ProtocolError(f"unexpected message '{kind}'")


def _send_error(chan: LineChannel, exc: AppError) -> None:
    log.error("%s", exc.message)
    try:
        chan.write(protocol.encode("error", code=error_code(exc), error=exc.message))
    except (OSError, AppError):
        pass  # the plotter is gone; it will see the broken session itself


def _answer_space(cfg: NasConfig, chan: LineChannel, message: protocol.Message) -> None:
    size = protocol.field(message, "size", int)
    free, largest, count = total_free(cfg)
    chan.write(protocol.encode("space", free_bytes=free, largest_free=largest, drives=count,
                               can_take=largest >= size))


def _answer_place_group(cfg: NasConfig, chan: LineChannel, message: protocol.Message) -> None:
    size = protocol.field(message, "size", int)
    if size <= 0:
        raise ProtocolError(f"place_group with a bad size {size}")
    made = placement.place(cfg, size)  # None: no drive has room for it
    chan.write(protocol.encode("group_placed", drive=None if made is None else str(made.drive),
                               meta_group=None if made is None else made.meta_group,
                               expires=None if made is None else made.expires))


def _parse_name(message: protocol.Message) -> str:
    name: str = protocol.field(message, "name", str)
    parse_name(name)  # the same regex as the plotter's: never trust the wire
    return name


def _parse_offer(message: protocol.Message) -> Offer:
    name = _parse_name(message)
    size = protocol.field(message, "size", int)
    if size <= 0:
        raise ProtocolError(f"offer of {name} has a bad size {size}")
    check_plausible_size(name, size)  # before any reservation: a name claims no room it cannot fill
    if message.get("hash_alg") != protocol.HASH_ALG:
        raise ProtocolError(f"unsupported hash {message.get('hash_alg')!r}")
    meta = message.get("meta_group")
    meta_group = meta if isinstance(meta, int) and not isinstance(meta, bool) and 0 <= meta <= 255 else None
    return Offer(name, size, message.get("have") is True, meta_group)


def _receive(lane: Lane, offer: Offer) -> None:
    """A plain offer: its name reserved NAS-wide (exactly once, see nas.receive.reservations) until
    its commit ends; the committer releases it."""
    claim = NameClaim(lane.cfg.nas.state_dir, offer.name).__enter__()
    try:
        if _answer_held(lane, offer):
            claim.__exit__(None, None, None)
            return
        lane.receive(offer, claim)
    except BaseException:
        claim.__exit__(None, None, None)
        raise


def _hold_claim(lane: Lane, claim: Offer) -> None:
    """The referee's claim of a name for a plotter with several NAS (see nas.receive.referee): held
    until the plot is committed here, or released once it went elsewhere."""
    def receive(message: protocol.Message) -> None:
        offer = _parse_offer(message)
        if offer.name != claim.name:
            raise ProtocolError(f"offer of {offer.name} while holding the claim of {claim.name}")
        lane.receive(offer, None)
        lane.committer.wait()  # the claim, held here, lasts until the plot is committed

    with NameClaim(lane.cfg.nas.state_dir, claim.name):
        if _answer_held(lane, claim):
            return
        if not referee.hold(lane.cfg, lane.chan, claim.name, lambda m: _answer_space(lane.cfg, lane.chan, m),
                            receive):
            raise _EndSession


def _answer_held(lane: Lane, offer: Offer) -> bool:
    """Answer "have" when a drive holds the name already (True); a plotter that cannot read it is refused."""
    def hashing(path: object, size: int) -> None:
        lane.chan.write(protocol.encode("hashing", path=str(path), size=size))

    if not offer.have:
        ensure_nowhere(lane.cfg, offer.name)
        return False
    held = held_copy(lane.cfg, offer.name, hashing)
    if held is None:
        return False
    log.info("%s is already here (%s, %s): answering have", offer.name, held.path,
             "hashed now" if held.hashed else "recorded at commit")
    lane.chan.write(protocol.encode("have", path=str(held.path), size=held.size, hash=held.hash))
    return True
