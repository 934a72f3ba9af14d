"""Every channel against a real server on 127.0.0.1: aiosmtpd, and an HTTP server that the real
twilio and pushbullet.py clients talk to via api_url."""

from __future__ import annotations

import base64
import logging
import time
from pathlib import Path

import pytest

from common.config import read_ini
from common.notify.base import Notice, SendMode
from common.notify.config import NAS_KINDS, NotifyConfig, load_alerting
from common.notify.dispatch import Notifier
from common.status.summary import summarize
from nas.model import status_dict
from nas.monitor.alerts import to_notice
from nas.monitor.events import Temperature
from tests.nas.status_data import make_state
from tests.notify_servers import PASSWORD, USER, HttpCapture, SmtpServer, dead_port, part_text

SID, TOKEN, PB_KEY = "AC" + "1" * 32, "twilio-token", "o.pushkey"


def notify_cfg(tmp_path: Path, email: str = "", twilio_url: str | None = None, push_url: str | None = None,
               notify: str = "", timeout: float = 5) -> NotifyConfig:
    text = f"[notify]\ntimeout = {timeout}\n{notify}\n{email}\n"
    if twilio_url:
        text += (f"[twilio]\naccount_sid = {SID}\nauth_token = {TOKEN}\nfrom = +15550001111\n"
                 f"to = +15552223333, +15554445555\napi_url = {twilio_url}\n")
    if push_url:
        text += f"[pushbullet]\napi_key = {PB_KEY}\napi_url = {push_url}\n"
    path = tmp_path / "nas.ini"
    path.write_text(text)
    path.chmod(0o600)
    return load_alerting(path, read_ini(path), NAS_KINDS).notify


def email_section(port: int, security: str = "none", auth: bool = False, ca_file: Path | None = None) -> str:
    text = f"[email]\nhost = 127.0.0.1\nport = {port}\nsecurity = {security}\nfrom = nas@example.com\n"
    text += "to = farmer@example.com, partner@example.com\n"
    if auth:
        text += f"username = {USER}\npassword = {PASSWORD}\n"
    if ca_file:
        text += f"ca_file = {ca_file}\n"
    return text


def hot_drive() -> Notice:
    """A real NAS alert: nas.monitor.events.Temperature through nas.monitor.alerts.to_notice."""
    state = make_state()
    return to_notice(Temperature(state.drives[1], 57, 50), summarize(status_dict(state)))


HOT_TITLE = "Drive drive2 is at 57 °C (limit 50 °C)"
HOT_TEXT = "/mnt/e1/drive2 (/dev/sdc, 18.0 TB, room for 82 plots, serial ZR5A5678, 41 °C, SMART PASS)"


def plain_notice(kind: str = "nas_unreachable") -> Notice:
    return Notice(kind=kind, key=kind, title="NAS nas01 is unreachable", text="connection refused",
                  context={"nas": "nas01", "reason": "connection refused"})


def test_plain_smtp_gets_both_parts(tmp_path: Path, smtp_plain: SmtpServer) -> None:
    from common.status.summary import summarize
    from nas.monitor.report import daily_notice
    from tests.nas.status_data import STATUS

    cfg = notify_cfg(tmp_path, email_section(smtp_plain.port))
    reached = Notifier(cfg, host="nas01").deliver(daily_notice(summarize(STATUS)), SendMode.ONCE)
    assert reached == ["email"]
    (mail,) = smtp_plain.box.wait(1)
    assert mail["To"] == "farmer@example.com, partner@example.com"
    assert mail["Subject"].startswith("[nas01] Daily report")
    text = part_text(mail, "plain")
    html = part_text(mail, "html")
    for body in (text, html):
        assert "ZR5A5678" in body and "/dev/sdc" in body  # current drive's serial and device
        assert "243" in body  # plots
        assert "82" in body  # plots until full
        assert "2.7" in body  # days to full at 30 plots a day
    assert "<table>" in html and "<table>" not in text


def test_starttls_with_auth(tmp_path: Path, smtp_tls: SmtpServer) -> None:
    cfg = notify_cfg(tmp_path, email_section(smtp_tls.port, "starttls", auth=True, ca_file=smtp_tls.ca_file))
    assert Notifier(cfg, host="nas01").deliver(plain_notice(), SendMode.NEW) == ["email"]
    (mail,) = smtp_tls.box.wait(1)
    assert smtp_tls.box.logins == [USER]
    assert mail["Subject"] == "[nas01] NAS nas01 is unreachable"
    assert "NAS nas01 cannot be reached: connection refused" in part_text(mail, "plain")
    assert "<b>nas01</b> cannot be reached" in part_text(mail, "html")


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # it is TLS from the start
def test_implicit_tls_with_auth(tmp_path: Path, smtp_ssl: SmtpServer) -> None:
    cfg = notify_cfg(tmp_path, email_section(smtp_ssl.port, "ssl", auth=True, ca_file=smtp_ssl.ca_file))
    assert Notifier(cfg, host="nas01").deliver(plain_notice(), SendMode.NEW) == ["email"]
    (mail,) = smtp_ssl.box.wait(1)
    assert smtp_ssl.box.logins == [USER]
    assert "NAS nas01 cannot be reached: connection refused" in part_text(mail, "plain")


