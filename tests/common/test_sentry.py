"""Unhandled errors reach Sentry (sentry-sdk posting to a local DSN) with role and host tags;
expected errors do not."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.notify_servers import HttpCapture, Request

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
from pathlib import Path
from common.cli import run_main
from common.errors import ConfigError
from common.sentry import start
from nas import config

cfg = config.load(Path(sys.argv[1]))
start(cfg.alerting.sentry, "nas")

def body():
    if sys.argv[2] == "expected":
        raise ConfigError("a user error, not a bug")
    raise RuntimeError("boom from the sentry test")

sys.exit(run_main("drive-manager", body))
"""


def events(requests: list[Request]) -> list[dict[str, Any]]:
    found = []
    for request in requests:
        lines = request.body.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                found.append(json.loads(payload))
    return found


def run(tmp_path: Path, port: int, mode: str) -> subprocess.CompletedProcess[str]:
    ini = tmp_path / "nas.ini"
    ini.write_text(f"[nas]\ndrive_globs = /x\n[sentry]\ndsn = http://publickey@127.0.0.1:{port}/42\n")
    ini.chmod(0o600)
    return subprocess.run([sys.executable, "-c", SCRIPT, str(ini), mode], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


def test_unhandled_error_reaches_sentry_with_tags(tmp_path: Path, http_capture: HttpCapture) -> None:
    done = run(tmp_path, http_capture.port, "crash")
    assert done.returncode == 1 and "RuntimeError: boom from the sentry test" in done.stderr
    request = http_capture.wait(lambda r: r.path == "/api/42/envelope/")[0]
    assert "sentry_key=publickey" in request.headers["X-Sentry-Auth"]
    (event,) = events(http_capture.requests)  # once, though both run_main and sys.excepthook saw it
    assert event["tags"]["role"] == "nas"
    assert event["tags"]["host"] == socket.gethostname()
    (exc,) = event["exception"]["values"]
    assert exc["type"] == "RuntimeError" and exc["value"] == "boom from the sentry test"


def test_expected_errors_stay_local(tmp_path: Path, http_capture: HttpCapture) -> None:
    done = run(tmp_path, http_capture.port, "expected")
    assert done.returncode == 3 and done.stderr.strip() == "drive-manager: error: a user error, not a bug"
    assert events(http_capture.requests) == []
