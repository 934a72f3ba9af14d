"""Byte counts for people: decimal units everywhere (kB, MB, GB, TB are powers of 1000), as
drive labels and ``df -H`` show them, so a drive sold as 18 TB reads 18.0 TB here too."""

from __future__ import annotations

_UNITS = (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3))


def size(value: float | None) -> str:
    """``18.0 TB``, one decimal, for reports, mails and messages; ``?`` when unknown."""
    if value is None:
        return "?"
    for unit, factor in _UNITS:
        if abs(value) >= factor:
            return f"{value / factor:.1f} {unit}B"
    return f"{int(value)} B"


def short_size(value: float | None) -> str:
    """``18.0T``, as ``df -H`` prints it, for narrow columns; ``?`` when unknown."""
    if value is None:
        return "?"
    for unit, factor in _UNITS:
        if abs(value) >= factor:
            return f"{value / factor:.1f}{unit.upper()}"
    return f"{int(value)}B"
