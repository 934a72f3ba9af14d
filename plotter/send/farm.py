"""Exactly once across several NAS, plotter side: where a plot name goes, decided by one referee.

**Who decides.** Each plot name has a referee NAS, chosen from the name and the set of NAS names
alone (:mod:`plotter.send.rendezvous`). A sender first claims the name there: the referee's
NAS-wide name reservation (:mod:`nas.receive.reservations`), held by a receiver that stays with the
sender until the plot is stored or the sender is gone (:mod:`nas.receive.referee`). A second sender of
the same name — another plot dir of this plotter, another config, another plotter with the same
NAS — meets the same referee and is told "busy": it keeps its file and tries on a later run.

**What is checked.** Holding the claim, the sender asks every other NAS whether it holds the name
("lookup"; a NAS receiving that name right now says "busy"). A copy anywhere — referee or not —
is compared as today: the source is hashed and deleted when size and hash match ("already on the
NAS, verified"), kept when they differ (exit 6). Only when no NAS holds it is the plot sent.

**Where it goes.** To the referee when it can take it; otherwise to the reachable NAS with most
free space that can, after the referee has recorded that NAS in its ledger ("place"), and while
the referee still holds the claim. No NAS with room: the plot stays here ("no reachable NAS can take").

**Why that is once.** Every copy is made by a sender holding the referee's claim, and a claim
holder sends only after seeing no copy: two senders never both see "nowhere" and both send,
because the second claim waits for the first to end, and by then the first copy is committed
(the NAS renames and records before it says "stored") or the first transfer is abandoned (its
``.part`` removed, nothing stored). If the sender dies mid-transfer, its sessions end: the
referee frees the claim, the receiving NAS drops the ``.part`` and the source stays. If it dies
after the NAS stored the plot, the source stays and the next claim holder finds the copy and
verifies it. If the referee dies while a plot streams elsewhere, the ledger (written before the
stream began) and that NAS's own name reservation still stop a second copy; the sender checks the
referee's claim is still held once that NAS has reserved the name, before any byte goes there,
so the claim and that reservation overlap: no other sender can pass its lookups in between.

**Where availability gives way.** The referee unreachable: the plot waits on the plotter (one
warning per NAS, exit 10); plots with other referees go on. A NAS the ledger names for this plot
unreachable: the plot waits too. Any other unreachable NAS is skipped for the lookup, so a copy
only it holds and no ledger names (put there before plotyard had referees, by hand, or by a
plotter with another set of NAS) can be stored a second time while it is down. The guarantee is
over the NAS a plotter knows: plotters whose ``[nas]`` sections name different sets of NAS (or
the same NAS under different names) get different referees, and only agreeing configs give
farm-wide exactly once. One ``[nas]`` section needs none of this: that NAS's own name
reservation is the one lock, as it always was.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from types import TracebackType

from common.errors import AppError, ConfigError, ConnectError, NoSpaceError, TransferError
from plotter.config import NasTarget, PlotterConfig
from plotter.link.client import NasClient
from plotter.link.pool import SessionPool
from plotter.link.replies import Have
from plotter.send.discover import Seen
from plotter.send.rendezvous import referee

log = logging.getLogger(__name__)

KEEP_INTERVAL = 30.0  # well inside the referee's HOLD_TIMEOUT (120 s)


@dataclass(frozen=True)
class Found:
    """A NAS (``nas``) already holds the name: verify against ``have``."""

    nas: str
    have: Have


class Keepalive:
    """Says "keep" to the referee every KEEP_INTERVAL while the sender is busy elsewhere."""

    def __init__(self, client: NasClient) -> None:
        self._client = client
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="keep-claim", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(KEEP_INTERVAL):
            try:
                self._client.keep()
            except AppError as exc:  # the referee is gone: the ledger and the NAS's own claim still hold
                log.debug("cannot keep the claim at %s: %s", self._client.session.target.name, exc.message)
                return

    def __enter__(self) -> Keepalive:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Route:
    """Where to offer the plot, with the referee's claim held until :meth:`close`."""

    client: NasClient
    target: NasTarget
    referee: NasClient
    pool: SessionPool
    keepalive: Keepalive | None = None
    claimed: bool = False  # a referee's claim is held: it must last until the plot is committed

    def confirm(self) -> None:
        """Once the other NAS said "ready" (its own reservation holds the name now): the referee's
        claim must have lasted until then, or another sender may have passed its lookups meanwhile."""
        if self.keepalive is None:
            return
        self.keepalive.__exit__(None, None, None)
        try:
            self.referee.space(0)  # any answer proves its receiver, and so the claim, still there
        except AppError as exc:
            raise ConnectError(f"the referee {self.referee.session.target.name} lost the claim before "
                               f"the plot went to {self.target.name}: {exc.message}") from None
        self.keepalive = Keepalive(self.referee).__enter__()

    def close(self) -> None:
        """Give the sessions back (each kept warm when it can carry the next plot). The referee's
        claim ends first: with the plot stored there, or by "release" once it went elsewhere."""
        try:
            if self.keepalive is not None:
                self.keepalive.__exit__(None, None, None)
            if self.client is not self.referee:
                self.pool.give_back(self.client)
                _release(self.referee)
        finally:
            self.pool.give_back(self.referee)


