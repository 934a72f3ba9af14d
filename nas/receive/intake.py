"""One offered plot taken in on a session's lane: drive, data connection, ``.part``, verify, commit.

A lane is one session's data path (:mod:`nas.receive.receiver` runs the session). Its data
connection is opened once, by the plotter presenting the one-time token of the session's first
"ready", and then carries every plot of the session, each behind its frame header
(:mod:`common.transfer.frame`). Nobody without that token can connect; nobody but the plotter
holding the connection can write into it. A plot that fails after its bytes were asked for ends the
connection with it: the next offer gets a fresh port and token.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import socket
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from common.errors import DiskWriteError, NoSpaceError, TransferError, VerifyError
from common.plotformat.plotfile import check_plot_file, parse_name
from common.plotformat.sizes import check_group_size
from common.transfer import frame, protocol
from common.transfer.channel import LineChannel
from common.transfer.sink import open_for_receive, receive_to_fd
from common.transfer.stream import IO_TIMEOUT
from nas.config import NasConfig
from nas.drives import placement
from nas.drives.health import on_healthy_drive
from nas.drives.listing import part_path
from nas.drives.select import Reservation, reserve_drive
from nas.receive.commit import commit, discard, fallocate, preallocate
from nas.receive.dataport import accept_with_token, listen
from nas.receive.receiving import ReceiveProgress
from nas.receive.reservations import ensure_nowhere, record_stored
from nas.state import record_receipt

log = logging.getLogger(__name__)

CONTROL_TIMEOUT = 120.0


@dataclass(frozen=True)
class Offer:
    name: str
    size: int
    have: bool = False  # the plotter understands a "have" answer (see common.transfer.protocol)
    meta_group: int | None = None  # a PoS2 file's, from its header (protocol 3): its placed drive first


class Lane:
    """The session's data connection and how many plots it has carried."""

    def __init__(self, cfg: NasConfig, chan: LineChannel) -> None:
        self.cfg = cfg
        self.chan = chan
        self.data: socket.socket | None = None
        self.seq = 0
        self.streaming = False  # bytes were asked for: a failure now breaks the data connection

    def close(self) -> None:
        if self.data is not None:
            self.data.close()
            self.data = None

    def listener(self) -> AbstractContextManager[socket.socket | None]:
        """A data port when the session has no data connection yet (bound before any drive is
        reserved: a NAS out of data ports must fail before replacement deletes anything)."""
        if self.data is not None:
            return nullcontext(None)
        return listen(self.cfg.nas.data_bind, self.cfg.nas.data_ports)

    def receive(self, offer: Offer) -> None:
        """Take ``offer`` in; "stored" is said once it is a plot. Raises on failure."""
        cfg = self.cfg
        with self.listener() as listener:
            order = placement.order_for(cfg, offer.meta_group)  # a placed PoS2 group: its drive first
            (final, plots), reservation = on_healthy_drive(  # a failing drive is marked and skipped
                cfg, offer.size, lambda: reserve_drive(cfg, offer.size, incoming=offer.name, order=order),
                lambda res: self._receive_on(offer, res, listener))
        log.info("stored %s (%d bytes)", final, offer.size)
        if offer.meta_group is not None:
            placement.landed(cfg, reservation.drive.mountpoint, offer.meta_group)
        record_receipt(cfg.nas.state_dir, offer.name, reservation.drive.mountpoint, offer.size, plots)

    def _receive_on(self, offer: Offer, res: Reservation, listener: socket.socket | None) -> tuple[Path, int]:
        """The stored plot's path and how many plots it holds (a ``.gplot``: its group size)."""
        part = part_path(res.drive.mountpoint, offer.name)
        final = res.drive.mountpoint / offer.name
        try:
            fd, direct = open_for_receive(str(part), self.cfg.nas.direct_io)
        except OSError as exc:
            raise DiskWriteError(f"cannot create {part}: {exc.strerror}", exc.errno, "create") from None
        progress = ReceiveProgress(self.cfg.nas.state_dir, offer.name, offer.size)  # for drive-manager view
        try:
            progress.start()
            digest = self._fill_part(offer, res, listener, fd, direct, progress)
            # Hex only: compare_digest raises TypeError on non-ASCII text.
            expected = protocol.hex_field(protocol.expect(self.chan.read(CONTROL_TIMEOUT), "digest"), "hash")
            if not hmac.compare_digest(expected, digest):
                raise VerifyError(f"{offer.name}: hash mismatch (plotter {expected}, NAS {digest})")
            name = parse_name(offer.name)
            header = check_plot_file(part, name)  # the header read back from the disk, as written
            check_group_size(name, header, offer.size)
            ensure_nowhere(self.cfg, offer.name, at_commit=True)  # exactly once: no other drive got it meanwhile
            commit(part, final, offer.size)
            record_stored(self.cfg.nas.state_dir, offer.name, final, offer.size, digest)  # before "stored"
        except BaseException:
            discard(part)
            raise
        finally:
            os.close(fd)
            progress.close()
        self.chan.write(protocol.encode("stored", path=str(final), size=offer.size, hash=digest, seq=self.seq))
        return final, header.group_size

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
        elif cfg.nas.preallocate:
            preallocate(fd, offer.size, res)
        try:
            digest = receive_to_fd(conn, fd, offer.size, direct=direct, chunk=cfg.nas.buffer_size,
                                   progress=progress, before_write=None if room is None else room.ensure,
                                   expect_eof=False)
        except NoSpaceError as exc:
            raise NoSpaceError(f"{res.drive.mountpoint}: {exc.message}") from None
        try:
            os.fsync(fd)
        except OSError as exc:
            raise DiskWriteError(f"fsync of {offer.name}: {exc.strerror}", exc.errno, "fsync") from None
        return digest


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
