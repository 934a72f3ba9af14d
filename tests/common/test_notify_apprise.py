"""The ``apprise`` channel: the real apprise library posting with its ``json://`` scheme to an HTTP
server on 127.0.0.1; routing, dedupe, timeout and failure containment as for every channel."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from common.config import read_ini
from common.errors import ConfigError, InsecureConfigError
from common.notify.base import SendMode
from common.notify.config import NAS_KINDS, NotifyConfig, load_alerting
from common.notify.dedupe import DedupeStore
from common.notify.dispatch import Notifier
from tests.common.test_notify_channels import HOT_TITLE, email_section, hot_drive
from tests.notify_servers import HttpCapture, SmtpServer, dead_port


def apprise_cfg(tmp_path: Path, urls: str, more: str = "", mode: int = 0o600) -> NotifyConfig:
    path = tmp_path / "nas.ini"
    path.write_text(f"[notify]\ntimeout = 2\n{more}\n[apprise]\nurls = {urls}\n")
    path.chmod(mode)
    return load_alerting(path, read_ini(path), NAS_KINDS).notify


def test_a_json_url_posts_the_alert(tmp_path: Path, http_capture: HttpCapture) -> None:
    cfg = apprise_cfg(tmp_path, f"json://127.0.0.1:{http_capture.port}/farm/alerts")
    assert cfg.default == ("apprise",)
    assert Notifier(cfg, host="nas01").deliver(hot_drive(), SendMode.NEW) == ["apprise"]
    (request,) = http_capture.wait(lambda r: r.path.startswith("/farm/alerts"))
    body = request.json()
    assert body["title"] == f"[nas01] {HOT_TITLE}"
    assert "ZR5A5678" in body["message"]  # the text template's body, serial included


def test_routes_and_dedupe_apply(tmp_path: Path, http_capture: HttpCapture, smtp_plain: SmtpServer) -> None:
    cfg = apprise_cfg(tmp_path, f"json://127.0.0.1:{http_capture.port}/a",
                      more=f"temperature = apprise\ndefault = email\n{email_section(smtp_plain.port)}")
    notifier, store = Notifier(cfg, host="nas01"), DedupeStore(tmp_path / "state")
    (tmp_path / "state").mkdir()
    for _ in range(3):  # three check runs with the drive still hot: one alert
        notifier.process([hot_drive()], lambda kind: True, store)
    assert len(http_capture.wait(lambda r: True)) == 1
    assert smtp_plain.box.messages == []  # temperature is routed to apprise only


def test_a_dead_service_is_contained(tmp_path: Path, smtp_plain: SmtpServer) -> None:
    cfg = apprise_cfg(tmp_path, f"json://127.0.0.1:{dead_port()}/x",
                      more=f"default = apprise, email\n{email_section(smtp_plain.port)}")
    notifier = Notifier(cfg, host="nas01")
    assert notifier.deliver(hot_drive(), SendMode.NEW) == ["email"]
    assert "did not accept" in notifier.broken["apprise"]
    assert notifier.deliver(hot_drive(), SendMode.NEW) == ["email"]  # not tried again in this run
    assert len(smtp_plain.box.wait(2)) == 2


@pytest.mark.slow
def test_a_hung_service_costs_one_timeout(tmp_path: Path, silent_server: int) -> None:
    cfg = apprise_cfg(tmp_path, f"json://127.0.0.1:{silent_server}/x")
    notifier = Notifier(cfg, host="nas01")
    started = time.monotonic()
    assert notifier.deliver(hot_drive(), SendMode.NEW) == []
    assert time.monotonic() - started < 15  # [notify] timeout = 2 reaches apprise (its own default is longer)
    assert "apprise" in notifier.broken


def test_urls_are_secrets(tmp_path: Path) -> None:
    with pytest.raises(InsecureConfigError, match=r"holds \[apprise\] urls"):
        apprise_cfg(tmp_path, "discord://id/token", mode=0o644)


def test_a_bad_url_is_named_by_number_not_echoed(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[apprise\] urls: URL #2 is not an apprise URL") as caught:
        apprise_cfg(tmp_path, "json://127.0.0.1/x, secret-token-only")
    assert "secret-token-only" not in str(caught.value)


def test_routing_to_apprise_needs_its_section(tmp_path: Path) -> None:
    path = tmp_path / "nas.ini"
    path.write_text("[notify]\ntemperature = apprise\n")
    with pytest.raises(ConfigError, match=r"routes to apprise but there is no \[apprise\] section"):
        load_alerting(path, read_ini(path), NAS_KINDS)


def test_the_notify_timeout_goes_into_each_url() -> None:
    from common.notify.apprise_channel import with_timeouts

    assert with_timeouts("json://h/x", 2) == "json://h/x?cto=2&rto=2"
    assert with_timeouts("ntfys://ntfy.sh/farm?priority=high", 7.5) == "ntfys://ntfy.sh/farm?priority=high&cto=7.5&rto=7.5"
    assert with_timeouts("json://h/x?cto=1&rto=3", 2) == "json://h/x?cto=1&rto=3"  # the farmer's own wins
