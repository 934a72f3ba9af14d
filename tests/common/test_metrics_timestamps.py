"""The last-run metrics are the time the last ``check`` / ``send`` run ended, read from the state
dir, in the text file and over HTTP alike: a scrape's own time would make a stopped cron job look
alive forever."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import make_nas, make_plotter, popen_cli, run_cli
from tests.plotter.monitor.test_metrics_serve import _scrape
from tests.sshd import free_port


def value(text: str, name: str) -> float:
    return next(s.value for fam in text_string_to_metric_families(text) for s in fam.samples if s.name == name)


def served_twice(role: str, ini: Path, name: str) -> tuple[float, float]:
    port = free_port()
    server = popen_cli(role, "--config", str(ini), "metrics", "serve", "--port", str(port))
    try:
        first = value(_scrape(port), name)
        second = value(_scrape(port), name)
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
    return first, second


def test_nas_last_check_is_when_check_ended(tmp_path: Path) -> None:
    nas = make_nas(tmp_path / "nas", drives=1,
                   extra_nas=f"[metrics]\nbind = 127.0.0.1\ntextfile = {tmp_path}/prom/nas.prom\n")
    before = time.time()
    assert run_cli("nas", "--config", str(nas.ini), "check").returncode == 0
    after = time.time()
    name = "chia_nas_last_check_timestamp_seconds"
    in_file = value((tmp_path / "prom" / "nas.prom").read_text(), name)
    first, second = served_twice("nas", nas.ini, name)
    assert before <= first <= after and first == second  # not the scrape's time
    assert before <= in_file <= after


def test_plotter_last_run_is_when_send_ended(tmp_path: Path) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None,
                           extra_plotter=f"\n[metrics]\nbind = 127.0.0.1\ntextfile = {tmp_path}/prom/p.prom\n")
    before = time.time()
    assert run_cli("plotter", "--config", str(plotter.ini), "send", "--once").returncode == 0
    after = time.time()
    name = "chia_plotter_last_run_timestamp_seconds"
    in_file = value((tmp_path / "prom" / "p.prom").read_text(), name)
    first, second = served_twice("plotter", plotter.ini, name)
    assert before <= first <= after and first == second
    assert before <= in_file <= after
