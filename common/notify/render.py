"""Notice -> Message with jinja2 templates: ``<kind>.html.j2`` and ``<kind>.txt.j2`` per kind.

Templates ship inside the package (:mod:`common.assets`); ``PLOTYARD_TEMPLATES`` names a
directory searched first, for local customisation. A template that cannot be found or parsed is
an :class:`~common.errors.AssetError`: a report mailed as one plain line with exit 0 hides a
broken install. Only a failure while filling a template in falls back to the notice's own text,
so a bug in one template never swallows the alert itself.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common.assets import asset_dir
from common.errors import AssetError
from common.notify.base import Message, Notice, SendMode
from common.ui.tables import text_table
from common.units import size

if TYPE_CHECKING:
    import jinja2

log = logging.getLogger(__name__)

SHORT_LIMIT = 300  # two SMS segments at most


def template_dirs(env: Mapping[str, str] | None = None) -> list[Path]:
    env = os.environ if env is None else env
    override = env.get("PLOTYARD_TEMPLATES")
    if override and not Path(override).is_dir():
        raise AssetError(f"PLOTYARD_TEMPLATES={override} is not a directory")
    return [*([Path(override)] if override else []), asset_dir("templates")]


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs()]),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters.update(size=human_size, tb=tb, tib=tb, when=when, num=num, temp=temp, ago=duration,
                       table=lambda rows, right=(): "\n".join(text_table(rows, right)))
    return env


def render(notice: Notice, mode: SendMode, host: str, now: float | None = None) -> Message:
    """Both email bodies from the kind's templates; falls back to the notice's own text."""
    now = time.time() if now is None else now
    name = "resolved" if mode == SendMode.RESOLVED else notice.kind
    subject = f"[{host}] {'Reminder: ' if mode == SendMode.REPEAT else ''}{notice.title}"
    context: dict[str, Any] = {**notice.context, "notice": notice, "mode": mode, "host": host, "now": now,
                               "subject": subject}
    text_template, html_template = load(f"{name}.txt.j2"), load(f"{name}.html.j2")
    try:
        text, html = text_template.render(context), html_template.render(context)
    except Exception as exc:  # a template that breaks on this notice's data must not swallow the alert
        log.error("template %s failed (%s: %s); sending plain text", name, type(exc).__name__, exc)
        text, html = f"{notice.title}\n\n{notice.text}\n", ""
    return Message(subject=subject, text=text, html=html, short=short_text(host, notice, mode))


def load(name: str) -> jinja2.Template:
    import jinja2

    try:
        return environment().get_template(name)
    except jinja2.TemplateNotFound:
        dirs = ", ".join(map(str, template_dirs()))
        raise AssetError(f"template {name} not found in {dirs}; reinstall plotyard") from None
    except jinja2.TemplateSyntaxError as exc:
        raise AssetError(f"template {exc.filename or name} line {exc.lineno}: {exc.message}") from None


def short_text(host: str, notice: Notice, mode: SendMode) -> str:
    prefix = "Reminder: " if mode == SendMode.REPEAT else ""
    body = f"{host}: {prefix}{notice.title}"
    if notice.text and notice.text != notice.title:
        body += f" - {notice.text}"
    return body if len(body) <= SHORT_LIMIT else body[:SHORT_LIMIT - 1] + "…"


human_size = size  # one convention everywhere: see common.units


def tb(value: float | None, digits: int = 2) -> str:
    """Bytes in decimal terabytes (``tib`` stays a name for it, for templates written before)."""
    return "?" if value is None else f"{value / 1e12:.{digits}f} TB"


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
