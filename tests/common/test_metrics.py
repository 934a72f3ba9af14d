"""The metrics text file parses with prometheus_client's parser and its numbers match; serve exposes the same."""

from __future__ import annotations

import os
import threading
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from common.metrics import counter, gauge, render, serve, write_textfile
from nas.monitor.metrics import families as nas_families
from tests.nas.status_data import PLOT, STATUS
from tests.sshd import free_port

ROOT = Path(__file__).resolve().parents[2]


def parse(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples}


def test_render_escapes_and_counters() -> None:
    text = render([
        gauge("g", 'help with \\ and\nnewline', [({"dir": 'a"b\\c\nd'}, 1.5), ({"dir": "x"}, None)]),
        counter("c", "a counter", [({"result": "ok"}, 3)]),
        gauge("nan", "unknown", [({}, float("nan"))]),
    ])
    values = parse(text)
    assert values[("g", (("dir", 'a"b\\c\nd'),))] == 1.5
    assert ("g", (("dir", "x"),)) not in values  # unknown values are left out
    assert values[("c_total", (("result", "ok"),))] == 3
    assert "# TYPE c_total counter" in text


def test_nas_textfile_matches_the_drives(tmp_path: Path) -> None:
    path = tmp_path / "prom" / "chia.prom"
    write_textfile(path, nas_families(STATUS, 1_700_000_000.0))
    assert oct(os.stat(path).st_mode & 0o777) == "0o644"
    assert [p.name for p in path.parent.iterdir()] == ["chia.prom"]  # no temp file left behind
    values = parse(path.read_text())
    d2 = (("device", "/dev/sdc"), ("drive", "drive2"), ("mountpoint", "/mnt/e1/drive2"))
    assert values[("chia_nas_drive_free_bytes", d2)] == 9_000_000_000_000
    assert values[("chia_nas_drive_total_bytes", d2)] == 18_000_000_000_000
    assert values[("chia_nas_drive_plots", d2)] == 80
    assert values[("chia_nas_drive_plots_free", d2)] == 9_000_000_000_000 // PLOT
    assert values[("chia_nas_drive_temperature_celsius", d2)] == 41
    assert values[("chia_nas_drive_smart_health", d2)] == 1
    assert values[("chia_nas_drive_receiving", d2)] == 1
    assert values[("chia_nas_drive_state", (*d2[:2], d2[2], ("state", "active")))] == 1
    assert values[("chia_nas_drive_state", (*d2[:2], d2[2], ("state", "full")))] == 0
    assert values[("chia_nas_plots", ())] == 243
    assert values[("chia_nas_drives", ())] == 2
    assert values[("chia_nas_plots_received_24h", ())] == 30
    assert values[("chia_nas_plots_until_full", ())] == 9_000_000_000_000 // PLOT
    assert abs(values[("chia_nas_days_to_full", ())] - (9_000_000_000_000 // PLOT) / 30) < 1e-9
    assert values[("chia_nas_last_check_timestamp_seconds", ())] == 1_700_000_000.0
    assert values[("chia_nas_drive_plot_files", d2)] == 80  # a NAS that does not say: as many as plots


def test_nas_metrics_count_group_plots_and_files_apart() -> None:
    drives = [{**STATUS["drives"][1], "plots": 128 * 3 + 2, "plot_files": 5}]
    values = parse(render(nas_families({**STATUS, "drives": drives, "totals": {}}, None)))
    d2 = (("device", "/dev/sdc"), ("drive", "drive2"), ("mountpoint", "/mnt/e1/drive2"))
    assert values[("chia_nas_drive_plots", d2)] == 386 and values[("chia_nas_drive_plot_files", d2)] == 5
    assert values[("chia_nas_plots", ())] == 386


def test_serve_exposes_the_same(tmp_path: Path) -> None:
    port = free_port()
    stop = threading.Event()
    thread = threading.Thread(target=serve,
                              args=("127.0.0.1", port, lambda: nas_families(STATUS, 1_700_000_000.0), stop))
    thread.start()
    try:
        body = b""
        for _ in range(100):  # bounded: the server thread needs a moment to bind
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
                    body = resp.read()
                break
            except OSError:
                stop.wait(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
    served = {k: v for k, v in parse(body.decode()).items() if k[0].startswith("chia_")}
    from_file = {k: v for k, v in parse(render(nas_families(STATUS, 1_700_000_000.0))).items()
                 if k[0] != "chia_nas_last_check_timestamp_seconds"}
    assert from_file.items() <= served.items()
    assert not thread.is_alive()


def test_grafana_dashboard_uses_only_metrics_we_export(tmp_path: Path) -> None:
    import json
    import re

    from plotter import config as plotter_config
    from plotter.monitor.metrics import dir_usage
    from plotter.monitor.metrics import families as plotter_families
    from plotter.send.history import History

    ini = tmp_path / "plotter.ini"
    ini.write_text(f"[plotter]\nplot_dirs = {tmp_path}\nstate_dir = {tmp_path}/state\n[nas n]\ntransport = local\n")
    cfg = plotter_config.load(ini)
    history = History(cfg.plotter.state_dir)
    try:
        exported = nas_families(STATUS, 1_700_000_000.0) + plotter_families(cfg, history, dir_usage([tmp_path]))
        ours = {f.sample_name for f in exported}
    finally:
        history.close()
    dashboard = json.loads((ROOT / "grafana" / "plotyard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    used = {name for e in exprs for name in re.findall(r"\bchia_[a-z0-9_]+", e)}
    assert used and used <= ours, used - ours
    assert {"chia_nas_drive_temperature_celsius", "chia_plotter_transfers_total"} <= used
