"""The text a NAS login shell runs to announce the command's pid and to end it, run by each
login shell a NAS may have (sshd starts it as a session leader, as here with setsid)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from plotter.link.remote import ANNOUNCE, PID_LINE, kill_command, without_announcement
from tests.helpers import wait_for

SHELLS = [["bash"], ["dash"], ["zsh"], ["fish"], ["busybox", "sh"]]


def running(tag: str) -> bool:
    return bool(subprocess.run(["pgrep", "-f", tag], capture_output=True, timeout=10).stdout)


@pytest.mark.parametrize("shell", SHELLS, ids=lambda s: s[0])
def test_each_login_shell_announces_its_group_and_ends_it(shell: list[str]) -> None:
    if shutil.which(shell[0]) is None:
        pytest.skip(f"{shell[0]} is not installed")
    tag = f"sleep 618{SHELLS.index(shell)}"
    command = ANNOUNCE + f"sh -c '{tag} & wait'"  # a command whose child must end with it
    login = subprocess.Popen([*shell, "-c", command], stdout=subprocess.PIPE, start_new_session=True)
    try:
        assert login.stdout is not None
        found = PID_LINE.search(login.stdout.readline())
        assert found and int(found.group(1)) == login.pid  # the session leader, whose group it is
        wait_for(lambda: running(tag), 10, "the command's child")
        killer = subprocess.run([*shell, "-c", kill_command(login.pid, "TERM")], capture_output=True, timeout=10)
        assert killer.returncode == 0, killer.stderr
        login.wait(timeout=10)
        wait_for(lambda: not running(tag), 10, "the child to end with its group")
    finally:
        login.kill()
        login.wait(timeout=10)


def test_the_announcement_is_taken_out_of_a_command_s_output() -> None:
    assert without_announcement(b"plotyard-pid 4242\n{}\n") == b"{}\n"
    assert without_announcement(b"motd\nplotyard-pid 4242\r\n{}\n") == b"motd\n{}\n"
    assert without_announcement(b'{"plotyard-pid 1": 2}\n') == b'{"plotyard-pid 1": 2}\n'
