"""Byte counts for people: decimal units everywhere (kB, MB, GB, TB are powers of 1000), as
drive labels and ``df -H`` show them, so a drive sold as 18 TB reads 18.0 TB here too."""

from __future__ import annotations

_UNITS = (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3))


def _scaled(value: float) -> tuple[float, str]:
    """``value`` in the largest unit it reaches, and that unit's letter ("" for bytes)."""
    for unit, factor in _UNITS:
        if abs(value) >= factor:
            return value / factor, unit
    return value, ""


def size(value: float | None) -> str:
    """``18.0 TB``, one decimal, for reports, mails and messages; ``?`` when unknown."""
    if value is None:
        return "?"
    number, unit = _scaled(value)
    return f"{number:.1f} {unit}B" if unit else f"{int(number)} B"


def short_size(value: float | None) -> str:
    """``18.0T``, as ``df -H`` prints it, for narrow columns; ``?`` when unknown."""
    if value is None:
        return "?"
    number, unit = _scaled(value)
    return f"{number:.1f}{unit.upper()}" if unit else f"{int(number)}B"