def test_starttls_wrong_password_is_contained(tmp_path: Path, smtp_tls: SmtpServer,
                                               caplog: pytest.LogCaptureFixture) -> None:
    section = email_section(smtp_tls.port, "starttls", auth=True, ca_file=smtp_tls.ca_file)
    cfg = notify_cfg(tmp_path, section.replace(PASSWORD, "wrong"))
    notifier = Notifier(cfg, host="nas01")
    with caplog.at_level(logging.ERROR):
        assert notifier.deliver(plain_notice(), SendMode.NEW) == []
    assert "email" in notifier.broken and "Authentication" in notifier.broken["email"]
    assert smtp_tls.box.messages == []


def test_untrusted_certificate_is_refused(tmp_path: Path, smtp_tls: SmtpServer) -> None:
    cfg = notify_cfg(tmp_path, email_section(smtp_tls.port, "starttls", auth=True))  # no ca_file
    notifier = Notifier(cfg, host="nas01")
    assert notifier.deliver(plain_notice(), SendMode.NEW) == []
    assert "CERTIFICATE_VERIFY_FAILED" in notifier.broken["email"]


def test_twilio_client_request(tmp_path: Path, http_capture: HttpCapture) -> None:
    cfg = notify_cfg(tmp_path, twilio_url=http_capture.url)
    assert Notifier(cfg, host="nas01").deliver(hot_drive(), SendMode.NEW) == ["sms"]
    sent = http_capture.wait(lambda r: r.path.endswith("/Messages.json"), 2)
    assert [r.path for r in sent] == [f"/2010-04-01/Accounts/{SID}/Messages.json"] * 2
    auth = base64.b64decode(sent[0].headers["Authorization"].split()[1]).decode()
    assert auth == f"{SID}:{TOKEN}"
    forms = [r.form() for r in sent]
    assert [f["To"] for f in forms] == [["+15552223333"], ["+15554445555"]]
    assert forms[0]["From"] == ["+15550001111"]
    (body,) = forms[0]["Body"]
    assert body.startswith(f"nas01: {HOT_TITLE} - {HOT_TEXT}; 243 plots on 2 drives") and len(body) <= 300


def test_pushbullet_client_request(tmp_path: Path, http_capture: HttpCapture) -> None:
    cfg = notify_cfg(tmp_path, push_url=http_capture.url)
    assert Notifier(cfg, host="nas01").deliver(hot_drive(), SendMode.NEW) == ["pushbullet"]
    (push,) = http_capture.wait(lambda r: r.path == "/v2/pushes")
    assert base64.b64decode(push.headers["Authorization"].split()[1]).decode() == f"{PB_KEY}:"
    body = push.json()
    assert body["type"] == "note"
    assert body["title"] == f"[nas01] {HOT_TITLE}"
    assert HOT_TEXT in body["body"]
    assert len(http_capture.requests) == 1  # no device/chat listing round trips


def test_dead_smtp_does_not_stop_sms_and_push(tmp_path: Path, http_capture: HttpCapture,
                                              caplog: pytest.LogCaptureFixture) -> None:
    cfg = notify_cfg(tmp_path, email_section(dead_port()), http_capture.url, http_capture.url)
    notifier = Notifier(cfg, host="nas01")
    with caplog.at_level(logging.ERROR, logger="common.notify.dispatch"):
        first = notifier.deliver(hot_drive(), SendMode.NEW)
        second = notifier.deliver(plain_notice(), SendMode.NEW)
    assert first == second == ["sms", "pushbullet"]
    http_capture.wait(lambda r: r.path == "/v2/pushes", 2)
    failures = [r for r in caplog.records if "email" in r.getMessage()]
    assert len(failures) == 1  # logged once per run, with the channel and the reason
    assert "Connection refused" in failures[0].getMessage() or "ConnectionRefused" in failures[0].getMessage()


@pytest.mark.slow
def test_hanging_servers_time_out(tmp_path: Path, silent_server: int) -> None:
    """Servers that accept the connection and never answer: every channel gives up after its timeout."""
    silent = f"http://127.0.0.1:{silent_server}"
    cfg = notify_cfg(tmp_path, email_section(silent_server), silent, silent, timeout=1)
    notifier = Notifier(cfg, host="nas01")
    start = time.monotonic()
    assert notifier.deliver(plain_notice(), SendMode.NEW) == []
    assert time.monotonic() - start < 8
    assert sorted(notifier.broken) == ["email", "pushbullet", "sms"]
    assert all("timed out" in reason.lower() for reason in notifier.broken.values()), notifier.broken


def test_routes_pick_channels(tmp_path: Path, smtp_plain: SmtpServer, http_capture: HttpCapture) -> None:
    cfg = notify_cfg(tmp_path, email_section(smtp_plain.port), http_capture.url, http_capture.url,
                     notify="temperature = sms\nno_plots = email, pushbullet\n")
    notifier = Notifier(cfg, host="nas01")
    assert notifier.deliver(hot_drive(), SendMode.NEW) == ["sms"]
    assert notifier.deliver(plain_notice("no_plots"), SendMode.NEW) == ["email", "pushbullet"]
    assert notifier.deliver(plain_notice("plot_sent"), SendMode.ONCE) == []  # opt-in kind, not routed
