"""``drive-manager receive``: the one-shot NAS side of a plot transfer.

Speaks :mod:`common.transfer.protocol` on stdin/stdout (an SSH exec channel or a local
pipe), receives one plot into ``<drive>/.<name>.part`` while hashing it, and
renames it to its final name only after size and hash match the plotter's and
the ``.part``'s own header agrees with the name (id, k, format) and its layout
fits in the bytes received: a matching hash only proves the copy is faithful.
"""

from __future__ import annotations

import errno
import hmac
import logging
import os
import secrets
import signal
import socket
from dataclasses import dataclass
from pathlib import Path

from common import __version__
from common.errors import (
    AppError,
    DiskWriteError,
    DriveFailingError,
    NoSpaceError,
    PlotBusyError,
    PlotContentError,
    PlotExistsError,
    PlotFileError,
    ProtocolError,
    StateDirError,
    TransferError,
    VerifyError,
)
from common.plotformat.plotfile import check_plot_file, parse_name
from common.plotformat.sizes import check_group_size, check_plausible_size
from common.statedir import ensure_state_dir
from common.transfer import protocol
from common.transfer.channel import LineChannel
from common.transfer.sink import open_for_receive, receive_to_fd
from common.transfer.stream import IO_TIMEOUT
from nas.config import NasConfig
from nas.drives import placement
from nas.drives.health import on_healthy_drive
from nas.drives.listing import part_path
from nas.drives.select import Reservation, reserve_drive, total_free
from nas.receive import referee
from nas.receive.dataport import accept_with_token, listen
from nas.receive.receiving import ReceiveProgress
from nas.receive.reservations import NameClaim, ensure_nowhere, held_copy, record_stored
from nas.state import record_receipt

log = logging.getLogger(__name__)

CONTROL_TIMEOUT = 120.0
ERROR_CODES: dict[type[AppError], str] = {
    DriveFailingError: "drive_failing",  # before TransferError, its base: the plotter retries at once
    NoSpaceError: "no_space", PlotContentError: "bad_plot", PlotFileError: "bad_name", VerifyError: "verify",
    TransferError: "transfer", ProtocolError: "protocol", PlotExistsError: "exists",
    StateDirError: "state_dir", PlotBusyError: "busy",
}


@dataclass(frozen=True)
class Offer:
    name: str
    size: int
    have: bool = False  # the plotter understands a "have" answer (see common.transfer.protocol)
    meta_group: int | None = None  # a PoS2 file's, from its header (protocol 3): its placed drive first


def end_on_signals() -> None:
    """SIGTERM and SIGHUP (a plotter ending a receiver it gave up on) unwind like an error:
    the ``.part`` is removed and the name claim released, instead of dying mid-write."""
    def unwind(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, unwind)


def serve(cfg: NasConfig, chan: LineChannel) -> int:
    """Answer space queries, then receive one offered plot. Returns an exit code."""
    chan.write(protocol.encode("hello", v=protocol.COMPAT_VERSION, max_v=protocol.PROTOCOL_VERSION,
                               host=socket.gethostname(),
                               version=__version__))
    try:
        while True:
            line = chan.read_line(CONTROL_TIMEOUT)
            if not line:
                return 0  # the plotter only asked about space, then hung up
            message = protocol.decode(line)
            if message["msg"] in ("space", "offer", "claim", "lookup", "place_group"):
                ensure_state_dir(cfg.nas.state_dir)  # answered now, while the plotter reads a reply
            if message["msg"] == "space":
                _answer_space(cfg, chan, message)
            elif message["msg"] == "offer":
                return _receive(cfg, chan, _parse_offer(message))
            elif message["msg"] == "claim":
                return _hold_claim(cfg, chan, _parse_offer(message))
            elif message["msg"] == "place_group":
                _answer_place_group(cfg, chan, message)
            elif message["msg"] == "lookup":
                referee.answer_lookup(cfg, chan, _parse_name(message))
            elif message["msg"] == "bye":
                return 0
            else:
                raise ProtocolError(f"unexpected message '{message['msg']}'")
    except AppError as exc:
        _send_error(chan, exc)
        return exc.exit_code
    except OSError as exc:
        error = TransferError(f"I/O error on the NAS: {exc}")
        _send_error(chan, error)
        return error.exit_code


