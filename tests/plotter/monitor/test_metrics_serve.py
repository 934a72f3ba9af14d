"""`plot-manager metrics serve` over HTTP, after a real transfer."""

from __future__ import annotations

import signal
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import make_nas, make_plotter, popen_cli, run_cli
from tests.sshd import free_port

CopyPlots = Callable[..., list[Path]]


def _scrape(port: int) -> str:
    for _ in range(200):  # bounded: the server needs a moment to bind
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
                text: str = resp.read().decode()
                return text
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing answered on port {port}")


@pytest.mark.slow
def test_metrics_serve_reports_the_transfers(tmp_path: Path, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    plotter.ini.write_text(plotter.ini.read_text() + "\n[metrics]\nbind = 127.0.0.1\n")
    (source,) = copy_plots(plotter.dst, 1)
    size = source.stat().st_size
    assert run_cli("plotter", "--config", str(plotter.ini), "send", "--once").returncode == 0
    port = free_port()
    server = popen_cli("plotter", "--config", str(plotter.ini), "metrics", "serve", "--port", str(port))
    try:
        text = _scrape(port)
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for fam in text_string_to_metric_families(text) for s in fam.samples}
    assert samples[("chia_plotter_transfers_total", (("result", "ok"),))] == 1
    assert samples[("chia_plotter_transfer_bytes_total", (("result", "ok"),))] == size
    assert samples[("chia_plotter_plots_waiting", ())] == 0
    assert server.returncode == 0
