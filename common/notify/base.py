"""What a notification is, independent of where it goes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class Severity(StrEnum):
    """How urgent a notice is; the value is stored in the dedupe table and is the templates' CSS class."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class SendMode(StrEnum):
    """How a notice is being sent this time; the templates see the value as ``mode``."""

    NEW = "new"  # a standing condition, first seen (again)
    REPEAT = "repeat"  # still standing after ``repeat``: a reminder
    RESOLVED = "resolved"  # a standing condition that cleared
    ONCE = "once"  # an event


@dataclass(frozen=True)
class Notice:
    """One thing worth telling the owner.

    ``kind`` picks the route and the templates; ``key`` names the condition
    (e.g. ``temperature:/mnt/drive7``) so it is sent once, not once per run.
    A ``standing`` notice is a level: the caller passes every standing
    condition it evaluated, and one that disappears is "resolved". A notice
    that is not standing is an event: sent once per key within the repeat
    interval, unless it is a ``transition`` (e.g. the receive drive changed, a
    drive is back): its producer reports each one once, at the change, so every
    one is news and is sent, however soon after the last of the same key.
    """

    kind: str
    key: str
    title: str
    text: str
    severity: Severity = Severity.WARNING
    standing: bool = True
    context: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # An event that ends a standing condition and says so itself (e.g. "drive back"
    # ends "drive missing"): that condition is then closed without its own "resolved".
    resolves: str | None = None
    transition: bool = False


@dataclass(frozen=True)
class Message:
    """A notice rendered for the channels: email gets both bodies, SMS/push the short text."""

    subject: str
    text: str
    html: str
    short: str


class Channel(Protocol):
    """A way to reach the owner; ``send`` raises on any failure (the caller contains it)."""

    name: str

    def send(self, message: Message) -> None: ...
