"""The plotter's half of :mod:`common.transfer.protocol`, over one :class:`Session`."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from common import units
from common.errors import AppError, PeerTimeoutError, ProtocolError, RemoteError, TransferError
from common.transfer import protocol
from plotter.link.session import Session

log = logging.getLogger(__name__)

ENDED_TIMEOUT = 5.0
NOISE_LINES = 20
REPLY_TIMEOUT = 120.0
REASON_TIMEOUT = 5.0
# Receiving ends with fsync of a whole plot on a spinning disk: give it time.
STORED_TIMEOUT = 600.0
# A NAS hashing a copy it holds without a record reads the whole plot; assume a slow disk.
HASH_RATE = 20e6


@dataclass(frozen=True)
class Space:
    free_bytes: int
    largest_free: int
    can_take: bool


@dataclass(frozen=True)
class Ready:
    port: int
    token: bytes
    drive: str


@dataclass(frozen=True)
class Have:
    """The NAS already holds the offered name: that copy's path, size and hash."""

    path: str
    size: int
    hash: str


@dataclass(frozen=True)
class GroupPlaced:
    """The drive and meta group a NAS reserved for a PoS2 group about to be plotted."""

    drive: str
    meta_group: int


@dataclass(frozen=True)
class Claimed:
    """The referee holds the name for us; ``placed``: the NAS its ledger says the name went to."""

    placed: str | None


def _have(reply: protocol.Message) -> Have:
    return Have(protocol.field(reply, "path", str), protocol.field(reply, "size", int),
                protocol.hex_field(reply, "hash"))


def hash_timeout(size: int) -> float:
    return STORED_TIMEOUT + size / HASH_RATE


@dataclass(frozen=True)
class Stored:
    path: str
    size: int
    hash: str


