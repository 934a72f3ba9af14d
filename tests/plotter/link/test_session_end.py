"""A NAS ``command`` that never says hello is named, then ended with its children: over SSH
(through a second channel, since closing one leaves its command running) and locally."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from common.errors import ConnectError
from tests.helpers import run_cli, wait_for
from tests.sshd import LocalSshd

CopyPlots = Callable[..., list[Path]]


def script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "hang"
    path.write_text(f"#!/bin/sh\n{body}")
    path.chmod(0o755)
    return path


def plotter_ini(tmp_path: Path, nas: str) -> Path:
    (tmp_path / "dst").mkdir()
    ini = tmp_path / "plotter.ini"
    ini.write_text(f"[plotter]\nplot_dirs = {tmp_path}/dst\nstate_dir = {tmp_path}/state\nmin_plot_age = 0\n"
                   f"[nas nas01]\n{nas}connect_timeout = 2\n")
    return ini


def ssh_nas(sshd: LocalSshd, command: Path) -> str:
    return (f"host = 127.0.0.1\nport = {sshd.port}\nuser = {sshd.user}\nidentity_file = {sshd.client_key}\n"
            f"known_hosts = {sshd.known_hosts}\ncommand = {command}\n")


def running(tag: str) -> list[str]:
    return subprocess.run(["pgrep", "-f", tag], capture_output=True, text=True, timeout=10).stdout.split()


def send_fails_naming_the_nas(ini: Path, command: Path, copy_plots: CopyPlots) -> str:
    (source,) = copy_plots(ini.parent / "dst", 1)
    result = run_cli("plotter", "--config", str(ini), "send", "--once", timeout=120)
    assert result.returncode == ConnectError.exit_code, result.stderr  # kept, waiting for a NAS
    assert f"[nas nas01]: `{command} receive` sent no hello within 2 s: is `command` right" in result.stderr
    assert f"[nas nas01]: `{command}` is still running (process group " in result.stderr
    assert source.exists()
    return result.stderr


@pytest.mark.slow
def test_over_ssh_a_hung_command_and_its_children_get_sigterm(tmp_path: Path, sshd: LocalSshd,
                                                             copy_plots: CopyPlots) -> None:
    got = tmp_path / "got"
    hang = script(tmp_path, f"trap 'echo TERM > {got}; exit 143' TERM\nsleep 6174 &\nwait\n")
    send_fails_naming_the_nas(plotter_ini(tmp_path, ssh_nas(sshd, hang)), hang, copy_plots)
    # asked to end first, and it could clean up (its trap may finish just after the login shell)
    wait_for(lambda: got.exists() and got.read_text() == "TERM\n", 10, "the command's TERM trap")
    wait_for(lambda: not running("sleep 6174"), 10, "the command's child to end with it")


@pytest.mark.slow
def test_over_ssh_a_command_deaf_to_sigterm_is_killed(tmp_path: Path, sshd: LocalSshd,
                                                     copy_plots: CopyPlots) -> None:
    hang = script(tmp_path, "trap '' TERM\nsleep 6175\n")  # the child inherits the ignored TERM
    send_fails_naming_the_nas(plotter_ini(tmp_path, ssh_nas(sshd, hang)), hang, copy_plots)
    wait_for(lambda: not running("sleep 6175"), 10, "the command and its child to be killed")


@pytest.mark.slow
def test_locally_a_hung_command_and_its_children_are_ended(tmp_path: Path, copy_plots: CopyPlots) -> None:
    hang = script(tmp_path, "sleep 6173\n")  # a child, not exec: ending the shell alone would leave it
    send_fails_naming_the_nas(plotter_ini(tmp_path, f"transport = local\ncommand = {hang}\n"), hang, copy_plots)
    wait_for(lambda: not running("sleep 6173"), 10, "the command's child to end with it")


@pytest.mark.slow
def test_a_watcher_reports_a_hung_command_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    from plotter import config as plotter_config
    from plotter.link import session

    monkeypatch.setattr(session, "CLOSE_WAIT", 0.5)  # the retry rhythm, not the waiting, is under test
    monkeypatch.setattr(session, "_ENDED_BEFORE", set())
    hang = script(tmp_path, "sleep 6176\n")
    cfg = plotter_config.load(plotter_ini(tmp_path, f"transport = local\ncommand = {hang}\n"))
    caplog.set_level(logging.DEBUG, logger="plotter.link.session")
    for _ in range(3):  # as send --watch retries a NAS whose command hangs
        session.LocalSession(cfg.nas[0]).close()
        wait_for(lambda: not running("sleep 6176"), 10, "the command's child to end with it")
    levels = [r.levelno for r in caplog.records if "is still running" in r.getMessage()]
    assert levels == [logging.WARNING, logging.DEBUG, logging.DEBUG]
