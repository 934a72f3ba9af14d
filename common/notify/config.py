"""``[notify] [email] [twilio] [pushbullet] [apprise] [sentry] [metrics]``: parsed the same way for both roles.

Both nas.ini and plotter.ini may carry these sections; each role's config
loader calls :func:`load_alerting`. A file holding a secret that others can
read is refused (see :func:`check_secret_mode`).
"""

from __future__ import annotations

import configparser
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from common.config import Section
from common.confvalues import MINUTE, YEAR
from common.errors import InsecureConfigError
from common.metrics import MetricsConfig, parse_metrics
from common.sentry import SentryConfig, parse_sentry

CHANNELS = ("email", "sms", "pushbullet", "apprise")
# The sections load_alerting reads, in either role's file.
ALERTING_SECTIONS = frozenset({"notify", "email", "twilio", "pushbullet", "apprise", "sentry", "metrics"})
# The section that configures each channel.
SECTION_OF = {"email": "email", "sms": "twilio", "pushbullet": "pushbullet", "apprise": "apprise"}
NAS_KINDS = ("drive_changed", "drive_full", "all_full", "capacity_low", "temperature", "smart_failing",
             "drive_missing", "drive_back", "drive_failing", "no_plots", "plots_not_farmed", "harvester_unreachable",
             "daily_report")
PLOTTER_KINDS = ("transfer_failing", "nas_unreachable", "dir_critical", "plot_sent", "farm_report", "plot_failed",
                 "plotting_paused", "plot_stalled")
# Kinds nobody routes get [notify] default, except these, which are opt-in.
OPT_IN = ("plot_sent",)
# Apprise URLs carry the services' tokens in them.
SECRETS = (("email", "password"), ("twilio", "auth_token"), ("pushbullet", "api_key"), ("apprise", "urls"),
           ("sentry", "dsn"))
TWILIO_URL = "https://api.twilio.com"
PUSHBULLET_URL = "https://api.pushbullet.com"


@dataclass(frozen=True)
class EmailConfig:
    host: str
    port: int
    security: str  # starttls | ssl | none
    username: str | None
    password: str | None
    sender: str
    to: tuple[str, ...]
    ca_file: Path | None = None  # extra CA for a private mail server's certificate


@dataclass(frozen=True)
class TwilioConfig:
    account_sid: str
    auth_token: str
    sender: str
    to: tuple[str, ...]
    api_url: str


@dataclass(frozen=True)
class PushbulletConfig:
    api_key: str
    api_url: str


@dataclass(frozen=True)
class AppriseConfig:
    urls: tuple[str, ...]  # one per service, apprise's own URL schemes


@dataclass(frozen=True)
class NotifyConfig:
    routes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    default: tuple[str, ...] = ()
    repeat: float = 86400.0
    timeout: float = 10.0
    email: EmailConfig | None = None
    twilio: TwilioConfig | None = None
    pushbullet: PushbulletConfig | None = None
    apprise: AppriseConfig | None = None

    def channels_for(self, kind: str) -> tuple[str, ...]:
        if kind in self.routes:
            return self.routes[kind]
        return () if kind in OPT_IN else self.default

    @property
    def configured(self) -> tuple[str, ...]:
        present = {"email": self.email, "sms": self.twilio, "pushbullet": self.pushbullet, "apprise": self.apprise}
        return tuple(name for name in CHANNELS if present[name] is not None)


@dataclass(frozen=True)
class Alerting:
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    sentry: SentryConfig = field(default_factory=SentryConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)


def load_alerting(path: Path, parser: configparser.ConfigParser, kinds: tuple[str, ...]) -> Alerting:
    check_secret_mode(path, parser)
    def section(name: str) -> Section:
        return Section(path, parser, name)

    channels = NotifyConfig(email=_email(section("email")), twilio=_twilio(section("twilio")),
                            pushbullet=_pushbullet(section("pushbullet")), apprise=_apprise(section("apprise")))
    notify = _notify(Section(path, parser, "notify"), kinds, channels)
    return Alerting(notify=notify, sentry=parse_sentry(Section(path, parser, "sentry")),
                    metrics=parse_metrics(Section(path, parser, "metrics")))


def check_secret_mode(path: Path, parser: configparser.ConfigParser) -> None:
    """Refuse a config with a secret in it that group or others may read.

    Refusing (not warning) because cron mails and journal warnings go unread,
    while an SMTP password or Sentry DSN readable by every local user is a leak.
    """
    held = [f"[{sec}] {key}" for sec, key in SECRETS
            if parser.has_section(sec) and parser.get(sec, key, fallback="").strip()]
    if not held:
        return
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return  # it was just read; a vanished file is not a leak
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        raise InsecureConfigError(
            f"{path}: holds {held[0]} but is readable by group/others (mode {stat.S_IMODE(mode):04o}); "
            f"run: chmod 600 {path} (owned by the user the service runs as)")


