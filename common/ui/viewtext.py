"""Text pieces the live views (``plot-manager view``, ``drive-manager view``) are drawn with. Pure.

Bars are drawn with block characters, so they read the same with or without colours (NO_COLOR).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from common.units import short_size

FULL, EMPTY = "█", "░"
ELLIPSIS = "…"
RULE = "─"


def bar(fraction: float, width: int) -> str:
    """A bar ``width`` cells wide, ``fraction`` (0..1, clamped) of it filled."""
    if width <= 0:
        return ""
    filled = round(min(max(fraction, 0.0), 1.0) * width)
    return FULL * filled + EMPTY * (width - filled)


def duration(seconds: float | None) -> str:
    """``m:ss`` under an hour, ``h:mm:ss`` under a day, ``Nd hh:mm`` beyond; ``-`` when unknown."""
    if seconds is None or seconds < 0:
        return "-"
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}:{minutes:02d}"
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


size = short_size  # decimal, as df -H (see common.units)


def ago(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    return f"{duration(max(seconds, 0.0))} ago"


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells, an ellipsis marking the cut."""
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    return text[: width - 1] + ELLIPSIS if width > 1 else text[:1]


def clip_left(text: str, width: int) -> str:
    """``text`` cut from the left (paths: the end names the directory)."""
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    return ELLIPSIS + text[len(text) - width + 1:] if width > 1 else text[-1:]


def cells(values: list[str], widths: list[int], right: frozenset[int] = frozenset()) -> str:
    """One table row: each value padded to its width (right-aligned where ``right`` says), one space apart."""
    out = []
    for index, (value, width) in enumerate(zip(values, widths, strict=True)):
        text = clip(value, width)
        out.append(text.rjust(width) if index in right else text.ljust(width))
    return " ".join(out).rstrip()


Line = tuple[str, str]  # (text, style): style is a rich style string, "" for plain


@dataclass(frozen=True)
class Section:
    """A titled block of a live view. ``priority``: lower ones get their rows first when the
    screen is short; ``keep``: the row that must stay in sight (the selected one)."""

    title: str
    rows: Sequence[Line]
    head: Sequence[Line] = ()  # under the title, always shown with the section (column names)
    tail: Sequence[Line] = ()  # after the rows, always shown with the section (a status line)
    priority: int = 0
    keep: int = 0
    empty: str = "none"

    @property
    def overhead(self) -> int:
        return 1 + len(self.head) + len(self.tail)

    @property
    def wanted(self) -> int:
        return max(1, len(self.rows))


def allot(sections: Sequence[Section], available: int) -> list[int | None]:
    """Rows for each section (None: not shown at all): each section in priority order gets one
    row if its title and fixed lines fit too, then the rest goes out in priority order. Pure."""
    order = sorted(range(len(sections)), key=lambda i: sections[i].priority)
    rows: list[int | None] = [None] * len(sections)
    left = available
    for i in order:
        if left >= sections[i].overhead + 1:
            rows[i] = 1
            left -= sections[i].overhead + 1
    for i in order:
        given = rows[i]
        if given is not None:
            extra = min(sections[i].wanted - given, left)
            rows[i] = given + extra
            left -= extra
    return rows


def visible(section: Section, count: int) -> list[Line]:
    """``count`` lines of the section's rows: a window around ``keep`` and a last line saying how
    many more there are when they do not all fit."""
    rows = list(section.rows)
    if not rows:
        return [(section.empty, "dim")]
    if len(rows) <= count:
        return rows
    if count == 1:
        return [rows[min(max(section.keep, 0), len(rows) - 1)]]
    shown = count - 1
    start = min(max(0, section.keep - shown + 1), len(rows) - shown)
    hidden = len(rows) - shown
    return [*rows[start:start + shown], (f"{ELLIPSIS} {hidden} more", "dim")]


def compose(top: Line, sections: Sequence[Section], bottom: Line, width: int, height: int) -> list[Line]:
    """The whole screen: ``top``, the sections that fit (in their own order), ``bottom``; every
    line clipped to ``width`` and never more than ``height`` lines."""
    lines: list[Line] = [top]
    counts = allot(sections, max(0, height - 2))
    for section, count in zip(sections, counts, strict=True):
        if count is None:
            continue
        lines.append((f"{RULE * 2} {section.title} ".ljust(width, RULE), "bold"))
        lines += [*section.head, *visible(section, count), *section.tail]
    lines = [*lines[: max(0, height - 1)], bottom]
    return [(clip(text, width), style) for text, style in lines[:height]]
