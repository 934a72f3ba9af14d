"""``plot-manager report farm``: ``drive-manager status --json`` of every NAS over the real sshd,
one NAS down, one report."""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from common.errors import ConnectError
from plotter.monitor.nas_status import HELLO_REASON, NotAStatus, parse_status, status_problem
from tests.helpers import make_nas, run_cli
from tests.nas.conftest import write_plot
from tests.notify_servers import SmtpServer, dead_port, part_text
from tests.sshd import LocalSshd, sshd_available, start_sshd

PLOT = 65536


@pytest.mark.slow
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
    assert nas01.split()[1:4] == ["2", "3", "0.00"]  # drives, plots, TB
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
    assert printed.returncode == ConnectError.exit_code
    assert "[nas broken]: status --json failed: " in printed.stdout
    assert "No module named no_such_module" in printed.stdout


def _ssh_lines(server: LocalSshd) -> str:
    return (f"host = 127.0.0.1\nport = {server.port}\nuser = {server.user}\nidentity_file = {server.client_key}\n"
            f"known_hosts = {server.known_hosts}\nconnect_timeout = 10\n")


@pytest.fixture
def receive_only_sshd(tmp_path: Path) -> Iterator[tuple[LocalSshd, Path]]:
    """A NAS key set up as the README's receive-only forced command, on its own sshd."""
    if not sshd_available():
        pytest.skip("sshd not installed (apt-get install openssh-server)")
    nas = make_nas(tmp_path / "nas", drives=1)
    write_plot(nas.drives[0], PLOT)
    server = start_sshd(tmp_path / "sshd-receive",
                        authorized_options=f'command="{nas.command} receive",restrict')
    yield server, nas.ini
    server.stop()


@pytest.mark.slow
def test_a_receive_only_key_is_unreachable_not_an_empty_nas(
        tmp_path: Path, receive_only_sshd: tuple[LocalSshd, Path], smtp_plain: SmtpServer) -> None:
    server, _ = receive_only_sshd
    ini = tmp_path / "plotter.ini"
    # The configured command is what the farmer would write; the key's forced command overrides it.
    ini.write_text(
        f"[plotter]\nplot_dirs = {tmp_path}/dst\nstate_dir = {tmp_path}/state\n"
        f"[nas nas01]\n{_ssh_lines(server)}command = {sys.executable} -m nas\n"
        f"[email]\nhost = 127.0.0.1\nport = {smtp_plain.port}\nsecurity = none\nfrom = p@example.com\n"
        "to = me@example.com\n"
    )
    printed = run_cli("plotter", "--config", str(ini), "report", "farm", "--print")
    assert printed.returncode == ConnectError.exit_code, printed.stderr
    out = printed.stdout
    assert "0 of 1 NAS reached" in out
    (nas01,) = [line for line in out.splitlines() if line.startswith("nas01 ")]
    assert "unreachable: [nas nas01]: " in nas01 and HELLO_REASON in nas01
    assert HELLO_REASON == "the NAS key runs only `receive`; see `drive-manager install ssh`"
    # No figures at all: neither a row of the NAS nor a farm total that reads as an empty farm.
    assert not [line for line in out.splitlines() if line.split()[:1] == ["All"]]
    assert "plot-k" not in out and "drive1" not in out
    assert "no NAS could be read" in printed.stderr and "Traceback" not in printed.stderr

    sent = run_cli("plotter", "--config", str(ini), "report", "farm", "--send")
    assert sent.returncode == ConnectError.exit_code, sent.stderr
    (mail,) = smtp_plain.box.wait(1)
    text = part_text(mail, "plain")
    assert "0 of 1 NAS reached" in text and HELLO_REASON in text
    assert HELLO_REASON in part_text(mail, "html")
    assert "no NAS could be read" in sent.stderr


