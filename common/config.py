"""INI loading and typed value parsing shared by both roles.

Each role turns its file into frozen dataclasses in one place
(``plotter/config.py``, ``nas/config.py``). Every problem is raised as a
:class:`ConfigError` naming file, section and key; unknown keys are errors too,
because a misspelt key silently falling back to a default is how a drive fills.
"""

from __future__ import annotations

import configparser
import difflib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from common.confvalues import clip, parse_duration, parse_host, parse_int, parse_size
from common.errors import ConfigError

__all__ = ["Section", "check_sections", "find_config", "parse_bool", "parse_duration", "parse_list",
           "parse_port_range", "parse_size", "read_ini", "sections_with_prefix"]

T = TypeVar("T")
_MISSING = object()

def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "yes", "true", "on"):
        return True
    if value in ("0", "no", "false", "off"):
        return False
    raise ValueError(f"not a boolean: {text!r} (use true or false)")


def parse_list(text: str) -> tuple[str, ...]:
    """Comma- or newline-separated, blanks dropped."""
    return tuple(part.strip() for part in re.split(r"[,\n]", text) if part.strip())


def parse_port_range(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*([0-9]+)\s*(?:-\s*([0-9]+)\s*)?", text)
    if not m:
        raise ValueError(f"not a port range: {clip(text)} (example: 4040-4059)")
    low = parse_int(m.group(1), low=1, high=65535)
    high = parse_int(m.group(2) or m.group(1), low=1, high=65535)
    if low > high:
        raise ValueError(f"port range out of order: {clip(text)}")
    return low, high


def read_ini(path: Path) -> configparser.ConfigParser:
    """Parse one INI file; ``;`` starts an inline comment, ``%`` is literal."""
    parser = configparser.ConfigParser(
        interpolation=None, inline_comment_prefixes=(";",), default_section="\x00none"
    )
    try:
        # utf-8-sig: an editor's byte-order mark before the first section is not a parse error.
        with open(path, encoding="utf-8-sig") as handle:
            parser.read_file(handle)
    except FileNotFoundError:
        raise ConfigError.at(str(path), None, None, "config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError.at(str(path), None, None, f"cannot read: {exc}") from None
    except configparser.Error as exc:
        first = str(exc).splitlines()[0]
        raise ConfigError.at(str(path), None, None, f"not a valid INI file: {first}") from None
    return parser


def find_config(role: str, explicit: str | None, env: dict[str, str] | None = None) -> Path:
    """``--config`` wins; else /etc/plotyard/<role>.ini, then ~/.config/..."""
    if explicit:
        return Path(explicit)
    env = dict(os.environ) if env is None else env
    home = Path(env.get("HOME", "~")).expanduser()
    candidates = [
        Path("/etc/plotyard") / f"{role}.ini",
        home / ".config" / "plotyard" / f"{role}.ini",
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise ConfigError(f"no config file given and none found (tried {tried}); use --config FILE")


class Section:
    """Typed, tracked access to one INI section.

    Every getter records the key it read, so :meth:`finish` can reject keys
    nobody asked for (typos) with the same file/section/key message.
    """

    def __init__(self, path: Path, parser: configparser.ConfigParser, name: str) -> None:
        self.path = path
        self.name = name
        self.present = parser.has_section(name)
        self._values = dict(parser.items(name)) if self.present else {}
        self._used: set[str] = set()

    def error(self, key: str | None, problem: str) -> ConfigError:
        return ConfigError.at(str(self.path), self.name, key, problem)

    def _get(self, key: str, convert: Callable[[str], T], default: object) -> T:
        self._used.add(key)
        raw = self._values.get(key)
        if raw is None or raw.strip() == "":
            if default is _MISSING:
                near = difflib.get_close_matches(key, set(self._values) - self._used, n=1)
                hint = f"; is '{near[0]}' a misspelling of it?" if near else ""
                raise self.error(key, f"missing (required){hint}")
            return default  # type: ignore[return-value]
        try:
            return convert(raw.strip())
        except ValueError as exc:
            raise self.error(key, str(exc)) from None

    def get_str(self, key: str, default: str | None = None) -> str:
        return self._get(key, str, _MISSING if default is None else default)

    def opt_str(self, key: str) -> str | None:
        value: str | None = self._get(key, str, None)
        return value

    def convert(self, key: str, convert: Callable[[str], T], default: T) -> T:
        """``key`` through ``convert`` (its ValueError becomes this key's one-line error), or ``default``."""
        return self._get(key, convert, default)

    # The numeric getters take the range the key may hold (``zero``: 0 is allowed too and means
    # that); the default is ours and is not checked.
    def get_int(self, key: str, default: int | None = None, *, low: int, high: int,
                zero: str | None = None) -> int:
        return self._get(key, lambda text: parse_int(text, low=low, high=high, zero=zero),
                         _MISSING if default is None else default)

    def get_bool(self, key: str, default: bool | None = None) -> bool:
        return self._get(key, parse_bool, _MISSING if default is None else default)

    def get_size(self, key: str, default: int | None = None, *, low: int, high: int,
                 zero: str | None = None) -> int:
        return self._get(key, lambda text: parse_size(text, low=low, high=high, zero=zero),
                         _MISSING if default is None else default)

    def get_duration(self, key: str, default: float | None = None, *, low: float, high: float,
                     zero: str | None = None) -> float:
        return self._get(key, lambda text: parse_duration(text, low=low, high=high, zero=zero),
                         _MISSING if default is None else default)

    def get_host(self, key: str, default: str | None = None) -> str:
        """An IP address literal or a host name (see :func:`common.confvalues.parse_host`)."""
        return self._get(key, parse_host, _MISSING if default is None else default)

    def get_list(self, key: str, default: tuple[str, ...] | None = None) -> tuple[str, ...]:
        value = self._get(key, parse_list, _MISSING if default is None else default)
        if not value and default is None:
            raise self.error(key, "must list at least one entry")
        return value

    def get_path(self, key: str, default: Path | None = None) -> Path:
        return self._get(key, _to_path, _MISSING if default is None else default)

    def opt_path(self, key: str) -> Path | None:
        value: Path | None = self._get(key, _to_path, None)
        return value

    def get_choice(self, key: str, choices: tuple[str, ...], default: str | None = None) -> str:
        value = self.get_str(key, default)
        if value not in choices:
            raise self.error(key, f"{value!r} is not one of: {', '.join(choices)}")
        return value

    def get_ports(self, key: str, default: tuple[int, int] | None = None) -> tuple[int, int]:
        return self._get(key, parse_port_range, _MISSING if default is None else default)

    def finish(self) -> None:
        unknown = sorted(set(self._values) - self._used)
        if unknown:
            raise self.error(unknown[0], "unknown key (misspelt?)")


def _to_path(text: str) -> Path:
    return Path(text).expanduser()


def sections_with_prefix(parser: configparser.ConfigParser, prefix: str) -> Iterator[tuple[str, str]]:
    """Yield (section, argument) for sections named ``"<prefix> <argument>"``."""
    for name in parser.sections():
        head, _, arg = name.partition(" ")
        if head == prefix:
            yield name, arg.strip()


def check_sections(path: Path, parser: configparser.ConfigParser, known: set[str]) -> None:
    """Reject sections whose first word is not one the role understands."""
    for name in parser.sections():
        if name.partition(" ")[0] not in known:
            raise ConfigError.at(str(path), name, None, "unknown section")
