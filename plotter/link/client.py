"""The plotter's half of :mod:`common.transfer.protocol`, over one :class:`Session`."""

from __future__ import annotations

import logging
import queue
import socket
from collections.abc import Callable

from common import units
from common.errors import AppError, PeerTimeoutError, ProtocolError, RemoteError, TransferError
from common.transfer import protocol
from common.transfer.stream import IO_TIMEOUT
from plotter.link.inbox import Inbox
from plotter.link.replies import Claimed, Commit, GroupPlaced, Have, Ready, Space, Stored, have_of
from plotter.link.session import Session

log = logging.getLogger(__name__)

ENDED_TIMEOUT = 5.0
SESSION_ENDERS = ("protocol", "state_dir")  # error codes after which the NAS ends the session
NOISE_LINES = 20
REPLY_TIMEOUT = 120.0
REASON_TIMEOUT = 5.0
# Receiving ends with fsync of a whole plot on a spinning disk: give it time.
STORED_TIMEOUT = 600.0
# A NAS hashing a copy it holds without a record reads the whole plot; assume a slow disk.
HASH_RATE = 20e6


def hash_timeout(size: int) -> float:
    return STORED_TIMEOUT + size / HASH_RATE


class NasClient:
    """One session with a NAS (protocol 4): requests one after another, plots on one data connection.

    The client knows whether its session can carry another request (:meth:`reusable`): not after a
    failure of the channel or an error once bytes were asked for (the NAS ends the session then),
    and not while it holds a referee's claim."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.chan = session.channel
        self.data: socket.socket | None = None  # the session's data connection, once opened
        self._broken = False
        self._streaming = False  # "ready" came, "stored" not yet
        self._holding: str | None = None  # the name whose referee claim this session holds
        try:
            hello = protocol.expect(self._first_message(), "hello")
            version = hello.get("max_v", hello.get("v"))
            if not isinstance(version, int) or not protocol.OLDEST_VERSION <= version <= protocol.PROTOCOL_VERSION:
                raise ProtocolError(f"NAS speaks protocol {version}, we speak "
                                    f"{protocol.PROTOCOL_VERSION}: upgrade both ends")
        except BaseException:
            session.close()  # a watcher retries for months: a failed hello must not leak an SSH transport
            raise
        self.host = str(hello.get("host", "?"))
        self.version: int = version
        self.inbox = Inbox(self.chan, session.target.name)  # from here on, only the inbox reads
        self.inbox.start()

    def reusable(self) -> bool:
        """Whether the session can take the next request (see the class)."""
        return not (self._broken or self._streaming or self._holding is not None) and self.session.alive()

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
        reply = protocol.expect(self._read(REPLY_TIMEOUT), "space")
        return Space(protocol.field(reply, "free_bytes", int), protocol.field(reply, "largest_free", int),
                     protocol.field(reply, "can_take", bool))

    def answers(self) -> bool:
        """Whether the NAS answers a "space" query within ``connect_timeout`` (a warm session that
        sat idle: a NAS that lost power leaves it looking open)."""
        try:
            self._write(protocol.encode("space", size=0))
            protocol.expect(self._read(self.session.target.connect_timeout), "space")
        except AppError as exc:
            self._broken = True
            log.debug("[nas %s]: an idle session did not answer (%s); opening a new one",
                      self.session.target.name, exc.message)
            return False
        return True

    def offer(self, name: str, size: int, meta_group: int | None = None) -> Ready | Have:
        extra = {} if meta_group is None else {"meta_group": meta_group}  # a PoS2 file's: its placed drive
        self._write(protocol.encode("offer", name=name, size=size, hash_alg=protocol.HASH_ALG, have=True, **extra))
        reply = self._past_hashing(name, size)
        if reply["msg"] == "have":
            self._holding = None
            return have_of(reply)
        reply = protocol.expect(reply, "ready")
        self._streaming = True
        return self._ready(reply)

    def _ready(self, reply: protocol.Message) -> Ready:
        seq, port, token = protocol.field(reply, "seq", int), reply.get("port"), reply.get("token")
        if port is None and token is None:
            if self.data is None:
                raise ProtocolError("NAS asked for a plot on a data connection this session does not have")
            return Ready(None, None, protocol.field(reply, "drive", str), seq)
        try:
            raw = bytes.fromhex(protocol.hex_field(reply, "token"))
        except ProtocolError:
            raw = b""
        if len(raw) != protocol.TOKEN_BYTES:
            raise ProtocolError("NAS sent a malformed token")
        return Ready(protocol.field(reply, "port", int), raw, protocol.field(reply, "drive", str), seq)

    def place_group(self, size: int) -> GroupPlaced | None:
        """Ask for a drive and meta group for a PoS2 group of ``size`` bytes (protocol 3); None: the
        NAS has no drive with room for it."""
        self._write(protocol.encode("place_group", size=size))
        reply = protocol.expect(self._read(REPLY_TIMEOUT), "group_placed")
        meta_group, drive = reply.get("meta_group"), reply.get("drive")
        if meta_group is None:
            return None
        if not isinstance(meta_group, int) or isinstance(meta_group, bool) or not 0 <= meta_group <= 255:
            raise ProtocolError("'group_placed' message has no valid 'meta_group'")
        if not isinstance(drive, str):
            raise ProtocolError("'group_placed' message has no valid 'drive'")
        return GroupPlaced(drive, meta_group)

    def claim(self, name: str, size: int) -> Claimed | Have:
        """Reserve ``name`` at this NAS, its referee, until it is stored here or :meth:`release`d."""
        self._write(protocol.encode("claim", name=name, size=size, hash_alg=protocol.HASH_ALG, have=True))
        reply = self._past_hashing(name, size)
        if reply["msg"] == "have":
            return have_of(reply)
        placed = protocol.expect(reply, "claimed").get("placed")
        if placed is not None and not isinstance(placed, str):
            raise ProtocolError("'claimed' message has no valid 'placed'")
        self._holding = name
        return Claimed(placed)

    def release(self) -> None:
        """End the claim this session holds (the plot went to another NAS); the session goes on."""
        if self._holding is not None:
            self._write(protocol.encode("release"))
            protocol.expect(self._read(REPLY_TIMEOUT), "released")
            self._holding = None

    def lookup(self, name: str, size: int) -> Have | None:
        """The copy of ``name`` this NAS holds, None when it holds none."""
        self._write(protocol.encode("lookup", name=name, size=size))
        reply = self._past_hashing(name, size)
        if reply["msg"] == "have":
            return have_of(reply)
        protocol.expect(reply, "none")
        return None

    def place(self, nas: str) -> None:
        """Tell the referee (whose claim we hold) that the plot goes to ``nas``: its ledger."""
        self._write(protocol.encode("place", nas=nas))
        protocol.expect(self._read(REPLY_TIMEOUT), "placed")

    def keep(self) -> None:
        """Keep a held claim: the referee gives up on a plotter silent for its control timeout."""
        self._write(protocol.encode("keep"))

    def _past_hashing(self, name: str, size: int) -> protocol.Message:
        reply = self._read(REPLY_TIMEOUT)
        if reply["msg"] == "hashing":
            log.info("the NAS is hashing its copy of %s first (%s)", name, units.size(size))
            reply = self._read(hash_timeout(size))
        return reply

    def _read(self, timeout: float) -> protocol.Message:
        """The NAS's next reply; the session is marked unusable when the NAS ends it after this."""
        try:
            message = self.inbox.reply(timeout)
        except AppError:
            self._broken = True
            raise
        if message["msg"] == "error" and (self._streaming or message.get("code") in SESSION_ENDERS):
            self._broken = True  # the NAS ends the session after such an error
        return message

    def digest(self, digest: str, seq: int) -> Commit:
        """Send plot ``seq``'s digest. The NAS commits it while the session carries the next request;
        :meth:`stored` waits for the outcome."""
        box = self.inbox.expect_commit(seq)
        self._write(protocol.encode("digest", hash=digest))
        self._streaming = False
        return Commit(seq, box)

    def stored(self, commit: Commit, timeout: float = STORED_TIMEOUT) -> Stored:
        """Plot ``commit.seq`` as the NAS stored it, or its error (RemoteError: it was not stored)."""
        try:
            item = commit.box.get(timeout=timeout)
        except queue.Empty:
            self._broken = True
            raise PeerTimeoutError(f"the NAS did not say within {timeout:.0f} s whether it stored the plot") from None
        if isinstance(item, AppError):
            self._broken = True
            raise item
        reply = protocol.expect(item, "stored")
        self._holding = None  # a claim held here ends with the plot committed here
        return Stored(protocol.field(reply, "path", str), protocol.field(reply, "size", int),
                      protocol.field(reply, "hash", str))

    def open_data(self, ready: Ready, connect: Callable[[str, int, float], socket.socket]) -> socket.socket:
        """The data connection plot ``ready.seq`` goes on: the session's own, or a new one opened
        with the token (its first plot). A failed connect is not caught: the NAS only knows nobody came."""
        if ready.port is None or ready.token is None:
            assert self.data is not None  # checked when "ready" was read
            return self.data
        self.drop_data()
        target = self.session.target
        sock = connect(target.data_host, ready.port, target.connect_timeout)
        try:
            sock.settimeout(IO_TIMEOUT)
            sock.sendall(ready.token)
        except OSError as exc:
            sock.close()
            self._broken = True
            raise TransferError(f"data connection broke at once: {exc.strerror}") from None
        self.data = sock
        return sock

    def drop_data(self) -> None:
        """Close the data connection (a plot failed on it: the session cannot go on)."""
        if self.data is not None:
            self._broken = True
            self.data.close()
            self.data = None

    def _write(self, line: bytes) -> None:
        """Send ``line``; when the NAS has already hung up, raise the reason it gave instead."""
        try:
            self.chan.write(line)
        except TransferError as exc:
            self._broken = True
            self.raise_reason(exc)
            raise

    def raise_reason(self, ours: AppError) -> None:
        """Raise the error the NAS sent before it hung up, if it sent one (a drive that filled
        mid-stream): that, not our broken pipe, is what the log and history need. ``ours``,
        what failed here, is kept in the message: the NAS may only have seen its effect."""
        self._broken = True
        try:
            message = self.inbox.reply(REASON_TIMEOUT)
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
        (a NAS that sent its reason and exited makes this write fail). A plot still committing on
        the NAS is waited for first (bounded): closing would leave it stored there but unknown here."""
        self.inbox.wait_commits(STORED_TIMEOUT)
        try:
            self.chan.write(protocol.encode("bye"))
        except TransferError as exc:
            log.debug("no goodbye to the NAS: %s", exc.message)
        if self.data is not None:
            self.data.close()
            self.data = None
        self.session.close()
