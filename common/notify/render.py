"""Notice -> Message with jinja2 templates: ``<kind>.html.j2`` and ``<kind>.txt.j2`` per kind.

Templates are looked up in the source checkout's ``templates/`` (next to the
packages; also what an editable install sees) and then in
``<prefix>/share/chia-plot-manager/templates`` (where a wheel's data files land).
``CHIA_PLOT_MANAGER_TEMPLATES`` overrides both, for local customisation.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common.notify.base import REPEAT, RESOLVED, Message, Notice

if TYPE_CHECKING:
    import jinja2

log = logging.getLogger(__name__)

SHORT_LIMIT = 300  # two SMS segments at most


def template_dirs(env: Mapping[str, str] | None = None) -> list[Path]:
    env = os.environ if env is None else env
    dirs = [Path(env["CHIA_PLOT_MANAGER_TEMPLATES"])] if env.get("CHIA_PLOT_MANAGER_TEMPLATES") else []
    dirs += [Path(__file__).resolve().parents[2] / "templates",
             Path(sys.prefix) / "share" / "chia-plot-manager" / "templates"]
    return [d for d in dirs if d.is_dir()]


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs()]),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters.update(size=human_size, tib=tib, when=when, num=num, temp=temp, ago=duration)
    return env


def render(notice: Notice, mode: str, host: str, now: float | None = None) -> Message:
    """Both email bodies from the kind's templates; falls back to the notice's own text."""
    now = time.time() if now is None else now
    name = "resolved" if mode == RESOLVED else notice.kind
    subject = f"[{host}] {'Reminder: ' if mode == REPEAT else ''}{notice.title}"
    context: dict[str, Any] = {**notice.context, "notice": notice, "mode": mode, "host": host, "now": now,
                               "subject": subject}
    try:
        text = environment().get_template(f"{name}.txt.j2").render(context)
        html = environment().get_template(f"{name}.html.j2").render(context)
    except Exception as exc:  # a broken template must not swallow the alert itself
        log.error("template %s failed (%s: %s); sending plain text", name, type(exc).__name__, exc)
        text, html = f"{notice.title}\n\n{notice.text}\n", ""
    return Message(subject=subject, text=text, html=html, short=short_text(host, notice, mode))


def short_text(host: str, notice: Notice, mode: str) -> str:
    prefix = "Reminder: " if mode == REPEAT else ""
    body = f"{host}: {prefix}{notice.title}"
    if notice.text and notice.text != notice.title:
        body += f" - {notice.text}"
    return body if len(body) <= SHORT_LIMIT else body[:SHORT_LIMIT - 1] + "…"


def human_size(value: float | None) -> str:
    """Bytes in the units drive labels use (TB = 10^12), one decimal."""
    if value is None:
        return "?"
    for unit, factor in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(value) >= factor:
            return f"{value / factor:.1f} {unit}"
    return f"{int(value)} B"


def tib(value: float | None, digits: int = 2) -> str:
    return "?" if value is None else f"{value / 2**40:.{digits}f} TiB"


def num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "?"
    return f"{value:,.{digits}f}"


def temp(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f} °C"


def when(value: float | None) -> str:
    """A readable local time: ``Sunday 21 November 2025, 00:02 CET``."""
    if value is None:
        return "?"
    return time.strftime("%A %d %B %Y, %H:%M %Z", time.localtime(value))


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h {minutes % 60} min" if hours < 48 else f"{hours // 24} days {hours % 24} h"
