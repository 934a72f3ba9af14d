"""Alerts that tell the truth: every transition is mailed, in order, from real mounts (tmpfs, root only)
to a real SMTP server; capacity getting worse is never "resolved"; a condition is logged once, not per run."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from nas import config as nas_config
from nas.monitor.alerts import after_check
from nas.monitor.check import run_check
from nas.state import Store
from tests.nas.conftest import unmount, v1_header, v2_header, write_plot
from tests.notify_servers import SmtpServer, smtp_plain  # noqa: F401 (fixture)

Mount = Callable[[str, int], Path]
S = 64 * 4096  # a test plot
ROOM = 2 * S + S // 2  # two plots fit on a drive, a third does not
T0 = 1_800_000_000.0
ROOT = Path(__file__).resolve().parents[3]


def mail_nas(tmp_path: Path, tmpfs: Mount, port: int, low_water: int = 0) -> nas_config.NasConfig:
    for name in ("drive1", "drive2"):
        tmpfs(name, ROOM)
    ini = tmp_path / "nas.ini"
    ini.write_text(f"[nas]\ndrive_globs = {tmp_path}/mnt/drive*\nrequire_mount = true\nreserve = 0\n"
                   f"state_dir = {tmp_path / 'state'}\n"
                   f"[alerts]\nlow_water_plots = {low_water}\nno_plot_hours = 0\n"
                   f"[email]\nhost = 127.0.0.1\nport = {port}\nsecurity = none\nfrom = nas@example.com\n"
                   f"to = me@example.com\n")
    return nas_config.load(ini)


def check(cfg: nas_config.NasConfig, minute: int) -> None:
    """One cron run at T0 + ``minute`` minutes, alerts included."""
    after_check(cfg, *run_check(cfg, T0 + 60 * minute))


def subjects(server: SmtpServer, count: int) -> list[str]:
    mails = server.box.wait(count)
    assert len(mails) == count, [m["Subject"] for m in mails]
    return [m["Subject"].split("] ", 1)[1] for m in mails]


def test_missing_and_back_twice_each_mailed_in_order(tmp_path: Path, tmpfs: Mount,
                                                     smtp_plain: SmtpServer) -> None:  # noqa: F811
    cfg = mail_nas(tmp_path, tmpfs, smtp_plain.port)
    drive2 = tmp_path / "mnt" / "drive2"
    write_plot(drive2, S)
    check(cfg, 0)
    for minute in (1, 3):  # within minutes, far inside [notify] repeat (24 h)
        unmount(drive2)
        check(cfg, minute)
        tmpfs("drive2", ROOM)
        write_plot(drive2, S)
        check(cfg, minute + 1)
    assert subjects(smtp_plain, 4) == ["Drive drive2 is missing (" + str(drive2) + " is not mounted)",
                                       "Drive drive2 is back (1 plots)"] * 2


def test_full_refilled_changes_and_all_full_tell_the_truth(tmp_path: Path, tmpfs: Mount,
                                                           smtp_plain: SmtpServer) -> None:  # noqa: F811
    cfg = mail_nas(tmp_path, tmpfs, smtp_plain.port, low_water=2)
    drive1, drive2 = (tmp_path / "mnt" / n for n in ("drive1", "drive2"))
    write_plot(drive1, S)
    check(cfg, 0)
    write_plot(drive1, S)
    check(cfg, 1)
    assert subjects(smtp_plain, 3) == ["Receive drive changed from drive1 to drive2", "Drive drive1 is full (2 plots)",
                                       "Room for only 2 more plots (alert at 2)"]
    write_plot(drive2, S)
    check(cfg, 2)  # worse, still low: already told
    with Store(cfg.nas.state_dir) as store:
        store.set_offline(drive2, True)
    check(cfg, 3)
    with Store(cfg.nas.state_dir) as store:
        store.set_offline(drive2, False)
    check(cfg, 4)
    extra = write_plot(drive2, S)
    check(cfg, 5)
    extra.unlink()  # someone deletes a plot: unexplained, and the drive has room again
    check(cfg, 6)
    write_plot(drive2, S)
    check(cfg, 7)
    none_left = "No drive can receive plots (1 full, 1 offline): no plot can be received"
    all_full = "All 2 drives are full: no plot can be received"
    assert subjects(smtp_plain, 13)[3:] == [
        none_left,
        "Receive drive changed from none to drive2", f"Resolved: {none_left}",
        "Drive drive2 is full (2 plots)", all_full,
        "Receive drive changed from none to drive2", "Drive drive2: plots dropped from 2 to 1",
        f"Resolved: {all_full}",
        "Drive drive2 is full (2 plots)", all_full,
    ]  # and never "Resolved: Room for only ..." while capacity only got worse


def test_a_lasting_condition_is_logged_once(tmp_path: Path) -> None:
    """cron mails whatever ``check -q`` prints: a drive missing for hours is printed by the first run only."""
    (tmp_path / "d1").mkdir()
    ini = tmp_path / "nas.ini"
    ini.write_text(f"[nas]\ndrive_globs = {tmp_path}/d*\nrequire_mount = false\nstate_dir = {tmp_path}/state\n"
                   f"[drive {tmp_path}/d2]\n[alerts]\nlow_water_plots = 0\nno_plot_hours = 0\n")
    runs = [subprocess.run([sys.executable, "-m", "nas", "-q", "--config", str(ini), "check"], cwd=ROOT,
                           capture_output=True, text=True, timeout=120) for _ in range(3)]
    assert [r.returncode for r in runs] == [0, 0, 0]
    assert "Drive d2 is missing" in runs[0].stderr
    assert [r.stderr + r.stdout for r in runs[1:]] == ["", ""]


def test_replotting_nas_is_not_all_full_until_nothing_matches(tmp_path: Path, tmpfs: Mount) -> None:
    for name in ("drive1", "drive2"):
        tmpfs(name, ROOM)
    ini = tmp_path / "nas.ini"
    ini.write_text(f"[nas]\ndrive_globs = {tmp_path}/mnt/drive*\nrequire_mount = true\nreserve = 0\n"
                   f"state_dir = {tmp_path / 'state'}\n[alerts]\nlow_water_plots = 1\nno_plot_hours = 0\n"
                   "[replace]\nenabled = true\nmatch = v1\n")
    cfg = nas_config.load(ini)
    old = [write_plot(tmp_path / "mnt" / "drive1", S, header=v1_header()) for _ in range(2)]
    for _ in range(2):
        write_plot(tmp_path / "mnt" / "drive2", S, header=v2_header())
    state, events = run_check(cfg, T0)
    assert state.replaceable == 2 and events == []  # full, but receiving goes on by replacing old plots
    old[0].unlink()
    write_plot(tmp_path / "mnt" / "drive1", S, header=v2_header())  # replaced: one v1 plot left
    state, events = run_check(cfg, T0 + 60)
    assert state.replaceable == 1
    assert [e.title for e in events] == ["Room for only 1 more plots, 1 of them by replacing plots (alert at 1)"]
    old[1].unlink()
    write_plot(tmp_path / "mnt" / "drive1", S, header=v2_header())
    _, events = run_check(cfg, T0 + 120)
    assert [e.title for e in events] == ["All 2 drives are full; no plot left to replace"]
