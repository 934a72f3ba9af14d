"""``[apprise] urls = ...``: one channel that reaches 100+ services (Discord, Telegram, Slack,
Pushover, ntfy, ...) through the apprise library, each by its own URL scheme."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from common.notify.base import Message
from common.notify.config import AppriseConfig


def with_timeouts(url: str, timeout: float) -> str:
    """``url`` with apprise's connect (``cto``) and read (``rto``) timeouts, unless it sets them:
    a hung service must cost one timeout like every other channel, not apprise's default."""
    query = dict(parse_qsl(urlsplit(url).query))
    extra = [f"{key}={timeout:g}" for key in ("cto", "rto") if key not in query]
    if not extra:
        return url
    return url + ("&" if "?" in url else "?") + "&".join(extra)


class AppriseChannel:
    name = "apprise"

    def __init__(self, cfg: AppriseConfig, timeout: float) -> None:
        self.urls = tuple(with_timeouts(url, timeout) for url in cfg.urls)

    def send(self, message: Message) -> None:
        import apprise

        notifier = apprise.Apprise()
        for number, url in enumerate(self.urls, 1):
            if not notifier.add(url):
                # The URL is not repeated: it holds the service's token.
                raise ValueError(f"apprise does not understand URL #{number} ({urlsplit(url).scheme}://...)")
        if not notifier.notify(title=message.subject, body=message.text, body_format=apprise.NotifyFormat.TEXT):
            raise RuntimeError("apprise: a service did not accept the notification (see apprise's log above)")