class NasClient:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.chan = session.channel
        try:
            hello = protocol.expect(self._first_message(), "hello")
            version = hello.get("max_v", hello.get("v"))  # protocol 3 adds messages only: see protocol
            if not isinstance(version, int) or not protocol.OLDEST_VERSION <= version <= protocol.PROTOCOL_VERSION:
                raise ProtocolError(f"NAS speaks protocol {version}, we speak "
                                    f"{protocol.PROTOCOL_VERSION}: upgrade both ends")
        except BaseException:
            session.close()  # a watcher retries for months: a failed hello must not leak an SSH transport
            raise
        self.host = str(hello.get("host", "?"))
        self.version: int = version

    def _first_message(self) -> protocol.Message:
        """The hello, past any lines a login shell may print first (motd, rc-file echoes)."""
        target = self.session.target
        wait = target.connect_timeout  # starting the NAS command is part of connecting
        for _ in range(NOISE_LINES):
            try:
                line = self.chan.read_line(wait)
            except PeerTimeoutError:
                raise RemoteError(f"[nas {target.name}]: `{target.command} receive` sent no hello within "
                                  f"{wait:.0f} s: is `command` right, and does it start there?") from None
            if not line:
                raise RemoteError(f"[nas {self.session.target.name}]: `command` ended before its hello "
                                  f"({self.session.ended(ENDED_TIMEOUT)}); is it right?")
            try:
                return protocol.decode(line)
            except ProtocolError:
                log.debug("ignoring non-protocol output before hello: %r", line[:80])
        raise ProtocolError(f"no protocol hello within the first {NOISE_LINES} lines: is `command` right?")

    def space(self, size: int) -> Space:
        self._write(protocol.encode("space", size=size))
        reply = protocol.expect(self.chan.read(REPLY_TIMEOUT), "space")
        return Space(protocol.field(reply, "free_bytes", int), protocol.field(reply, "largest_free", int),
                     protocol.field(reply, "can_take", bool))

    def offer(self, name: str, size: int, meta_group: int | None = None) -> Ready | Have:
        extra = {} if meta_group is None else {"meta_group": meta_group}  # a PoS2 file's: its placed drive
        self._write(protocol.encode("offer", name=name, size=size, hash_alg=protocol.HASH_ALG, have=True, **extra))
        reply = self._past_hashing(name, size)
        if reply["msg"] == "have":
            return _have(reply)
        reply = protocol.expect(reply, "ready")
        token = protocol.field(reply, "token", str)
        try:
            raw = bytes.fromhex(token)
        except ValueError:
            raw = b""
        if len(raw) != protocol.TOKEN_BYTES:
            raise ProtocolError("NAS sent a malformed token")
        return Ready(protocol.field(reply, "port", int), raw, protocol.field(reply, "drive", str))

    def place_group(self, size: int) -> GroupPlaced | None:
        """Ask for a drive and meta group for a PoS2 group of ``size`` bytes (protocol 3); None: the
        NAS has no drive with room for it."""
        self._write(protocol.encode("place_group", size=size))
        reply = protocol.expect(self.chan.read(REPLY_TIMEOUT), "group_placed")
        meta_group, drive = reply.get("meta_group"), reply.get("drive")
        if meta_group is None:
            return None
        if not isinstance(meta_group, int) or isinstance(meta_group, bool) or not 0 <= meta_group <= 255:
            raise ProtocolError("'group_placed' message has no valid 'meta_group'")
        if not isinstance(drive, str):
            raise ProtocolError("'group_placed' message has no valid 'drive'")
        return GroupPlaced(drive, meta_group)

    def claim(self, name: str, size: int) -> Claimed | Have:
        """Reserve ``name`` at this NAS, its referee, for this session (protocol 2)."""
        self._need_claims()
        self._write(protocol.encode("claim", name=name, size=size, hash_alg=protocol.HASH_ALG, have=True))
        reply = self._past_hashing(name, size)
        if reply["msg"] == "have":
            return _have(reply)
        placed = protocol.expect(reply, "claimed").get("placed")
        if placed is not None and not isinstance(placed, str):
            raise ProtocolError("'claimed' message has no valid 'placed'")
        return Claimed(placed)

    def lookup(self, name: str, size: int) -> Have | None:
        """The copy of ``name`` this NAS holds, None when it holds none (protocol 2)."""
        self._need_claims()
        self._write(protocol.encode("lookup", name=name, size=size))
        reply = self._past_hashing(name, size)
        if reply["msg"] == "have":
            return _have(reply)
        protocol.expect(reply, "none")
        return None

    def place(self, nas: str) -> None:
        """Tell the referee (whose claim we hold) that the plot goes to ``nas``: its ledger."""
        self._write(protocol.encode("place", nas=nas))
        protocol.expect(self.chan.read(REPLY_TIMEOUT), "placed")

    def keep(self) -> None:
        """Keep a held claim: the referee gives up on a plotter silent for its control timeout."""
        self._write(protocol.encode("keep"))

    def _need_claims(self) -> None:
        if self.version < 2:
            raise ProtocolError(f"[nas {self.session.target.name}] speaks protocol {self.version}: several "
                                "[nas] sections need protocol 2 on every NAS (exactly once across them); upgrade it")

    def _past_hashing(self, name: str, size: int) -> protocol.Message:
        reply = self.chan.read(REPLY_TIMEOUT)
        if reply["msg"] == "hashing":
            log.info("the NAS is hashing its copy of %s first (%s)", name, units.size(size))
            reply = self.chan.read(hash_timeout(size))
        return reply

    def digest(self, digest: str) -> Stored:
        self._write(protocol.encode("digest", hash=digest))
        reply = protocol.expect(self.chan.read(STORED_TIMEOUT), "stored")
        return Stored(protocol.field(reply, "path", str), protocol.field(reply, "size", int),
                      protocol.field(reply, "hash", str))

    def _write(self, line: bytes) -> None:
        """Send ``line``; when the NAS has already hung up, raise the reason it gave instead."""
        try:
            self.chan.write(line)
        except TransferError as exc:
            self.raise_reason(exc)
            raise

    def raise_reason(self, ours: AppError) -> None:
        """Raise the error the NAS sent before it hung up, if it sent one (a drive that filled
        mid-stream): that, not our broken pipe, is what the log and history need. ``ours``,
        what failed here, is kept in the message: the NAS may only have seen its effect."""
        try:
            message = self.chan.read(REASON_TIMEOUT)
        except AppError as exc:
            log.debug("no reason from the NAS: %s", exc.message)
            return
        try:
            protocol.raise_if_error(message)
        except RemoteError as theirs:
            raise RemoteError(f"{theirs.message} (here: {ours.message})", theirs.code) from None
        log.debug("NAS sent %r instead of a reason", message["msg"])

    def close(self) -> None:
        """Say goodbye (so the NAS exits quietly) and end the session.

        Called from ``finally`` blocks: it must never replace the error being raised
        (a NAS that sent its reason and exited makes this write fail)."""
        try:
            self.chan.write(protocol.encode("bye"))
        except TransferError as exc:
            log.debug("no goodbye to the NAS: %s", exc.message)
        self.session.close()
