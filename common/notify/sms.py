"""SMS with the twilio Client; ``[twilio] api_url`` points it at a proxy (or a test server)."""

from __future__ import annotations

from common.notify.base import Message
from common.notify.config import TwilioConfig


class SmsChannel:
    name = "sms"

    def __init__(self, cfg: TwilioConfig, timeout: float) -> None:
        self.cfg = cfg
        self.timeout = timeout

    def send(self, message: Message) -> None:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        cfg = self.cfg
        client = Client(cfg.account_sid, cfg.auth_token, http_client=TwilioHttpClient(timeout=self.timeout))
        client.api.base_url = cfg.api_url
        for number in cfg.to:
            client.messages.create(to=number, from_=cfg.sender, body=message.short)
