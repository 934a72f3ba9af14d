"""Plotter alerts after ``send``: NAS unreachable, transfers failing, resolved when it works again,
every plot sent (opt-in), plot dir nearly full; and the metrics file."""

from __future__ import annotations

import secrets
import socket
import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from common.notify.dedupe import DedupeStore
from plotter import config as plotter_config
from plotter.config import PlotterAlerts
from plotter.monitor.alerts import after_round, evaluate
from plotter.monitor.metrics import DirUsage
from plotter.send.lanes import Env
from tests.helpers import make_nas, run_cli, v1_plot_header
from tests.notify_servers import HttpCapture, SmtpServer, dead_port, part_text

HOST = socket.gethostname()


def fake_plot(directory: Path, size: int = 3_900_000) -> Path:
    """A plot-named file with a matching v1 header and a size a k18 plot has: all the sender and
    the NAS check; it never needs farming."""
    plot_id = secrets.token_bytes(32)
    path = directory / f"plot-k18-2024-01-01-00-00-{plot_id.hex()}.plot"
    header = v1_plot_header(plot_id, 18, size)
    path.write_bytes(header + secrets.token_bytes(size - len(header)))
    return path


def plotter_ini(root: Path, nas_section: str, smtp: SmtpServer, push: HttpCapture) -> Path:
    dst = root / "dst"
    dst.mkdir(parents=True, exist_ok=True)
    ini = root / "plotter.ini"
    ini.write_text(
        f"[plotter]\nplot_dirs = {dst}\nstate_dir = {root / 'state'}\nmin_plot_age = 0\n\n{nas_section}\n"
        "[alerts]\nfailed_transfers = 2\ndir_critical_percent = 100\n"
        "[notify]\nplot_sent = pushbullet\ndefault = email\n"
        f"[email]\nhost = 127.0.0.1\nport = {smtp.port}\nsecurity = none\nfrom = p@example.com\nto = me@example.com\n"
        f"[pushbullet]\napi_key = key\napi_url = {push.url}\n"
        f"[metrics]\ntextfile = {root / 'metrics' / 'plotter.prom'}\n"
    )
    ini.chmod(0o600)
    return ini


