"""Exactly once, plotter side: a plot the NAS already holds, or is receiving from someone else.

A resend is idempotent. When the NAS answers an offer with "have" (it holds a copy of that
name, with the copy's size and hash), the source is hashed with the stream's xxh3_128 and
deleted only when both match ("already on the NAS, verified"); when they differ the source
is kept and the run exits 6 (:class:`PlotDiffersError`) with a transfer_failing-style alert:
a person must compare the two. A name the NAS is receiving from another sender right now
("busy") is kept here and retried on the next run, which then meets "have" (exit 4 for
this run: :class:`PlotBusyError`, the "someone else holds the lock" code).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from common.errors import AppError, NoSpaceError, PlotBusyError, PlotDiffersError, RemoteError, TransferError
from common.notify.base import Notice, Severity
from common.transfer.stream import hash_file
from plotter.link.replies import Have
from plotter.send.discover import Seen
from plotter.send.history import TransferResult

log = logging.getLogger(__name__)

VERIFIED_NOTE = "already on the NAS, verified"


def result_of(exc: AppError) -> TransferResult:
    """How a failed transfer counts: busy (retry later), differs (a person must look), failed. Pure."""
    if isinstance(exc, PlotBusyError) or (isinstance(exc, RemoteError) and exc.code == "busy"):
        return TransferResult.BUSY
    if isinstance(exc, PlotDiffersError):
        return TransferResult.DIFFERS
    return TransferResult.FAILED


def no_room(exc: AppError) -> bool:
    """Whether ``exc`` says no drive (or no NAS) had room for the plot: ours, or the NAS's answer. Pure."""
    return isinstance(exc, NoSpaceError) or (isinstance(exc, RemoteError) and exc.code == "no_space")


def differ(item: Seen, have: Have, nas: str, local_hash: str | None) -> str | None:
    """Why the NAS copy is not our plot, or None when size and hash match. Pure."""
    if have.size != item.size:
        detail = f"{have.size} bytes there, {item.size} here"
    elif local_hash is not None and local_hash != have.hash:
        detail = f"hash {have.hash} there, {local_hash} here"
    else:
        return None
    return (f"the copies differ: {nas}:{have.path} holds another file under this name ({detail}); "
            "kept here, compare the two and remove the wrong one by hand")


def settle(item: Seen, have: Have, nas: str) -> str | None:
    """Delete the source when the NAS copy is the same plot; return the source's hash.

    None: the source vanished meanwhile (another sender of the same plot dir deleted it).
    Raises :class:`PlotDiffersError`, keeping the source, when the copies differ."""
    why = differ(item, have, nas, None)  # a size mismatch needs no hashing
    if why is not None:
        raise PlotDiffersError(why)
    log.info("%s: the NAS already holds it (%s:%s); hashing the source to compare", item.path.name, nas, have.path)
    try:
        digest = hash_file(str(item.path))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise TransferError(f"cannot read {item.path} to compare it with the NAS copy: {exc.strerror}") from None
    why = differ(item, have, nas, digest)
    if why is not None:
        raise PlotDiffersError(why)
    try:
        os.unlink(item.path)
    except FileNotFoundError:
        log.info("%s: %s; the source was already gone", item.path.name, VERIFIED_NOTE)
    except OSError as exc:
        log.error("%s: %s, but the source could not be deleted: %s", item.path.name, VERIFIED_NOTE, exc.strerror)
    else:
        log.info("%s: %s (%s:%s); source deleted", item.path.name, VERIFIED_NOTE, nas, have.path)
    return digest


def differs_notice(transfer: Mapping[str, Any]) -> Notice:
    """The alert for a plot whose NAS copy differs: routed and rendered like transfer_failing,
    at once (not after N failures), once per plot within the repeat interval."""
    return Notice(
        kind="transfer_failing", key=f"transfer_failing:differs:{transfer['plot']}", severity=Severity.CRITICAL,
        standing=False, title=f"{transfer['plot']}: the NAS holds a different copy",
        text=f"{transfer['plot']} -> {transfer['nas'] or '?'}: {transfer['error']}",
        context={"failures": [dict(transfer)], "count": 1},
    )