@pytest.mark.slow
def test_a_nas_answering_other_json_is_unreachable_with_a_reason(tmp_path: Path, sshd: LocalSshd) -> None:
    """Two NAS commands that exit 0 with JSON that is not a status; a third, real NAS is read."""
    nas = make_nas(tmp_path / "nas", drives=1)
    write_plot(nas.drives[0], PLOT)
    fakes = {"listy": [], "wrongtype": {"host": "x", "time": 1.0, "totals": {},
                                         "drives": [{"mountpoint": "/mnt/d1", "plots": "many"}]}}
    sections = ""
    for name, answer in fakes.items():
        script = tmp_path / f"{name}.py"
        script.write_text(f"import sys\nsys.stdout.write({json.dumps(json.dumps(answer))})\n")
        sections += f"[nas {name}]\n{_ssh_lines(sshd)}command = {sys.executable} {script}\n"
    ini = tmp_path / "plotter.ini"
    ini.write_text(f"[plotter]\nplot_dirs = {tmp_path}/dst\nstate_dir = {tmp_path}/state\n{sections}"
                   f"[nas real]\n{_ssh_lines(sshd)}command = {nas.command}\n")
    printed = run_cli("plotter", "--config", str(ini), "report", "farm", "--print")
    assert printed.returncode == 0, printed.stderr  # one NAS was read
    lines = printed.stdout.splitlines()
    assert "1 of 3 NAS reached" in printed.stdout
    row = {name: next(line for line in lines if line.startswith(f"{name} ")) for name in (*fakes, "real")}
    assert "unreachable: [nas listy]: status --json printed a JSON list, not a NAS status" in row["listy"]
    assert "unreachable: [nas wrongtype]: status --json 'totals' has no valid 'drives'" in row["wrongtype"]
    assert row["real"].split()[1:3] == ["1", "1"]  # drives, plots
    (total,) = [line for line in lines if line.split()[:1] == ["All"]]
    assert total.split()[1:3] == ["1", "1"]  # only the NAS that was read counts


@pytest.fixture(scope="module")
def real_status(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What ``drive-manager status --json`` prints for a NAS with one plot."""
    nas = make_nas(tmp_path_factory.mktemp("status"), drives=2)
    write_plot(nas.drives[0], PLOT)
    done = run_cli("nas", "--config", str(nas.ini), "status", "--json")
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def test_a_real_status_is_a_status(real_status: dict[str, Any]) -> None:
    assert status_problem(real_status) is None
    assert parse_status(json.dumps(real_status).encode()) == real_status


@pytest.mark.parametrize(("change", "reason"), [
    (lambda s: {"msg": "hello", "v": 1, "host": "nas01", "version": "0.1.0"}, HELLO_REASON),
    (lambda s: {"msg": "error", "code": "protocol", "error": "boom"}, "answered by a protocol error: boom"),
    (lambda s: {"msg": "space", "free_bytes": 1}, "protocol message 'space', not a NAS status"),
    (lambda s: {}, "has no 'time'"),
    (lambda s: {**s, "drives": {}}, "has no 'drives' list"),
    (lambda s: {**s, "totals": None}, "has no 'totals'"),
    (lambda s: {**s, "totals": {**s["totals"], "plots": "3"}}, "'totals' has no valid 'plots'"),
    (lambda s: {**s, "totals": {**s["totals"], "plots_until_full": True}}, "no valid 'plots_until_full'"),
    (lambda s: {**s, "plot_size": "big"}, "no valid 'plot_size'"),
    (lambda s: {**s, "drives": [*s["drives"], 7]}, "drive 3 is not an object"),
    (lambda s: {**s, "drives": [{**s["drives"][0], "mountpoint": None}]}, "drive 1 has no 'mountpoint'"),
    (lambda s: {**s, "drives": [{**s["drives"][0], "free_bytes": 1.5}]}, "drive 1 has no valid 'free_bytes'"),
    (lambda s: {**s, "drives": [{**s["drives"][0], "smart": "ok"}]}, "drive 1 has no valid 'smart'"),
])
def test_json_that_is_not_a_status_says_why(real_status: dict[str, Any], change: Any, reason: str) -> None:
    bad = change(real_status)
    problem = status_problem(bad)
    assert problem is not None and reason in problem
    with pytest.raises(NotAStatus, match="status --json"):
        parse_status(json.dumps(bad).encode())


def test_a_chatty_receiver_is_still_recognised_by_its_first_line() -> None:
    out = b'{"msg":"hello","v":1,"host":"nas01","version":"0.1.0"}\n{"msg":"error","error":"x"}\n'
    with pytest.raises(NotAStatus, match="receiver's hello"):
        parse_status(out)
    with pytest.raises(NotAStatus, match="printed no valid JSON"):
        parse_status(b"Welcome to the NAS\n")