def _email(sec: Section) -> EmailConfig | None:
    if not sec.present:
        return None
    security = sec.get_choice("security", ("starttls", "ssl", "none"), "starttls")
    default_port = {"starttls": 587, "ssl": 465, "none": 25}[security]
    cfg = EmailConfig(
        host=sec.get_str("host"), port=sec.get_int("port", default_port, low=1, high=65535),
        security=security, username=sec.opt_str("username"), password=sec.opt_str("password"),
        sender=sec.get_str("from"), to=sec.get_list("to"), ca_file=sec.opt_path("ca_file"),
    )
    if cfg.password and not cfg.username:
        raise sec.error("username", "missing (a password is set)")
    sec.finish()
    return cfg


def _twilio(sec: Section) -> TwilioConfig | None:
    if not sec.present:
        return None
    cfg = TwilioConfig(
        account_sid=sec.get_str("account_sid"), auth_token=sec.get_str("auth_token"),
        sender=sec.get_str("from"), to=sec.get_list("to"), api_url=_url(sec, TWILIO_URL),
    )
    sec.finish()
    return cfg


def _pushbullet(sec: Section) -> PushbulletConfig | None:
    if not sec.present:
        return None
    cfg = PushbulletConfig(api_key=sec.get_str("api_key"), api_url=_url(sec, PUSHBULLET_URL))
    sec.finish()
    return cfg


def _url(sec: Section, default: str) -> str:
    url = sec.get_str("api_url", default).rstrip("/")
    if not url.startswith(("https://", "http://")):
        raise sec.error("api_url", f"not an http(s) URL: {url!r}")
    return url


def _apprise(sec: Section) -> AppriseConfig | None:
    if not sec.present:
        return None
    urls = sec.get_list("urls", ())
    if not urls:
        raise sec.error("urls", "needs at least one apprise URL (e.g. discord://webhook_id/webhook_token)")
    for number, url in enumerate(urls, 1):
        if "://" not in url or not url.split("://", 1)[0].isascii():
            # Never echo the URL itself: it holds the service's token.
            raise sec.error("urls", f"URL #{number} is not an apprise URL (scheme://...)")
    sec.finish()
    return AppriseConfig(urls)


def _notify(sec: Section, kinds: tuple[str, ...], channels: NotifyConfig) -> NotifyConfig:
    routes = {kind: _route(sec, kind, channels.configured) for kind in kinds if _has(sec, kind)}
    default = _route(sec, "default", channels.configured) if _has(sec, "default") else channels.configured
    repeat = sec.get_duration("repeat", 86400.0, low=MINUTE, high=YEAR, zero="never again")
    cfg = replace(channels, routes=routes, default=default, repeat=repeat,
                  timeout=sec.get_duration("timeout", 10.0, low=1, high=10 * MINUTE))
    sec.finish()
    return cfg


def _has(sec: Section, key: str) -> bool:
    return sec.opt_str(key) is not None


def _route(sec: Section, key: str, configured: tuple[str, ...]) -> tuple[str, ...]:
    names = sec.get_list(key, ())
    if names == ("none",):
        return ()
    for name in names:
        if name not in CHANNELS:
            raise sec.error(key, f"{name!r} is not a channel (use: {', '.join(CHANNELS)}, or none)")
        if name not in configured:
            raise sec.error(key, f"routes to {name} but there is no [{SECTION_OF[name]}] section")
    return names


def example(kinds: tuple[str, ...], metrics_port: int) -> str:
    """The commented sections both roles' ``config generate`` append."""
    routes = "\n".join(f"# {kind} = email, sms, pushbullet, apprise" for kind in kinds)
    return f"""
# --- Notifications (all optional). A file holding a password, token, API key
# or DSN must not be readable by group/others (chmod 600), else it is refused.
# [notify]
# Channels for every kind not listed below (default: every channel configured).
# default = email, pushbullet
# Per kind of event: a list of email, sms, pushbullet, apprise, or none (plot_sent: off unless listed).
{routes}
# A condition that lasts is sent again after this long (0: never again).
# repeat = 24h
# Seconds each send may take before it counts as failed.
# timeout = 10

# [email]
# host = smtp.example.com
# security = starttls          ; starttls (port 587), ssl (465) or none (25)
# port = 587
# username = farmer@example.com
# password = app-password
# from = farmer@example.com
# to = farmer@example.com, partner@example.com
# ca_file = /etc/ssl/private-ca.pem   ; only for a mail server with a private CA

# [twilio]
# account_sid = ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
# auth_token = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
# from = +15550001111
# to = +15552223333
# api_url = https://api.twilio.com     ; only for a proxy

# [pushbullet]
# api_key = o.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
# api_url = https://api.pushbullet.com ; only for a proxy

# [apprise]
# One URL per service (Discord, Telegram, Slack, Pushover, ntfy, ... see apprise's list of services).
# urls = discord://webhook_id/webhook_token, tgram://bot_token/chat_id, ntfys://ntfy.sh/my-farm

# [sentry]
# Unhandled errors go to Sentry, tagged with role and host. Empty: off.
# dsn = https://key@o0.ingest.sentry.io/0

# [metrics]
# Prometheus text file rewritten on every run (node_exporter textfile collector).
# textfile = /var/lib/node_exporter/textfile_collector/plotyard.prom
# Where "metrics serve" listens.
# bind = 0.0.0.0
# port = {metrics_port}
"""