def _send_error(chan: LineChannel, exc: AppError) -> None:
    log.error("%s", exc.message)
    code = next((c for kind, c in ERROR_CODES.items() if isinstance(exc, kind)), "error")
    try:
        chan.write(protocol.encode("error", code=code, error=exc.message))
    except OSError:
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


def _receive(cfg: NasConfig, chan: LineChannel, offer: Offer) -> int:
    with NameClaim(cfg.nas.state_dir, offer.name):  # exactly once NAS-wide: see nas.receive.reservations
        if _answer_held(cfg, chan, offer):
            return 0
        return _receive_new(cfg, chan, offer)


def _hold_claim(cfg: NasConfig, chan: LineChannel, claim: Offer) -> int:
    """The referee's claim of a name for a plotter with several NAS (see nas.receive.referee)."""
    def receive(message: protocol.Message) -> int:
        offer = _parse_offer(message)
        if offer.name != claim.name:
            raise ProtocolError(f"offer of {offer.name} while holding the claim of {claim.name}")
        return _receive_new(cfg, chan, offer)

    with NameClaim(cfg.nas.state_dir, claim.name):
        if _answer_held(cfg, chan, claim):
            return 0
        return referee.hold(cfg, chan, claim.name, lambda m: _answer_space(cfg, chan, m), receive)


def _answer_held(cfg: NasConfig, chan: LineChannel, offer: Offer) -> bool:
    """Answer "have" when a drive holds the name already (True); a plotter that cannot read it is refused."""
    def hashing(path: Path, size: int) -> None:
        chan.write(protocol.encode("hashing", path=str(path), size=size))

    if not offer.have:
        ensure_nowhere(cfg, offer.name)
        return False
    held = held_copy(cfg, offer.name, hashing)
    if held is None:
        return False
    log.info("%s is already here (%s, %s): answering have", offer.name, held.path,
             "hashed now" if held.hashed else "recorded at commit")
    chan.write(protocol.encode("have", path=str(held.path), size=held.size, hash=held.hash))
    return True


def _receive_new(cfg: NasConfig, chan: LineChannel, offer: Offer) -> int:
    # Bind first: a NAS out of data ports must fail before replacement deletes anything.
    with listen(cfg.nas.data_bind, cfg.nas.data_ports) as listener:
        order = placement.order_for(cfg, offer.meta_group)  # a placed PoS2 group: its drive first
        (final, plots), reservation = on_healthy_drive(  # a failing drive is marked and skipped
            cfg, offer.size, lambda: reserve_drive(cfg, offer.size, incoming=offer.name, order=order),
            lambda res: _receive_on(cfg, chan, offer, res, listener))
    log.info("stored %s (%d bytes)", final, offer.size)
    if offer.meta_group is not None:
        placement.landed(cfg, reservation.drive.mountpoint, offer.meta_group)
    record_receipt(cfg.nas.state_dir, offer.name, reservation.drive.mountpoint, offer.size, plots)
    return 0


def _receive_on(cfg: NasConfig, chan: LineChannel, offer: Offer, res: Reservation,
                listener: socket.socket) -> tuple[Path, int]:
    """The stored plot's path and how many plots it holds (a ``.gplot``: its group size)."""
    part = part_path(res.drive.mountpoint, offer.name)
    final = res.drive.mountpoint / offer.name
    try:
        fd, direct = open_for_receive(str(part), cfg.nas.direct_io)
    except OSError as exc:
        raise DiskWriteError(f"cannot create {part}: {exc.strerror}", exc.errno, "create") from None
    progress = ReceiveProgress(cfg.nas.state_dir, offer.name, offer.size)  # for drive-manager view
    try:
        progress.start()
        digest = _fill_part(cfg, chan, offer, res, listener, fd, direct, progress)
        # Hex only: compare_digest raises TypeError on non-ASCII text.
        expected = protocol.hex_field(protocol.expect(chan.read(CONTROL_TIMEOUT), "digest"), "hash")
        if not hmac.compare_digest(expected, digest):
            raise VerifyError(f"{offer.name}: hash mismatch (plotter {expected}, NAS {digest})")
        name = parse_name(offer.name)
        header = check_plot_file(part, name)  # the header read back from the disk, as written
        check_group_size(name, header, offer.size)
        ensure_nowhere(cfg, offer.name, at_commit=True)  # exactly once: no other drive got the name meanwhile
        _commit(part, final, offer.size)
        record_stored(cfg.nas.state_dir, offer.name, final, offer.size, digest)  # before "stored" is sent
    except BaseException:
        _discard(part)
        raise
    finally:
        os.close(fd)
        progress.close()
    chan.write(protocol.encode("stored", path=str(final), size=offer.size, hash=digest))
    return final, header.group_size


