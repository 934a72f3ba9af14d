"""Route notices to channels, contain each channel's failure, remember what was sent."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Mapping, Sequence

from common.notify.base import Channel, Notice, SendMode
from common.notify.config import NotifyConfig
from common.notify.dedupe import DedupeStore, Send, plan
from common.notify.render import render

log = logging.getLogger(__name__)

KEEP = 7 * 86400.0  # how long a closed condition or a sent event is remembered (at least)


def build_channel(cfg: NotifyConfig, name: str) -> Channel:
    if name == "email" and cfg.email is not None:
        from common.notify.mail import EmailChannel

        return EmailChannel(cfg.email, cfg.timeout)
    if name == "sms" and cfg.twilio is not None:
        from common.notify.sms import SmsChannel

        return SmsChannel(cfg.twilio, cfg.timeout)
    if name == "pushbullet" and cfg.pushbullet is not None:
        from common.notify.push import PushChannel

        return PushChannel(cfg.pushbullet, cfg.timeout)
    if name == "apprise" and cfg.apprise is not None:
        from common.notify.apprise_channel import AppriseChannel

        return AppriseChannel(cfg.apprise, cfg.timeout)
    raise ValueError(f"channel {name} is not configured")  # config validation prevents this


class Notifier:
    """One per run. A channel that fails is logged once and not tried again in this run,
    so a dead mail server costs one timeout, not one per message, and never stops the others.
    """

    def __init__(self, cfg: NotifyConfig, host: str | None = None,
                 channels: Mapping[str, Channel] | None = None) -> None:
        self.cfg = cfg
        self.host = host or socket.gethostname()
        self._channels: dict[str, Channel] = dict(channels or {})
        self.broken: dict[str, str] = {}

    def deliver(self, notice: Notice, mode: SendMode, now: float | None = None) -> list[str]:
        """Send one notice on its routes; the names of the channels it reached."""
        routes = [name for name in self.cfg.channels_for(notice.kind) if name not in self.broken]
        if not routes:
            return []
        message = render(notice, mode, self.host, now)
        reached = []
        for name in routes:
            try:
                self._channel(name).send(message)
            except Exception as exc:  # any library's failure is contained to its channel
                self._broken(name, exc)
            else:
                reached.append(name)
                log.info("sent %s %s (%s) by %s", mode, notice.kind, notice.key, name)
        return reached

    def _channel(self, name: str) -> Channel:
        if name not in self._channels:
            self._channels[name] = build_channel(self.cfg, name)
        return self._channels[name]

    def _broken(self, name: str, exc: Exception) -> None:
        reason = (str(exc).strip().splitlines() or [""])[0][:300]
        self.broken[name] = f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__
        log.error("notification channel %s failed, not used again in this run: %s", name, self.broken[name])

    def process(self, notices: Sequence[Notice], evaluated: Callable[[str], bool], store: DedupeStore,
                now: float | None = None) -> list[Send]:
        """Send what :func:`~common.notify.dedupe.plan` says; the sends that reached someone.

        A notice no channel took is not recorded, so the next run tries again.
        """
        now = time.time() if now is None else now
        routed_notices = [n for n in notices if self.cfg.channels_for(n.kind)]  # nothing to remember
        sends = plan(routed_notices, evaluated, store.load(), now, self.cfg.repeat)
        done = []
        for send in sends:
            routed = self.cfg.channels_for(send.notice.kind)
            if send.silent or not routed or self.deliver(send.notice, send.mode, now):
                done.append(send)
        if done:
            store.save((s.record for s in done), forget_before=now - max(self.cfg.repeat, KEEP))
        return done
