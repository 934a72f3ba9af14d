"""Push notes with pushbullet.py, to every device of the account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from common.notify.base import Message
from common.notify.config import PushbulletConfig


class PushChannel:
    name = "pushbullet"

    def __init__(self, cfg: PushbulletConfig, timeout: float) -> None:
        self.cfg = cfg
        self.timeout = timeout

    def send(self, message: Message) -> None:
        client = make_client(self.cfg.api_url, self.cfg.api_key, self.timeout)
        client.push_note(message.subject, message.short)


def make_client(api_url: str, api_key: str, default_timeout: float) -> Any:
    """A pushbullet.py client for ``api_url`` whose every request has a timeout.

    The library's URLs are class attributes, so a subclass carries ours. Its
    constructor lists devices, chats and channels; a note to all devices needs
    none of them, so that round trip (one more thing to time out) is skipped.
    """
    from pushbullet import Pushbullet
    from requests import PreparedRequest, Response
    from requests.adapters import HTTPAdapter

    class TimeoutAdapter(HTTPAdapter):
        def send(self, request: PreparedRequest, stream: bool = False,
                 timeout: float | tuple[float, float] | tuple[float, None] | None = None,
                 verify: bool | str = True, cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
                 proxies: Mapping[str, str] | None = None) -> Response:
            return super().send(request, stream=stream, timeout=timeout or default_timeout, verify=verify,
                                cert=cert, proxies=proxies)

    class Client(Pushbullet):  # type: ignore[misc]
        PUSH_URL = f"{api_url}/v2/pushes"
        DEVICES_URL = f"{api_url}/v2/devices"
        CHATS_URL = f"{api_url}/v2/chats"
        CHANNELS_URL = f"{api_url}/v2/channels"
        ME_URL = f"{api_url}/v2/users/me"
        UPLOAD_REQUEST_URL = f"{api_url}/v2/upload-request"
        EPHEMERALS_URL = f"{api_url}/v2/ephemerals"

        def refresh(self) -> None:
            for prefix in ("http://", "https://"):
                self._session.mount(prefix, TimeoutAdapter())
            self.devices: list[Any] = []
            self.chats: list[Any] = []
            self.channels: list[Any] = []

    return Client(api_key)
