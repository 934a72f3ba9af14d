"""Send one plot: pick a NAS (with several: plotter.send.farm), stream and hash in one pass, delete on verified ok."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from common import units
from common.errors import (
    AppError,
    ConfigError,
    ConnectError,
    NoSpaceError,
    PlotFileError,
    RemoteError,
    TransferError,
    VerifyError,
)
from common.locking import FileLock
from common.plotformat import read_header
from common.plotformat.plotfile import PlotKind
from common.transfer import frame
from common.transfer.stream import send_file
from plotter.config import NasTarget, PlotterConfig
from plotter.link.client import NasClient
from plotter.link.replies import Commit, Have, Ready, Stored
from plotter.send import farm, resend
from plotter.send.discover import Seen
from plotter.send.history import History, Transfer, TransferResult
from plotter.send.lanes import Env, Slot, sessions
from plotter.send.progress import Snapshot, TransferProgress

log = logging.getLogger(__name__)

# NAS error codes after which the same plot is offered again at once: the receiving drive failed
# mid-stream and is now marked failing on the NAS, so the next offer goes to another drive.
RETRY_AT_ONCE = ("drive_failing",)
AT_ONCE_TRIES = 3


def plot_lock(cfg: PlotterConfig, name: str) -> FileLock:
    return FileLock(cfg.plotter.state_dir / "locks" / f"{name}.lock")


def send_plot(cfg: PlotterConfig, item: Seen, env: Env, history: History) -> Transfer | None:
    """Send ``item`` unless another sender has it; None when it was not ours to send."""
    lock = plot_lock(cfg, item.path.name)
    if not lock.try_acquire():
        log.debug("%s is being sent by another process", item.path.name)
        return None
    try:
        try:
            st = os.stat(item.path)
        except FileNotFoundError:
            return None  # another sender finished it between our listing and our lock
        if st.st_size != item.size:
            log.info("%s changed size since it was listed; will retry later", item.path.name)
            return None
        for attempt in range(1, AT_ONCE_TRIES + 1):
            transfer, again = _transfer(cfg, item, env, history, retry=attempt < AT_ONCE_TRIES)
            if not again:
                break
        return transfer
    finally:
        lock.release()


def _transfer(cfg: PlotterConfig, item: Seen, env: Env, history: History,
              retry: bool = False) -> tuple[Transfer | None, bool]:
    """One attempt: (its record, whether to try again at once: the NAS asked for it and ``retry``)."""
    start = time.monotonic()
    with Slot(env.lanes) as slot:
        if env.stop is not None and env.stop.is_set():
            return None, False  # stopped while it waited for a lane: not started
        try:
            route = _route(cfg, item, env)
        except NoSpaceError as exc:  # no NAS has room: counted for the run's exit code (14)
            env.no_room.append(item.path.name)
            return _failed(history, item, None, None, start, exc), False
        except ConfigError:
            raise  # a file the config names is missing: no NAS will do, the run ends (exit 3)
        except ConnectError as exc:  # no NAS to offer it to: not a transfer, so not in history or metrics
            log.debug("%s: kept on the plotter, no NAS reachable for it: %s", item.path.name, exc.message)
            return _transfer_row(item, None, None, None, None, start, exc.message,
                                 TransferResult.UNREACHABLE), False
        except AppError as exc:  # no room anywhere, the name busy at its referee, a NAS too old
            return _failed(history, item, None, None, start, exc), False
        if isinstance(route, farm.Found):  # already on a NAS: compared now that the sessions are closed
            slot.release()
            return _verify_held(history, item, route.nas, route.have, start), False
        where = _Where(route.target.name)
        try:
            outcome = _send_on(cfg, route, item, env, where, slot)
        except AppError as exc:
            again = retry and isinstance(exc, RemoteError) and exc.code in RETRY_AT_ONCE
            if resend.no_room(exc):
                env.no_room.append(item.path.name)
            return _failed(history, item, where.nas, where.drive, start, exc, again), again
    if isinstance(outcome, Have):  # a resend: compared now that the session is closed
        return _verify_held(history, item, route.target.name, outcome, start), False
    return _delivered(history, item, route.target.name, where.drive, outcome, start), False


def _send_on(cfg: PlotterConfig, route: farm.Route, item: Seen, env: Env, where: _Where,
             slot: Slot) -> Have | tuple[Stored, str]:
    """Offer and stream on the route's session. The session goes back to the pool, and the lane to
    the next plot, while the NAS commits this one; but a referee's claim lasts until the commit."""
    try:
        sent = _offer_and_send(cfg, route.client, route.target, item, env, where, route.confirm)
        if isinstance(sent, Sent) and route.claimed:
            return sent.wait()
    finally:
        route.close()
        slot.release()
    return sent if isinstance(sent, Have) else sent.wait()


def _delivered(history: History, item: Seen, nas: str, drive: str | None, outcome: tuple[Stored, str],
               start: float) -> Transfer:
    stored, digest = outcome
    seconds = time.monotonic() - start
    # Recorded before the source goes: whoever looks for this plot (the scheduler concluding the job
    # that made it) finds it either in the plot dir or in the history, never in neither.
    transfer = _record(history, item, nas, drive, stored.path, digest, start, None)
    try:
        os.unlink(item.path)
    except OSError as exc:
        log.error("%s: stored and verified on %s, but the source could not be deleted: %s",
                  item.path.name, nas, exc.strerror)
    else:
        log.info("sent %s to %s:%s in %.1f s (%.0f MB/s); source deleted", item.path.name, nas,
                 stored.path, seconds, item.size / 1e6 / max(seconds, 1e-9))
    return transfer


