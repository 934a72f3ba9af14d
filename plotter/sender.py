"""Send one plot: pick a NAS, stream with the hash in the same pass, delete on verified ok."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from common.errors import AppError, ConnectError, NoSpaceError, TransferError, VerifyError
from common.locking import FileLock
from common.stream import IO_TIMEOUT, send_file
from plotter.client import NasClient
from plotter.config import NasTarget, PlotterConfig
from plotter.discover import Seen
from plotter.history import History, Transfer
from plotter.progress import Listener, Snapshot, TransferProgress
from plotter.session import Session, connect_data, open_session

log = logging.getLogger(__name__)


@dataclass
class Env:
    """The side effects a transfer needs, injectable for tests (httpie-style)."""

    open_session: Callable[[NasTarget], Session] = open_session
    connect_data: Callable[[str, int, float], socket.socket] = connect_data
    unreachable: dict[str, str] = field(default_factory=dict)  # NAS name -> why (alerts read it)
    lock: threading.Lock = field(default_factory=threading.Lock)
    listener: Listener | None = None  # the live display on a terminal


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
        return _transfer(cfg, item, env, history)
    finally:
        lock.release()


def _transfer(cfg: PlotterConfig, item: Seen, env: Env, history: History) -> Transfer:
    start = time.monotonic()
    nas: str | None = None
    drive: str | None = None
    try:
        client, target = choose_nas(cfg, item.size, env)
        nas = target.name
        try:
            ready = client.offer(item.path.name, item.size)
            drive = ready.drive
            log.info("sending %s (%.1f MiB) to %s:%s", item.path.name, item.size / 2**20, nas, drive)
            progress = TransferProgress(cfg.plotter.state_dir, Snapshot(
                item.path.name, nas, ready.drive, item.size, 0, 0.0, None, time.time()), env.listener)
            try:
                progress.start()
                digest = _stream(cfg, client, target, item, ready.port, ready.token, env, progress)
            finally:
                progress.close()
            stored = client.digest(digest)
            if stored.hash != digest or stored.size != item.size:
                raise VerifyError(f"NAS reports {stored.size} bytes / {stored.hash}, "
                                  f"we sent {item.size} / {digest}")
        finally:
            client.close()
    except AppError as exc:
        log.error("%s: not sent, kept on the plotter: %s", item.path.name, exc.message)
        return _record(history, item, nas, drive, None, None, start, exc.message)
    seconds = time.monotonic() - start
    try:
        os.unlink(item.path)
    except OSError as exc:
        log.error("%s: stored and verified on %s, but the source could not be deleted: %s",
                  item.path.name, nas, exc.strerror)
    else:
        log.info("sent %s to %s:%s in %.1f s (%.0f MB/s); source deleted", item.path.name, nas,
                 stored.path, seconds, item.size / 1e6 / max(seconds, 1e-9))
    return _record(history, item, nas, drive, stored.path, digest, start, None)


def _stream(cfg: PlotterConfig, client: NasClient, target: NasTarget, item: Seen, port: int,
            token: bytes, env: Env, progress: TransferProgress) -> str:
    # A failed connect (ConnectError) is not caught: the NAS only knows that nobody came.
    with env.connect_data(target.data_host, port, target.connect_timeout) as sock:
        try:
            sock.settimeout(IO_TIMEOUT)
            try:
                sock.sendall(token)
            except OSError as exc:
                raise TransferError(f"data connection broke at once: {exc.strerror}") from None
            return send_file(sock, str(item.path), item.size, bwlimit=cfg.plotter.bwlimit, progress=progress)
        except TransferError as exc:
            broken = exc
    client.raise_reason(broken)  # the socket is closed now, so the NAS stops waiting and says why
    raise broken


def choose_nas(cfg: PlotterConfig, size: int, env: Env) -> tuple[NasClient, NasTarget]:
    """The only NAS, or of several the reachable one with most free space that can take ``size``."""
    if len(cfg.nas) == 1:
        return _open(cfg.nas[0], env), cfg.nas[0]
    best: tuple[int, NasClient, NasTarget] | None = None
    for target in cfg.nas:
        client = _try_open(target, env)
        if client is None:
            continue
        space = client.space(size)
        if space.can_take and (best is None or space.free_bytes > best[0]):
            if best is not None:
                best[1].close()
            best = (space.free_bytes, client, target)
        else:
            client.close()
    if best is None:
        raise NoSpaceError(f"no reachable NAS can take {size} bytes")
    return best[1], best[2]


def _try_open(target: NasTarget, env: Env) -> NasClient | None:
    try:
        return _open(target, env)
    except AppError:
        return None


def _open(target: NasTarget, env: Env) -> NasClient:
    """A client for ``target``. A NAS that failed once is not tried again this round (a host
    that is down would cost ``connect_timeout`` per plot); its first failure is logged once."""
    with env.lock:
        reason = env.unreachable.get(target.name)
    if reason is not None:
        raise ConnectError(f"skipped for this run: {reason}")
    try:
        return NasClient(env.open_session(target))
    except AppError as exc:
        with env.lock:
            if target.name not in env.unreachable:
                env.unreachable[target.name] = exc.message
                log.warning("skipping NAS %s for this run: %s", target.name, exc.message)
        raise


def _record(history: History, item: Seen, nas: str | None, drive: str | None, path: str | None,
            digest: str | None, start: float, error: str | None) -> Transfer:
    seconds = time.monotonic() - start
    transfer = Transfer(
        plot=item.path.name, bytes=item.size, nas=nas, drive=drive, path=path, seconds=seconds,
        mb_per_s=item.size / 1e6 / seconds if error is None and seconds > 0 else 0.0,
        hash=digest, result="failed" if error else "ok", error=error, finished_at=time.time(),
    )
    history.record(transfer)
    return transfer

