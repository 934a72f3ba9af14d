"""Numbers and addresses in config files, each checked against the range it may take.

Every numeric parser takes the range a farmer could sensibly want and refuses anything outside it
with a one-line reason (a ``ValueError`` the config loader turns into file, section and key).
Values are compared exactly (as :class:`~decimal.Decimal`) before they become ``int`` or
``float``, so a 400-digit number is "out of range", not an ``OverflowError``, an ``inf`` that
sleeps forever, or a timeout that ``poll()`` or ``settimeout()`` cannot take.
"""

from __future__ import annotations

import calendar
import datetime
import ipaddress
import re
from collections.abc import Callable
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal
from urllib.parse import urlsplit

KB, MB, GB, TB, PB = 1000, 1000**2, 1000**3, 1000**4, 1000**5
KIB, MIB, GIB, TIB = 1024, 1024**2, 1024**3, 1024**4
MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0
YEAR = 365 * DAY

SIZE_UNITS = {
    "": 1, "b": 1, "k": KB, "kb": KB, "m": MB, "mb": MB, "g": GB, "gb": GB, "t": TB, "tb": TB, "p": PB, "pb": PB,
    "kib": KIB, "mib": MIB, "gib": GIB, "tib": TIB,
}
DURATION_UNITS = {"": 1.0, "s": 1.0, "m": MINUTE, "h": HOUR, "d": DAY}

_NUMBER = r"([0-9]+(?:\.[0-9]+)?)"  # ASCII digits only: no sign, exponent, nan or inf
_SIZE_RE = re.compile(rf"\s*{_NUMBER}\s*([a-zA-Z]*)\s*")
_DURATION_RE = re.compile(rf"\s*{_NUMBER}\s*([smhd]?)\s*")
_INT_RE = re.compile(r"\s*([+-]?[0-9]+)\s*")
_SHOWN = 24  # characters of a bad value echoed back: a 400-digit number stays one readable line
_LABEL_RE = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")
# Exact enough for every range here, and no decimal.Overflow however many digits a value has.
_EXACT = Context(prec=60, Emax=MAX_EMAX, Emin=MIN_EMIN)


def parse_size(text: str, *, low: int, high: int, zero: str | None = None) -> int:
    """``"1GiB"`` -> 1073741824 within ``low..high`` bytes; decimal units are powers of 1000,
    ``*iB`` of 1024. ``zero`` names what 0 means when 0 is allowed below ``low`` (e.g. "off")."""
    m = _SIZE_RE.fullmatch(text)
    unit = m.group(2).lower() if m else ""
    if not m or unit not in SIZE_UNITS:
        raise ValueError(f"not a size: {clip(text)} (examples: 0, 512MiB, 1GiB, 2TB)")
    value = _EXACT.multiply(Decimal(m.group(1)), SIZE_UNITS[unit])
    check_range(value, low, high, text, show_size, zero)
    return int(value)


def parse_duration(text: str, *, low: float, high: float, zero: str | None = None) -> float:
    """``"10m"`` -> 600.0 seconds within ``low..high``; a bare number is seconds."""
    m = _DURATION_RE.fullmatch(text.lower())
    if not m:
        raise ValueError(f"not a duration: {clip(text)} (examples: 30, 30s, 10m, 24h, 7d)")
    value = _EXACT.multiply(Decimal(m.group(1)), Decimal(DURATION_UNITS[m.group(2)]))
    check_range(value, low, high, text, show_duration, zero)
    return float(value)


def parse_int(text: str, *, low: int, high: int, zero: str | None = None) -> int:
    m = _INT_RE.fullmatch(text)
    if not m:
        raise ValueError(f"not a whole number: {clip(text)}")
    value = Decimal(m.group(1))
    check_range(value, low, high, text, str, zero)
    return int(value)


