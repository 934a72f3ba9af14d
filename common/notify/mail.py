"""Email over SMTP (smtplib): STARTTLS, implicit TLS or plain; both an HTML and a text part."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from common.notify.base import Message
from common.notify.config import EmailConfig


class EmailChannel:
    name = "email"

    def __init__(self, cfg: EmailConfig, timeout: float) -> None:
        self.cfg = cfg
        self.timeout = timeout

    def send(self, message: Message) -> None:
        with self._connect() as smtp:
            if self.cfg.username:
                smtp.login(self.cfg.username, self.cfg.password or "")
            smtp.send_message(build(self.cfg, message))

    def _connect(self) -> smtplib.SMTP:
        cfg = self.cfg
        if cfg.security == "ssl":
            return smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=self.timeout, context=self._tls())
        smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=self.timeout)
        try:
            if cfg.security == "starttls":
                smtp.starttls(context=self._tls())
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _tls(self) -> ssl.SSLContext:
        # Verified against the system CAs, or ca_file for a private mail server.
        return ssl.create_default_context(cafile=str(self.cfg.ca_file) if self.cfg.ca_file else None)


def build(cfg: EmailConfig, message: Message) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = cfg.sender
    mail["To"] = ", ".join(cfg.to)
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = make_msgid(domain="plotyard")
    mail.set_content(message.text)
    if message.html:
        mail.add_alternative(message.html, subtype="html")
    return mail