@dataclass(frozen=True)
class Sent:
    """A plot streamed and its digest sent: the NAS commits it."""

    client: NasClient
    commit: Commit
    digest: str
    size: int

    def wait(self) -> tuple[Stored, str]:
        stored = self.client.stored(self.commit)
        if stored.hash != self.digest or stored.size != self.size:
            raise VerifyError(f"NAS reports {stored.size} bytes / {stored.hash}, we sent {self.size} / {self.digest}")
        return stored, self.digest


@dataclass
class _Where:
    """How far a transfer got, for its history row when it fails."""

    nas: str | None = None
    drive: str | None = None


def meta_group_of(item: Seen) -> int | None:
    """A PoS2 file's meta group, from its header: the NAS puts it on the drive placed for it."""
    if item.name.kind == PlotKind.PLOT:
        return None
    try:
        return read_header(item.path).meta_group
    except PlotFileError:
        return None  # the offer goes on; the NAS reads the header itself before it stores


def _offer_and_send(cfg: PlotterConfig, client: NasClient, target: NasTarget, item: Seen, env: Env,
                    where: _Where, confirm: Callable[[], None]) -> Have | Sent:
    """Offer ``item``; stream it unless the NAS holds it already. What was sent, or "have"."""
    ready = client.offer(item.path.name, item.size, meta_group_of(item))
    if isinstance(ready, Have):
        return ready
    confirm()  # with several NAS: the referee's claim still held (plotter.send.farm)
    where.drive = ready.drive
    log.info("sending %s (%s) to %s:%s", item.path.name, units.size(item.size), target.name, ready.drive)
    progress = TransferProgress(cfg.plotter.state_dir, Snapshot(
        item.path.name, target.name, ready.drive, item.size, 0, 0.0, None, time.time()), env.listener)
    try:
        progress.start()
        digest = _stream(cfg, client, item, ready, env, progress)
    finally:
        progress.close()
    return Sent(client, client.digest(digest, ready.seq), digest, item.size)


def _verify_held(history: History, item: Seen, nas: str, held: Have, start: float) -> Transfer | None:
    try:
        digest = resend.settle(item, held, nas)
    except AppError as exc:
        return _failed(history, item, nas, None, start, exc)
    if digest is None:
        return None  # another sender of this plot dir deleted it meanwhile
    return _record(history, item, nas, str(Path(held.path).parent), held.path, digest, start, None,
                   TransferResult.VERIFIED)


def _failed(history: History, item: Seen, nas: str | None, drive: str | None, start: float,
            exc: AppError, again: bool = False) -> Transfer:
    result = resend.result_of(exc)
    if result == TransferResult.BUSY:  # not a failure, not recorded: the next run finds it on the NAS
        log.warning("%s: not sent, kept on the plotter for the next run: %s", item.path.name, exc.message)
        return _transfer_row(item, nas, drive, None, None, start, exc.message, result)
    if again:
        log.warning("%s: not stored, sending it again at once: %s", item.path.name, exc.message)
    else:
        log.error("%s: not sent, kept on the plotter: %s", item.path.name, exc.message)
    return _record(history, item, nas, drive, None, None, start, exc.message, result)


def _stream(cfg: PlotterConfig, client: NasClient, item: Seen, ready: Ready, env: Env,
            progress: TransferProgress) -> str:
    """Plot ``ready.seq`` on the session's data connection: its frame header, then its bytes."""
    sock = client.open_data(ready, env.connect_data)
    try:
        try:
            sock.sendall(frame.header(ready.seq, item.size))
        except OSError as exc:
            raise TransferError(f"data connection broke: {exc.strerror or exc}") from None
        return send_file(sock, str(item.path), item.size, bwlimit=cfg.plotter.bwlimit, progress=progress,
                         close=False)
    except TransferError as exc:
        broken = exc
    client.drop_data()  # the socket is closed now, so the NAS stops waiting and says why
    client.raise_reason(broken)
    raise broken


def _route(cfg: PlotterConfig, item: Seen, env: Env) -> farm.Route | farm.Found:
    """Where to offer ``item``: the only NAS (its name reservation is the lock), or of several
    the one its referee's claim allows (see plotter.send.farm). ConnectError: the plot waits."""
    pool = sessions(env)
    if len(cfg.nas) > 1:
        return farm.route(cfg, item, pool)
    try:
        client = pool.take(cfg.nas[0])
    except (ConnectError, ConfigError):
        raise
    except AppError as exc:  # no usable session (no hello, a wrong command): the plot waits for it
        raise ConnectError(exc.message) from None
    return farm.Route(client, cfg.nas[0], client, pool)


def _record(history: History, item: Seen, nas: str | None, drive: str | None, path: str | None,
            digest: str | None, start: float, error: str | None, result: TransferResult | None = None) -> Transfer:
    transfer = _transfer_row(item, nas, drive, path, digest, start, error, result)
    history.record(transfer)
    return transfer


def _transfer_row(item: Seen, nas: str | None, drive: str | None, path: str | None, digest: str | None,
                  start: float, error: str | None, result: TransferResult | None) -> Transfer:
    seconds = time.monotonic() - start
    result = result or (TransferResult.FAILED if error else TransferResult.OK)
    return Transfer(
        plot=item.path.name, bytes=item.size, nas=nas, drive=drive, path=path, seconds=seconds,
        mb_per_s=item.size / 1e6 / seconds if result == TransferResult.OK and seconds > 0 else 0.0,
        hash=digest, result=result, error=error, finished_at=time.time(),
    )