def metrics(root: Path) -> dict[tuple[str, str], float]:
    text = (root / "metrics" / "plotter.prom").read_text()
    return {(s.name, ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples}


@pytest.mark.slow
def test_unreachable_failing_then_resolved(tmp_path: Path, smtp_plain: SmtpServer, http_capture: HttpCapture) -> None:
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("")
    down = (f"[nas nas01]\nhost = 127.0.0.1\nport = {dead_port()}\nuser = chia\nidentity_file = {known_hosts}\n"
            f"known_hosts = {known_hosts}\nconnect_timeout = 5\n")
    ini = plotter_ini(tmp_path, down, smtp_plain, http_capture)
    plot = fake_plot(tmp_path / "dst")
    plot_size = plot.stat().st_size

    # A NAS that cannot be reached: the plot waits; it was never attempted, so it is no failed transfer.
    for _ in range(2):
        run = run_cli("plotter", "--config", str(ini), "send", "--once")
        assert run.returncode == 10 and plot.exists() and "no NAS is reachable" in run.stderr
    (unreachable,) = smtp_plain.box.wait(1)
    assert unreachable["Subject"] == f"[{HOST}] NAS nas01 is unreachable"
    assert "cannot reach 127.0.0.1" in part_text(unreachable, "plain")
    m = metrics(tmp_path)
    assert m[("chia_plotter_transfers_total", "result=failed")] == 0
    assert m[("chia_plotter_transfer_bytes_total", "result=failed")] == 0
    assert m[("chia_plotter_plots_waiting", "")] == 1

    # Reachable, but every transfer fails (nothing listens on its data address): a failing streak.
    nas = make_nas(tmp_path / "nas", drives=1)
    broken = f"[nas nas01]\ntransport = local\ncommand = {nas.command}\ndata_host = 127.0.0.2\n"
    ini.write_text(ini.read_text().replace(down, broken))
    nas.ini.write_text(nas.ini.read_text() + "accept_timeout = 2\n")
    for _ in range(2):
        assert run_cli("plotter", "--config", str(ini), "send", "--once").returncode == 1
    subjects = [m["Subject"] for m in smtp_plain.box.wait(3)[1:]]
    assert sorted(subjects) == [f"[{HOST}] 2 plot transfers in a row failed",
                                f"[{HOST}] Resolved: NAS nas01 is unreachable"]
    assert metrics(tmp_path)[("chia_plotter_transfers_total", "result=failed")] == 2

    ini.write_text(ini.read_text().replace(broken, f"[nas nas01]\ntransport = local\ncommand = {nas.command}\n"))
    assert run_cli("plotter", "--config", str(ini), "send", "--once").returncode == 0
    assert not plot.exists() and len(nas.plots()) == 1
    assert smtp_plain.box.wait(4)[3]["Subject"] == f"[{HOST}] Resolved: 2 plot transfers in a row failed"
    (push,) = http_capture.wait(lambda r: r.path == "/v2/pushes")
    assert push.json()["title"] == f"[{HOST}] plot sent to nas01" and plot.name in push.json()["body"]
    m = metrics(tmp_path)
    assert m[("chia_plotter_transfers_total", "result=ok")] == 1
    assert m[("chia_plotter_transfer_bytes_total", "result=ok")] == plot_size
    assert m[("chia_plotter_target_info", f"drive={nas.drives[0]},nas=nas01")] == 1
    assert m[("chia_plotter_plots_waiting", "")] == 0

    assert run_cli("plotter", "--config", str(ini), "send", "--once").returncode == 0  # nothing new to say
    assert len(smtp_plain.box.messages) == 4 and len(http_capture.requests) == 1


def test_evaluate_is_pure_and_scoped() -> None:
    alerts = PlotterAlerts(dir_critical_percent=90, failed_transfers=3)
    failed = {"result": "failed", "plot": "p", "nas": "n1", "error": "e", "finished_at": 0.0, "bytes": 10**9,
              "mb_per_s": 0.0, "path": None}
    ok = {**failed, "result": "ok"}
    usage = [DirUsage(Path("/a"), 100, 5), DirUsage(Path("/b"), 100, 50)]
    notices, evaluated = evaluate(alerts, [failed] * 3, [], {"n2": "refused"}, usage)
    assert sorted(n.key for n in notices) == ["dir_critical:/a", "nas_unreachable:n2", "transfer_failing"]
    assert evaluated("nas_unreachable:n2") and not evaluated("nas_unreachable:n1")
    assert evaluated("transfer_failing") and evaluated("dir_critical:/b")
    notices, evaluated = evaluate(alerts, [failed, failed, ok], [ok], {}, [])
    assert [n.kind for n in notices] == ["plot_sent"]
    assert evaluated("nas_unreachable:n1")  # n1 took a plot this round: it is reachable
    assert evaluate(alerts, [failed] * 2, [], {}, [])[0] == []  # fewer than 3 so far


def test_plot_dir_critical(tmp_path: Path, smtp_plain: SmtpServer, http_capture: HttpCapture) -> None:
    ini = plotter_ini(tmp_path, "[nas n]\ntransport = local\n", smtp_plain, http_capture)
    ini.write_text(ini.read_text().replace("dir_critical_percent = 100", "dir_critical_percent = 1"))
    cfg = plotter_config.load(ini)
    for _ in range(2):
        after_round(cfg, Env(), time.time())
    (mail,) = smtp_plain.box.wait(1)
    assert mail["Subject"].startswith(f"[{HOST}] plot dir {tmp_path / 'dst'} is ")
    assert "(limit 1.0%)" in part_text(mail, "plain")
    assert set(DedupeStore(cfg.plotter.state_dir).load()) == {f"dir_critical:{tmp_path / 'dst'}"}
