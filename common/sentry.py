"""``[sentry] dsn``: unhandled errors of any command go to Sentry, tagged with role and host.

sentry-sdk is imported only when a DSN is configured, so runs without it start fast.
Expected failures (:class:`~common.errors.AppError`) are not sent: they are the
user's to fix, and cron would report the same one every minute.
"""

from __future__ import annotations

import logging
import re
import socket
from dataclasses import dataclass

from common.config import Section

log = logging.getLogger(__name__)

FLUSH_TIMEOUT = 5.0
_DSN_RE = re.compile(r"https?://[^@/\s]+@[^/\s]+/\S*\d+")
_active = False


@dataclass(frozen=True)
class SentryConfig:
    dsn: str | None = None
    environment: str | None = None


def parse_sentry(sec: Section) -> SentryConfig:
    dsn = sec.opt_str("dsn")
    if dsn is not None and not _DSN_RE.fullmatch(dsn):
        raise sec.error("dsn", "not a Sentry DSN (https://<key>@<host>/<project id>)")
    cfg = SentryConfig(dsn=dsn, environment=sec.opt_str("environment"))
    sec.finish()
    return cfg


def start(cfg: SentryConfig, role: str) -> bool:
    """Initialise sentry-sdk when a DSN is set; True when active."""
    global _active
    if not cfg.dsn or _active:
        return _active
    import sentry_sdk
    from sentry_sdk.integrations.logging import LoggingIntegration

    host = socket.gethostname()
    sentry_sdk.init(
        dsn=cfg.dsn, environment=cfg.environment, server_name=host, send_default_pii=False,
        # Log lines stay breadcrumbs: a failed transfer is logged, handled and retried, not a crash.
        integrations=[LoggingIntegration(event_level=None)], auto_enabling_integrations=False,
        shutdown_timeout=FLUSH_TIMEOUT,
    )
    sentry_sdk.set_tag("role", role)
    sentry_sdk.set_tag("host", host)
    _active = True
    return True


def report_crash(exc: BaseException) -> None:
    """Send an unhandled error and wait (bounded) until it is out: the process is about to die."""
    if not _active:
        return
    import sentry_sdk

    try:
        sentry_sdk.capture_exception(exc)
        sentry_sdk.flush(timeout=FLUSH_TIMEOUT)
    except Exception as sdk_error:  # the crash itself must still surface, whatever Sentry does
        log.warning("could not report the error to Sentry: %s", sdk_error)