def check_range(value: Decimal, low: float, high: float, text: str, show: Callable[[float], str],
                zero: str | None = None) -> None:
    """ValueError unless ``low <= value <= high`` (or value is 0 and ``zero`` says what 0 means)."""
    if not value.is_finite():
        raise ValueError(f"not a finite number: {clip(text)}")
    if zero is not None and value == 0:
        return
    if not Decimal(str(low)) <= value <= Decimal(str(high)):
        allowed = f"{show(low)}..{show(high)}" + ("" if zero is None else f", or 0 ({zero})")
        raise ValueError(f"{clip(text)} is out of range: allowed {allowed}")


def clip(text: str) -> str:
    text = text.strip()
    if len(text) <= _SHOWN:
        return text
    return f"{text[:_SHOWN]}... ({len(text)} characters)"


def show_size(value: float) -> str:
    """The largest unit that divides ``value`` exactly: 1PB, 100GB, 4KiB, 4096 -> 4KiB, 100000 -> 100kB."""
    number = int(value)
    units = (("PB", PB), ("TiB", TIB), ("TB", TB), ("GiB", GIB), ("GB", GB), ("MiB", MIB), ("MB", MB),
             ("KiB", KIB), ("kB", KB))
    for name, factor in units:
        if number and number % factor == 0:
            return f"{number // factor}{name}"
    return str(number)


def show_duration(seconds: float) -> str:
    for name, factor in (("d", DAY), ("h", HOUR), ("m", MINUTE)):
        if seconds and seconds % factor == 0:
            return f"{int(seconds // factor)}{name}"
    return f"{seconds:g}s"


def parse_host(text: str) -> str:
    """An IP address literal (v4 or v6) or a host name by RFC 1123's rules; a dotted quad that is
    no address (``999.1.1.1``) is refused rather than left for the resolver to fail on later.
    Names are not resolved here: reading a config must not wait on DNS."""
    host = text.strip()
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    labels = host.removesuffix(".").split(".")
    if ":" in host or labels[-1].isdigit():
        raise ValueError(f"not an IP address: {clip(host)}")
    if len(host) > 253 or not all(_LABEL_RE.fullmatch(label) for label in labels):
        raise ValueError(f"not an IP address or host name: {clip(host)}")
    return host


_DATE_RE = re.compile(r"\s*([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[ T]([0-9]{2}):([0-9]{2}))?\s*", re.ASCII)


def parse_date(text: str, *, low: str, high: str) -> float:
    """``"2026-11-10"`` or ``"2026-11-10 14:30"`` (UTC) -> epoch seconds within the days ``low..high``."""
    m = _DATE_RE.fullmatch(text)
    if not m:
        raise ValueError(f"not a date: {clip(text)} (examples: 2026-11-10, 2026-11-10 14:30; UTC)")
    year, month, day, hour, minute = (int(g or 0) for g in m.groups())
    try:
        stamp = datetime.datetime(year, month, day, hour, minute, tzinfo=datetime.UTC).timestamp()
    except ValueError:  # 2026-02-30, 25:00
        raise ValueError(f"not a date: {clip(text)}") from None
    if not _day(low) <= stamp <= _day(high):
        raise ValueError(f"{clip(text)} is out of range: allowed {low}..{high}")
    return stamp


def _day(text: str) -> float:
    year, month, day = (int(x) for x in text.split("-"))
    return float(calendar.timegm((year, month, day, 0, 0, 0)))


def parse_https_url(text: str) -> tuple[str, int]:
    """``https://host:port`` (no path) -> (host, port): the address of a chia RPC service."""
    try:
        url = urlsplit(text.strip())
        port = url.port
    except ValueError:
        raise ValueError(f"not a URL: {clip(text)} (example: https://127.0.0.1:8555)") from None
    if url.scheme != "https" or not url.hostname or port is None or url.path not in ("", "/") \
            or url.query or url.fragment or url.username:
        raise ValueError(f"not an https://host:port URL: {clip(text)} (example: https://127.0.0.1:8555)")
    check_range(Decimal(port), 1, 65535, str(port), str)
    return parse_host(url.hostname), port
