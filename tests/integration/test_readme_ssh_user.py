"""The README's steps for the plotter's key on the NAS, run as written for a new service user
(useradd as the README makes it: no ``~/.ssh``), then a real login with that key through an sshd
that reads ``~/.ssh/authorized_keys`` under ``StrictModes``, as a distribution's sshd does."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ROOT, make_nas, run_cli
from tests.sshd import LocalSshd, sshd_available, start_sshd


def readme_block(after: str) -> list[str]:
    """The lines of the README's ``sh`` block that holds ``after``, from that line on."""
    for block in re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S):
        lines = [line.split("  #")[0].strip() for line in block.splitlines()]
        if after in lines:
            return lines[lines.index(after):]
    raise AssertionError(f"no README block with {after!r}")


@pytest.fixture
def service_user() -> Iterator[tuple[str, Path]]:
    """A system user made as the README's "Running with cron" makes ``chia``; removed afterwards."""
    if os.geteuid() != 0 or not sshd_available() or shutil.which("useradd") is None:
        pytest.skip("needs root, sshd and useradd")
    name = f"pyt{secrets.token_hex(4)}"
    home = Path("/var/lib") / name
    subprocess.run(["useradd", "--system", "--home-dir", str(home), "--create-home", name],
                   check=True, timeout=30, capture_output=True)
    try:
        # Our sshd runs without PAM, and then refuses an account whose password field is locked ("!").
        subprocess.run(["usermod", "-p", "*", name], check=True, timeout=30, capture_output=True)
        yield name, home
    finally:
        subprocess.run(["userdel", "--remove", name], timeout=30, capture_output=True)


def test_the_readme_authorized_keys_steps_work_for_a_new_service_user(
        tmp_path: Path, service_user: tuple[str, Path]) -> None:
    name, home = service_user
    assert not (home / ".ssh").exists()
    server: LocalSshd = start_sshd(tmp_path / "sshd", as_installed=True)
    try:
        nas = make_nas(tmp_path / "nas", drives=1)
        files = tmp_path / "ssh-files"
        made = run_cli("nas", "install", "ssh", "--config", str(nas.ini), "--write", str(files),
                       "--key", f"{server.client_key}.pub")
        assert made.returncode == 0, made.stderr
        login = [*server.ssh_argv()[:-1], name, "127.0.0.1", "some-other-command"]
        refused = subprocess.run(login, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert refused.returncode == 255 and "Permission denied (publickey" in refused.stderr  # no key yet
        steps = readme_block("sudo chown -R root: /etc/plotyard/ssh")[1:]
        assert any("~chia/.ssh" in step for step in steps)
        for step in (s for s in steps if s):
            step = step.replace("/etc/plotyard/ssh", str(files)).replace("~chia", str(home))
            step = step.replace("sudo -u chia ", f"runuser -u {name} -- ").replace("sudo ", "")
            step = step.replace("-o chia -g chia", f"-o {name} -g {name}")
            done = subprocess.run(["/bin/sh", "-ec", step], capture_output=True, text=True, timeout=30)
            assert done.returncode == 0, (step, done.stderr)
        ssh_dir = (home / ".ssh").stat()
        keys = (home / ".ssh" / "authorized_keys").stat()
        assert (ssh_dir.st_mode & 0o777, keys.st_mode & 0o777) == (0o700, 0o600)
        assert {ssh_dir.st_uid, keys.st_uid} == {int(subprocess.run(["id", "-u", name], capture_output=True,
                                                                      text=True, timeout=10).stdout)}
        logged_in = subprocess.run(login, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        # The key logged in: sshd ran the forced wrapper (whatever it then says: it lives in this
        # test's private tmp dir, which the user cannot enter), where it refused the key before.
        assert logged_in.returncode != 255 and "(publickey" not in logged_in.stderr, logged_in.stderr
    finally:
        server.stop()
