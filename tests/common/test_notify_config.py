"""[notify] [email] [twilio] [pushbullet] [sentry] [metrics]: parsing, routing, secret file modes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from common.config import read_ini
from common.errors import ConfigError, InsecureConfigError
from common.notify.config import NAS_KINDS, PLOTTER_KINDS, Alerting, load_alerting
from nas import config as nas_config
from plotter import config as plotter_config

ROOT = Path(__file__).resolve().parents[2]
EMAIL = "[email]\nhost = smtp.example.com\nfrom = a@example.com\nto = b@example.com, c@example.com\n"


def load(tmp_path: Path, text: str, mode: int = 0o600, kinds: tuple[str, ...] = NAS_KINDS) -> Alerting:
    path = tmp_path / "x.ini"
    path.write_text(text)
    path.chmod(mode)
    return load_alerting(path, read_ini(path), kinds)


def test_defaults_and_routes(tmp_path: Path) -> None:
    empty = load(tmp_path, "")
    assert empty.notify.configured == () and empty.notify.channels_for("temperature") == ()
    assert empty.sentry.dsn is None and empty.metrics.textfile is None
    cfg = load(tmp_path, EMAIL + "[pushbullet]\napi_key = k\n[notify]\nrepeat = 12h\ntemperature = pushbullet\n")
    n = cfg.notify
    assert n.repeat == 43200 and n.configured == ("email", "pushbullet")
    assert n.channels_for("temperature") == ("pushbullet",)
    assert n.channels_for("drive_full") == ("email", "pushbullet")  # default: every configured channel
    assert n.email is not None and n.email.port == 587 and n.email.security == "starttls"
    assert n.email.to == ("b@example.com", "c@example.com")
    assert n.pushbullet is not None and n.pushbullet.api_url == "https://api.pushbullet.com"


def test_plot_sent_is_opt_in(tmp_path: Path) -> None:
    cfg = load(tmp_path, EMAIL, kinds=PLOTTER_KINDS).notify
    assert cfg.channels_for("plot_sent") == () and cfg.channels_for("dir_critical") == ("email",)
    cfg = load(tmp_path, EMAIL + "[notify]\nplot_sent = email\ndefault = none\n", kinds=PLOTTER_KINDS).notify
    assert cfg.channels_for("plot_sent") == ("email",) and cfg.channels_for("dir_critical") == ()


@pytest.mark.parametrize(("text", "message"), [
    ("[notify]\ntemperature = sms\n", "[notify] temperature: routes to sms but there is no [twilio] section"),
    (EMAIL + "[notify]\ntemperature = fax\n", "'fax' is not a channel"),
    (EMAIL + "[notify]\ntemprature = email\n", "[notify] temprature: unknown key"),
    (EMAIL + "[notify]\ntransfer_failing = email\n", "[notify] transfer_failing: unknown key"),  # plotter kind
    (EMAIL.replace("from = a@example.com\n", ""), "[email] from: missing"),
    (EMAIL + "security = tls\n", "[email] security: 'tls' is not one of"),
    ("[pushbullet]\napi_key = k\napi_url = ftp://x\n", "[pushbullet] api_url: not an http(s) URL"),
    ("[sentry]\ndsn = not-a-dsn\n", "[sentry] dsn: not a Sentry DSN"),
    ("[metrics]\ntextfile = /tmp/x.txt\n", "[metrics] textfile: must end in .prom"),
])
def test_errors_name_section_and_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load(tmp_path, text)
    assert message in str(err.value)


@pytest.mark.parametrize("secret", ["[email]\nhost = h\nfrom = a@b\nto = c@d\nusername = u\npassword = p\n",
                                    "[twilio]\naccount_sid = AC1\nauth_token = t\nfrom = +1\nto = +2\n",
                                    "[pushbullet]\napi_key = k\n", "[sentry]\ndsn = https://k@sentry.example/1\n"])
def test_secret_readable_by_others_is_refused(tmp_path: Path, secret: str) -> None:
    with pytest.raises(InsecureConfigError, match=r"readable by group/others \(mode 0644\).*chmod 600"):
        load(tmp_path, secret, 0o644)
    with pytest.raises(InsecureConfigError):
        load(tmp_path, secret, 0o640)
    load(tmp_path, secret, 0o600)


def test_no_secret_any_mode(tmp_path: Path) -> None:
    load(tmp_path, EMAIL + "[metrics]\ntextfile = /tmp/m.prom\n", 0o644)


def test_cli_refuses_with_its_own_exit_code(tmp_path: Path) -> None:
    ini = tmp_path / "nas.ini"
    ini.write_text(f"[nas]\ndrive_globs = {tmp_path}/d*\nstate_dir = {tmp_path}/s\n[pushbullet]\napi_key = k\n")
    ini.chmod(0o644)
    done = subprocess.run([sys.executable, "-m", "nas", "--config", str(ini), "receive"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == InsecureConfigError.exit_code == 7
    assert done.stderr.strip().splitlines() == [
        f"drive-manager: error: {ini}: holds [pushbullet] api_key but is readable by group/others (mode 0644); "
        f"run: chmod 600 {ini} (owned by the user the service runs as)"]


def test_both_roles_carry_alerting(tmp_path: Path) -> None:
    nas_ini = tmp_path / "nas.ini"
    nas_ini.write_text(f"[nas]\ndrive_globs = /x\n{EMAIL}[notify]\ndaily_report = email\n[alerts]\n"
                       "low_water_plots = 5\n")
    assert nas_config.load(nas_ini).alerting.notify.channels_for("daily_report") == ("email",)
    plotter_ini = tmp_path / "plotter.ini"
    plotter_ini.write_text("[plotter]\nplot_dirs = /x\n[nas n1]\ntransport = local\n[alerts]\n"
                           f"dir_critical_percent = 90\nfailed_transfers = 5\n{EMAIL}")
    cfg = plotter_config.load(plotter_ini)
    assert cfg.alerts.dir_critical_percent == 90 and cfg.alerts.failed_transfers == 5
    assert cfg.alerting.notify.channels_for("nas_unreachable") == ("email",)


def test_generated_examples_still_load(tmp_path: Path) -> None:
    for module, name in ((nas_config, "nas.ini"), (plotter_config, "plotter.ini")):
        path = tmp_path / name
        path.write_text(module.EXAMPLE)
        assert module.load(path).alerting == Alerting()
