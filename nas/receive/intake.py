"""One offered plot taken in on a session's lane: drive, data connection, ``.part``, bytes, digest.

A lane is one session's data path (:mod:`nas.receive.receiver` runs the session). Its data
connection is opened once, by the plotter presenting the one-time token of the session's first
"ready", and then carries every plot of the session, each behind its frame header
(:mod:`common.transfer.frame`). Nobody without that token can connect; nobody but the plotter
holding the connection can write into it. A plot that fails while its bytes come ends the session.

Once a plot's bytes and the plotter's digest are in, the lane hands the plot to its
:class:`~nas.receive.commit.Committer` (verify, fsync, rename, "stored") and goes back to the
session: the next plot streams while the previous one is committed. One plot commits at a time.
"""

from __future__ import annotations

import logging
import secrets
import socket
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from common.errors import DiskWriteError, NoSpaceError, PlotBusyError, TransferError
from common.transfer import frame, protocol
from common.transfer.channel import LineChannel
from common.transfer.sink import open_for_receive, receive_to_fd
from common.transfer.stream import IO_TIMEOUT, in_memory
from nas.config import NasConfig
from nas.drives import placement
from nas.drives.health import on_healthy_drive
from nas.drives.listing import Drive, part_path
from nas.drives.select import Beside, Reservation, reserve_drive
from nas.receive.commit import Committer, Pending, drop, fallocate, preallocate
from nas.receive.dataport import accept_with_token, listen
from nas.receive.receiving import ReceiveProgress
from nas.receive.reservations import NameClaim

log = logging.getLogger(__name__)

CONTROL_TIMEOUT = 120.0
Order = Callable[[list[Drive]], list[Drive]] | None


@dataclass(frozen=True)
class Offer:
    name: str
    size: int
    have: bool = False  # the plotter understands a "have" answer (see common.transfer.protocol)
    meta_group: int | None = None  # a PoS2 file's, from its header (protocol 3): its placed drive first


class Lane:
    """The session's data connection, how many plots it has carried, and its committer."""

    def __init__(self, cfg: NasConfig, chan: LineChannel) -> None:
        self.cfg = cfg
        self.chan = chan
        self.data: socket.socket | None = None
        self.seq = 0
        self.streaming = False  # bytes were asked for: a failure now breaks the data connection
        self.committer = Committer(cfg, chan)

    def close(self) -> None:
        self.committer.wait()
        if self.data is not None:
            self.data.close()
            self.data = None

    def listener(self) -> AbstractContextManager[socket.socket | None]:
        """A data port when the session has no data connection yet (bound before any drive is
        reserved: a NAS out of data ports must fail before replacement deletes anything)."""
        if self.data is not None:
            return nullcontext(None)
        return listen(self.cfg.nas.data_bind, self.cfg.nas.data_ports)

    def receive(self, offer: Offer, claim: NameClaim | None) -> None:
        """Take ``offer``'s bytes and digest in, then hand it to the committer, which releases the
        drive and ``claim`` (the name's reservation; None: the caller holds it) once it is done."""
        with self.listener() as listener:
            order = placement.order_for(self.cfg, offer.meta_group)  # a placed PoS2 group: its drive first
            pending, _ = on_healthy_drive(  # a failing drive is marked and skipped
                self.cfg, offer.size, lambda: self._reserve(offer, order),
                lambda res: self._take_in(offer, res, listener), hand_over=True)
        try:
            # Hex only: compare_digest raises TypeError on non-ASCII text.
            expected = protocol.hex_field(protocol.expect(self.chan.read(CONTROL_TIMEOUT), "digest"), "hash")
        except BaseException:
            pending.abandon()
            raise
        self.committer.submit(pending, expected, claim)

    def _reserve(self, offer: Offer, order: Order) -> Reservation:
        """A drive for ``offer``. While the previous plot still commits, the ranking as always, its
        drive shared when that comes up (never the drive-busy poll: that commit is waited for instead)."""
        committing = self.committer.committing()
        if committing is not None:
            beside = Beside(committing.res, committing.part, committing.size)
            try:  # busy drives are skipped, never polled for, while a commit runs here
                return reserve_drive(self.cfg, offer.size, wait=0, incoming=offer.name, order=order, beside=beside)
            except (NoSpaceError, PlotBusyError):
                self.committer.wait()
        return reserve_drive(self.cfg, offer.size, incoming=offer.name, order=order)

    def _take_in(self, offer: Offer, res: Reservation, listener: socket.socket | None) -> Pending:
        """The plot's bytes in its ``.part`` on ``res``'s drive, hashed as they arrived."""
        part = part_path(res.drive.mountpoint, offer.name)
        try:
            fd, direct = open_for_receive(str(part), self.cfg.nas.direct_io)
        except OSError as exc:
            raise DiskWriteError(f"cannot create {part}: {exc.strerror}", exc.errno, "create") from None
        progress = ReceiveProgress(self.cfg.nas.state_dir, offer.name, offer.size)  # for drive-manager view
        try:
            progress.start()
            digest = self._fill_part(offer, res, listener, fd, direct, progress)
        except BaseException:
            drop(fd, progress, part)
            raise
        return Pending(offer.name, offer.size, offer.meta_group, self.seq, res, fd, part, digest, progress)

    def _ready(self, offer: Offer, res: Reservation, listener: socket.socket | None) -> socket.socket:
        """Say "ready" for plot ``seq``; the data connection it is to come on, its frame header read."""
        self.seq += 1
        fields: dict[str, object] = {"seq": self.seq, "drive": str(res.drive.mountpoint)}
        token = secrets.token_bytes(protocol.TOKEN_BYTES)
        if listener is not None:
            fields.update(port=listener.getsockname()[1], token=token.hex())
        self.streaming = True
        self.chan.write(protocol.encode("ready", **fields))
        if listener is not None:
            self.data = accept_with_token(listener, token, self.cfg.nas.accept_timeout)
            listener.close()  # nobody else may connect while the session lasts
        assert self.data is not None
        self.data.settimeout(IO_TIMEOUT)
        frame.check(_recv_exactly(self.data, frame.SIZE), self.seq, offer.size)
        return self.data

    def _fill_part(self, offer: Offer, res: Reservation, listener: socket.socket | None, fd: int,
                   direct: bool, progress: ReceiveProgress) -> str:
        cfg = self.cfg
        conn = self._ready(offer, res, listener)
        # Replacement deletes plots only as the bytes that need their room arrive (nas/replace/room.py).
        room = res.room(cfg, fd, fallocate if cfg.nas.preallocate else None)
        if room is not None:
            room.preallocate()  # only what fits now
        elif cfg.nas.preallocate and not in_memory(fd):
            # Not in RAM (tmpfs, ramfs): fallocate there allocates every page before the first byte
            # may come (0.24 s per GB, measured), for neither of its uses on a disk (a contiguous
            # plot, no ENOSPC mid-stream). A RAM drive that fills up fails that plot alone.
            preallocate(fd, offer.size, res)
        try:
            return receive_to_fd(conn, fd, offer.size, direct=direct, chunk=cfg.nas.buffer_size,
                                 progress=progress, before_write=None if room is None else room.ensure,
                                 expect_eof=False)
        except NoSpaceError as exc:
            raise NoSpaceError(f"{res.drive.mountpoint}: {exc.message}") from None


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    got = bytearray()
    try:
        while len(got) < size:
            chunk = sock.recv(size - len(got))
            if not chunk:
                break
            got += chunk
    except OSError as exc:
        raise TransferError(f"the data connection broke before the plot's frame: {exc.strerror or exc}") from None
    return bytes(got)
