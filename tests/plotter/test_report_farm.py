"""``plot-manager report farm``: ``drive-manager status --json`` of every NAS over the real sshd,
one NAS down, one report."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

from tests.helpers import make_nas, run_cli
from tests.nas.conftest import write_plot
from tests.notify_servers import SmtpServer, dead_port, part_text
from tests.sshd import LocalSshd

PLOT = 65536


def test_farm_report_over_ssh(tmp_path: Path, sshd: LocalSshd, smtp_plain: SmtpServer) -> None:
    nas = make_nas(tmp_path / "nas", drives=2,
                   drive_sections="".join(f"[drive {d}]\nquota = {8 * PLOT}\n" for d in
                                          [tmp_path / "nas" / "drives" / f"drive{i}" for i in (1, 2)]))
    for _ in range(3):
        write_plot(nas.drives[0], PLOT)
    ssh = (f"host = 127.0.0.1\nport = {sshd.port}\nuser = {sshd.user}\nidentity_file = {sshd.client_key}\n"
           f"known_hosts = {sshd.known_hosts}\nconnect_timeout = 10\n")
    ini = tmp_path / "plotter.ini"
    ini.write_text(
        f"[plotter]\nplot_dirs = {tmp_path}/dst\nstate_dir = {tmp_path}/state\n"
        f"[nas nas01]\n{ssh}command = {nas.command}\n"
        f"[nas nas02]\n{ssh.replace(str(sshd.port), str(dead_port()))}command = drive-manager\n"
        f"[email]\nhost = 127.0.0.1\nport = {smtp_plain.port}\nsecurity = none\nfrom = p@example.com\n"
        "to = me@example.com\n"
    )
    printed = run_cli("plotter", "--config", str(ini), "report", "farm", "--print")
    assert printed.returncode == 0, printed.stderr
    out = printed.stdout
    assert "1 of 2 NAS reached" in out
    nas01 = next(line for line in out.splitlines() if line.startswith("nas01 "))
    assert nas01.split()[1:4] == ["2", "3", "0.00"]  # drives, plots, TiB
    assert nas01.split()[4] == "13"  # until full: 5 more on drive1, 8 on drive2
    assert "nas02" in out and "unreachable: [nas nas02]: cannot reach 127.0.0.1" in out
    assert f"nas01 ({socket.gethostname()})" in out and "drive1" in out and "drive2" in out

    sent = run_cli("plotter", "--config", str(ini), "report", "farm", "--send")
    assert sent.returncode == 0, sent.stderr
    (mail,) = smtp_plain.box.wait(1)
    assert mail["Subject"].startswith(f"[{socket.gethostname()}] Farm report ")
    html = part_text(mail, "html")
    assert "unreachable: [nas nas02]" in html and str(nas.drives[1]) in html


def test_a_failing_nas_command_is_reported_with_its_stderr(tmp_path: Path, sshd: LocalSshd) -> None:
    ini = tmp_path / "plotter.ini"
    ini.write_text(
        f"[plotter]\nplot_dirs = {tmp_path}/dst\nstate_dir = {tmp_path}/state\n"
        f"[nas broken]\nhost = 127.0.0.1\nport = {sshd.port}\nuser = {sshd.user}\n"
        f"identity_file = {sshd.client_key}\nknown_hosts = {sshd.known_hosts}\nconnect_timeout = 10\n"
        f"command = {sys.executable} -m no_such_module\n"
    )
    printed = run_cli("plotter", "--config", str(ini), "report", "farm", "--print")
    assert "0 of 1 NAS reached" in printed.stdout, printed.stderr
    assert "[nas broken]: status --json failed: " in printed.stdout
    assert "No module named no_such_module" in printed.stdout