def _release(ref: NasClient) -> None:
    try:
        ref.release()
    except AppError as exc:  # the session is closed instead, which ends the claim too
        log.debug("cannot release the claim at %s: %s", ref.session.target.name, exc.message)


def referee_of(cfg: PlotterConfig, plot: str) -> NasTarget:
    name = referee((t.name for t in cfg.nas), plot)
    return next(t for t in cfg.nas if t.name == name)


def route(cfg: PlotterConfig, item: Seen, pool: SessionPool) -> Route | Found:
    """Claim the name at its referee, look for a copy everywhere, choose where to send it.

    Raises ConnectError when the plot must wait for a NAS, RemoteError "busy" when another sender
    holds the claim, NoSpaceError when no NAS has room."""
    target = referee_of(cfg, item.path.name)
    ref = _opened(target, pool)
    try:
        claimed = ref.claim(item.path.name, item.size)
        if isinstance(claimed, Have):
            pool.give_back(ref)
            return Found(target.name, claimed)
        with Keepalive(ref):
            found = _look_elsewhere(cfg, item, target, claimed.placed, pool)
        if found is not None:
            _release(ref)
            pool.give_back(ref)
            return found
        if ref.space(item.size).can_take:  # the referee's channel is ours again: no "keep" in between
            return Route(ref, target, ref, pool, claimed=True)
        with Keepalive(ref):
            client, other = _most_free_other(cfg, item, target, pool)
    except BaseException:
        pool.give_back(ref)  # closed while it holds the claim: that ends the claim
        raise
    return _placed(item, ref, target, client, other, pool)


def _placed(item: Seen, ref: NasClient, ref_target: NasTarget, client: NasClient, target: NasTarget,
            pool: SessionPool) -> Route:
    try:
        ref.place(target.name)  # the ledger first: it must name the NAS before any byte goes there
    except BaseException:
        pool.give_back(client)
        pool.give_back(ref)
        raise
    log.info("%s: its referee %s has no room, sending it to %s", item.path.name, ref_target.name, target.name)
    keepalive = Keepalive(ref).__enter__()
    return Route(client, target, ref, pool, keepalive, claimed=True)


def _opened(target: NasTarget, pool: SessionPool) -> NasClient:
    try:
        return pool.take(target)
    except (ConnectError, ConfigError):
        raise  # ConfigError: a key file the config names is missing, the run ends (exit 3)
    except AppError as exc:  # no usable session (no hello, wrong command): the plot waits for it
        raise ConnectError(exc.message) from None


def _look_elsewhere(cfg: PlotterConfig, item: Seen, ref: NasTarget, placed: str | None,
                    pool: SessionPool) -> Found | None:
    """The copy another NAS holds, if any; ConnectError when the NAS the ledger names cannot be asked."""
    names = {t.name for t in cfg.nas}
    if placed is not None and placed not in names:
        # Fails this plot only (a ConfigError would end the run and hold every other plot back).
        raise TransferError(f"{item.path.name}: its referee {ref.name} says it was sent to a NAS named "
                          f"{placed!r}, which this plotter does not know: every plotter must name the "
                          "same NAS the same way")
    for target in cfg.nas:
        if target is ref:
            continue
        try:
            client = _opened(target, pool)
        except ConnectError as exc:
            if target.name == placed:
                raise ConnectError(f"{item.path.name} was sent to NAS {placed} (its referee {ref.name} says), "
                                   f"which cannot be asked now: it waits ({exc.message})") from None
            continue  # said once per NAS by the opener; a copy only it holds is the documented gap
        try:
            have = client.lookup(item.path.name, item.size)
        finally:
            pool.give_back(client)
        if have is not None:
            return Found(target.name, have)
    return None


def _most_free_other(cfg: PlotterConfig, item: Seen, ref_target: NasTarget,
                     pool: SessionPool) -> tuple[NasClient, NasTarget]:
    """Of the NAS other than the referee (which has no room), the reachable one with most free space."""
    best: tuple[int, NasClient, NasTarget] | None = None
    for target in cfg.nas:
        if target is ref_target:
            continue
        try:
            client = _opened(target, pool)
        except ConnectError:
            continue
        try:
            space = client.space(item.size)
        except AppError as exc:
            log.debug("NAS %s did not say how much room it has: %s", target.name, exc.message)
            pool.give_back(client)
            continue
        if space.can_take and (best is None or space.free_bytes > best[0]):
            if best is not None:
                pool.give_back(best[1])
            best = (space.free_bytes, client, target)
        else:
            pool.give_back(client)
    if best is None:
        raise NoSpaceError(f"no reachable NAS can take {item.size} bytes (its referee {ref_target.name} "
                           "has no room either)")
    return best[1], best[2]