def _fill_part(cfg: NasConfig, chan: LineChannel, offer: Offer, res: Reservation,
               listener: socket.socket, fd: int, direct: bool, progress: ReceiveProgress) -> str:
    token = secrets.token_bytes(protocol.TOKEN_BYTES)
    chan.write(protocol.encode("ready", port=listener.getsockname()[1], token=token.hex(),
                               drive=str(res.drive.mountpoint)))
    conn = accept_with_token(listener, token, cfg.nas.accept_timeout)
    listener.close()  # nobody else may connect while the plot streams in
    with conn:
        # Replacement deletes plots only as the bytes that need their room arrive (nas/replace/room.py).
        room = res.room(cfg, fd, fallocate if cfg.nas.preallocate else None)
        if room is not None:
            room.preallocate()  # only what fits now
        elif cfg.nas.preallocate:
            _preallocate(fd, offer.size, res)
        conn.settimeout(IO_TIMEOUT)
        try:
            digest = receive_to_fd(conn, fd, offer.size, direct=direct, chunk=cfg.nas.buffer_size,
                                   progress=progress, before_write=None if room is None else room.ensure)
        except NoSpaceError as exc:
            raise NoSpaceError(f"{res.drive.mountpoint}: {exc.message}") from None
    try:
        os.fsync(fd)
    except OSError as exc:
        raise DiskWriteError(f"fsync of {offer.name}: {exc.strerror}", exc.errno, "fsync") from None
    return digest


def _preallocate(fd: int, size: int, res: Reservation) -> None:
    try:
        done = fallocate(fd, size)
    except OSError as exc:
        raise DiskWriteError(f"cannot allocate {size} bytes on {res.drive.mountpoint}: {exc.strerror}", exc.errno,
                             "allocate") from None
    if not done:
        log.debug("%s cannot preallocate (no fallocate): writing without", res.drive.mountpoint)


def fallocate(fd: int, size: int) -> bool:
    """Reserve ``size`` bytes with fallocate(2); False where the filesystem has no fallocate.

    Not os.posix_fallocate: where fallocate is missing (ntfs-3g, which farmers use for
    drives from Windows, other FUSE and network mounts) glibc emulates it by writing a
    byte per block, measured at 0.9 s per 64 MiB on ntfs-3g, about 25 minutes for a k32
    plot, while the plotter's data connection waits and times out.
    """
    import ctypes  # only when a plot is really coming

    libc = ctypes.CDLL(None, use_errno=True)
    call = libc.fallocate64  # 64-bit offsets on 32-bit NAS boards too
    call.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    if call(fd, 0, 0, size) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EOPNOTSUPP, errno.ENOSYS):
        return False
    raise OSError(err, os.strerror(err))


def _commit(part: Path, final: Path, size: int) -> None:
    actual = os.stat(part).st_size
    if actual != size:
        raise VerifyError(f"{final.name}: received {actual} bytes, expected {size}")
    if final.exists():
        raise PlotExistsError(f"{final} appeared during the transfer; keeping the existing file")
    try:
        os.rename(part, final)
        dir_fd = os.open(final.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        raise DiskWriteError(f"cannot rename {part.name} to {final.name}: {exc.strerror}", exc.errno,
                             "rename") from None


def _discard(part: Path) -> None:
    try:
        part.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.error("cannot remove partial file %s: %s", part, exc.strerror)
