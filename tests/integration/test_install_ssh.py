"""``drive-manager install ssh``: the authorized_keys line and wrapper it writes, used by a real
sshd, let the plotter's key run exactly ``receive`` and ``status --json``."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers import NasSetup, make_nas, make_plotter, run_cli
from tests.sshd import LocalSshd, sshd_available, start_sshd


@pytest.fixture
def wrapped(tmp_path: Path) -> Iterator[tuple[LocalSshd, NasSetup, Path]]:
    """A private sshd whose only key carries the line ``install ssh`` wrote."""
    if not sshd_available():
        pytest.skip("sshd not installed")
    server = start_sshd(tmp_path / "sshd")
    try:
        nas = make_nas(tmp_path / "nas", drives=1)
        out = tmp_path / "ssh-files"
        made = run_cli("nas", "install", "ssh", "--config", str(nas.ini), "--write", str(out),
                       "--key", str(server.client_key) + ".pub")
        assert made.returncode == 0, made.stderr
        (server.root / "authorized_keys").write_text((out / "authorized_keys").read_text())
        yield server, nas, out
    finally:
        server.stop()


def test_the_line_names_the_wrapper_and_the_key(wrapped: tuple[LocalSshd, NasSetup, Path]) -> None:
    server, nas, out = wrapped
    line = (out / "authorized_keys").read_text()
    key = (Path(str(server.client_key) + ".pub")).read_text().strip()
    assert line == f'command="{out / "plotyard-ssh"}",restrict {key}\n'
    wrapper = (out / "plotyard-ssh").read_text()
    assert f"--config {nas.ini} receive" in wrapper and (out / "plotyard-ssh").stat().st_mode & 0o777 == 0o755


@pytest.mark.slow
def test_send_and_farm_report_work_through_the_wrapper(tmp_path: Path, wrapped: tuple[LocalSshd, NasSetup, Path],
                                                        copy_plots: Callable[..., list[Path]]) -> None:
    server, nas, _ = wrapped
    plotter = make_plotter(tmp_path / "plotter", nas, server)
    (plot,) = copy_plots(plotter.dst, 1)

    sent = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")
    assert sent.returncode == 0, sent.stderr
    assert [p.name for p in nas.plots()] == [plot.name] and not plot.exists()

    report = run_cli("plotter", "--config", str(plotter.ini), "report", "farm", "--print")
    assert report.returncode == 0, report.stderr
    assert "1 of 1 NAS reached" in report.stdout
    row = next(line for line in report.stdout.splitlines() if line.startswith("nas01 "))
    assert row.split()[1:3] == ["1", "1"]  # one drive, one plot: the status was really read


@pytest.mark.parametrize("command", ["id", "drive-manager --config /etc/plotyard/nas.ini check",
                                     "sh -c 'touch /tmp/owned' receive; true", "status"])
@pytest.mark.slow
def test_anything_else_is_refused(tmp_path: Path, wrapped: tuple[LocalSshd, NasSetup, Path], command: str) -> None:
    server, _, _ = wrapped
    result = subprocess.run([*server.ssh_argv(), "127.0.0.1", command], capture_output=True, text=True,
                            timeout=30, stdin=subprocess.DEVNULL)
    assert result.returncode == 1
    assert "may run only 'receive' and 'status --json'" in result.stderr
    assert result.stdout == ""
