"""``drive-manager check`` as cron runs it: alerts by email from real (replayed) SMART readings,
deduplicated across runs, the metrics file, and the daily report."""

from __future__ import annotations

import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.nas.conftest import FakeSmartctl, write_plot
from tests.notify_servers import SmtpServer, part_text, smtp_plain  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[3]
PLOT = 65536
QUOTA = 5 * PLOT  # drive d1 holds five plots


def nas_ini(tmp_path: Path, smartctl: Path, port: int, limit: int) -> Path:
    ini = tmp_path / "nas.ini"
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    d1.mkdir(exist_ok=True)
    d2.mkdir(exist_ok=True)
    ini.write_text(
        f"[nas]\ndrive_globs = {tmp_path}/d*\nrequire_mount = false\nstate_dir = {tmp_path}/state\nreserve = 0\n"
        f"[drive {d1}]\ndevice = /dev/sdau\nsmart_type = ata\nquota = {QUOTA}\n"
        f"[drive {d2}]\ndevice = /dev/sdc\nsmart_type = scsi\nquota = {2 * QUOTA}\n"
        f"[smart]\nsmartctl = {smartctl}\n"
        f"[alerts]\ntemperature_limit = {limit}\nlow_water_plots = 0\nno_plot_hours = 0\n"
        f"[email]\nhost = 127.0.0.1\nport = {port}\nsecurity = none\nfrom = nas@example.com\nto = me@example.com\n"
        f"[metrics]\ntextfile = {tmp_path}/metrics/chia.prom\n"
    )
    return ini


def drive_manager(ini: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "nas", "--config", str(ini), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def bodies(mail: EmailMessage) -> tuple[str, str]:
    return part_text(mail, "plain"), part_text(mail, "html")


@pytest.mark.slow
def test_check_alerts_dedupes_resolves_and_rotates(tmp_path: Path, fake_smartctl: FakeSmartctl,
                                                   smtp_plain: SmtpServer) -> None:  # noqa: F811
    box = smtp_plain.box
    ini = nas_ini(tmp_path, fake_smartctl.path, smtp_plain.port, limit=35)  # the ATA disk reads 38 °C
    for _ in range(3):
        write_plot(tmp_path / "d1", PLOT)
    for _ in range(3):  # cron, a minute apart: one alert
        drive_manager(ini, "check")
    (hot,) = box.wait(1)
    assert hot["Subject"] == f"[{_host()}] Drive d1 is at 38 °C (limit 35 °C)"
    text, html = bodies(hot)
    assert "00008AXB" in text and "00008AXB" in html  # the disk's serial from smartctl

    nas_ini(tmp_path, fake_smartctl.path, smtp_plain.port, limit=40)
    drive_manager(ini, "check")
    resolved = box.wait(2)[1]
    assert resolved["Subject"] == f"[{_host()}] Resolved: Drive d1 is at 38 °C (limit 35 °C)"

    for _ in range(2):  # d1 is now full: the receive drive moves to d2
        write_plot(tmp_path / "d1", PLOT)
    drive_manager(ini, "check")
    drive_manager(ini, "check")
    mails = box.wait(4)
    assert len(mails) == 4
    subjects = sorted(m["Subject"] for m in mails[2:])
    assert subjects == [f"[{_host()}] Drive d1 is full (5 plots)",
                        f"[{_host()}] Receive drive changed from d1 to d2"]
    changed = next(m for m in mails if "changed" in m["Subject"])
    text, html = bodies(changed)
    for body in (text, html):
        assert "5" in body and str(tmp_path / "d1") in body  # previous drive and its plots
        assert str(tmp_path / "d2") in body and "/dev/sdc" in body  # new drive by mount point and device
        assert "8DG3J2ZD" in body and "32 °C" in body and "PASS" in body  # serial, temperature, SMART
        assert "655.4 kB" in body  # its size
    assert "Plots it can take: 10" in text and "Plots until full:                10" in text

    metrics = {(s.name, s.labels.get("drive")): s.value for fam in text_string_to_metric_families(
        (tmp_path / "metrics" / "chia.prom").read_text()) for s in fam.samples}
    assert metrics[("chia_nas_drive_plots", "d1")] == 5 and metrics[("chia_nas_drive_plots", "d2")] == 0
    assert metrics[("chia_nas_drive_free_bytes", "d1")] == 0
    assert metrics[("chia_nas_drive_free_bytes", "d2")] == 2 * QUOTA
    assert metrics[("chia_nas_drive_temperature_celsius", "d1")] == 38
    assert metrics[("chia_nas_drive_receiving", "d2")] == 1 and metrics[("chia_nas_drive_receiving", "d1")] == 0
    assert metrics[("chia_nas_plots", None)] == 5 and metrics[("chia_nas_plots_until_full", None)] == 10


def test_daily_report_print_and_send(tmp_path: Path, fake_smartctl: FakeSmartctl,
                                     smtp_plain: SmtpServer) -> None:  # noqa: F811
    ini = nas_ini(tmp_path, fake_smartctl.path, smtp_plain.port, limit=50)
    for _ in range(2):
        write_plot(tmp_path / "d1", PLOT)
    drive_manager(ini, "check")
    printed = drive_manager(ini, "report", "daily", "--print").stdout
    assert "Current receive drive" in printed and "00008AXB" in printed and "OOS12000G" in printed
    assert "Plots until full:                13" in printed  # 3 on d1 + 10 on d2
    assert "Maximum plots with these drives: 15" in printed
    assert box_empty(smtp_plain)
    sent = drive_manager(ini, "report", "daily", "--send")
    assert sent.stdout == ""
    (mail,) = smtp_plain.box.wait(1)
    assert mail["Subject"].startswith(f"[{_host()}] Daily report ")
    text, html = bodies(mail)
    assert "8DG3J2ZD" in html and "00008AXB" in html and "Days to full" in html
    assert text.splitlines()[4:] == printed.splitlines()[4:]  # same report (the time line may differ)


def box_empty(server: SmtpServer) -> bool:
    return server.box.messages == []


def _host() -> str:
    import socket

    return socket.gethostname()
