"""What a NAS answers, as the plotter's :class:`~plotter.link.client.NasClient` returns it."""

from __future__ import annotations

import queue
from dataclasses import dataclass

from common.errors import AppError
from common.transfer import protocol
from common.transfer.protocol import Message


@dataclass(frozen=True)
class Space:
    free_bytes: int
    largest_free: int
    can_take: bool


@dataclass(frozen=True)
class Ready:
    """Send plot ``seq`` of the session; ``port`` and ``token``: open the session's data connection first."""

    port: int | None
    token: bytes | None
    drive: str
    seq: int


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


def have_of(reply: protocol.Message) -> Have:
    return Have(protocol.field(reply, "path", str), protocol.field(reply, "size", int),
                protocol.hex_field(reply, "hash"))


@dataclass(frozen=True)
class Commit:
    """A plot whose digest was sent: where its "stored" (or error) will arrive."""

    seq: int
    box: queue.Queue[Message | AppError]


@dataclass(frozen=True)
class Stored:
    path: str
    size: int
    hash: str
