"""Two hosts for real: the plotter and the NAS in network namespaces of their own.

A management link carries SSH, a separate, rate-limited (tbf) storage link carries
the plot data (``data_host``); the receiver listens on the storage address only.
Both ends of every connection are inside the test's namespaces. Needs root and
iproute2; skipped otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from common.transfer.stream import hash_file
from tests.helpers import ROOT, make_nas
from tests.sshd import LocalSshd, start_sshd

CopyPlots = Callable[..., list[Path]]
MGMT = ("10.231.{n}.1", "10.231.{n}.2")
STORAGE = ("10.232.{n}.1", "10.232.{n}.2")


def tool(name: str) -> str | None:
    """``name`` on PATH, else in the sbin dirs: a user's PATH (``PATH=/usr/bin:/bin``, as the
    README's test line has it) often lacks them, and iproute2's ``ip`` and ``tc`` live there."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


IP, TC = tool("ip") or "ip", tool("tc") or "tc"


@dataclass
class Hosts:
    plotter: str
    nas: str
    nas_mgmt: str
    nas_storage: str


def _ip(*args: str) -> None:
    subprocess.run([IP, *args], check=True, timeout=30, capture_output=True)


def _link(hosts: Hosts, name: str, addresses: tuple[str, str], n: int) -> None:
    here, there = f"{name}p{n}", f"{name}n{n}"
    _ip("link", "add", here, "type", "veth", "peer", "name", there)
    for dev, ns, addr in ((here, hosts.plotter, addresses[0]), (there, hosts.nas, addresses[1])):
        _ip("link", "set", dev, "netns", ns)
        _ip("-n", ns, "addr", "add", f"{addr.format(n=n)}/24", "dev", dev)
        _ip("-n", ns, "link", "set", dev, "up")


@pytest.fixture
def hosts() -> Iterator[Hosts]:
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    missing = [name for name in ("ip", "tc") if tool(name) is None]  # every tool the fixture runs
    if missing:
        pytest.skip(f"{' and '.join(missing)} not found on PATH or in /usr/sbin, /sbin: install iproute2")
    n = os.getpid() % 200 + 1
    made = Hosts(f"cpm-plotter-{n}", f"cpm-nas-{n}", MGMT[1].format(n=n), STORAGE[1].format(n=n))
    try:
        for ns in (made.plotter, made.nas):
            _ip("netns", "add", ns)
            _ip("-n", ns, "link", "set", "lo", "up")
        _link(made, "cpmm", MGMT, n)
        _link(made, "cpms", STORAGE, n)
        subprocess.run([TC, "-n", made.plotter, "qdisc", "add", "dev", f"cpmsp{n}", "root", "tbf",
                        "rate", "400mbit", "burst", "256kb", "latency", "50ms"], check=True, timeout=30)
        yield made
    finally:
        for ns in (made.plotter, made.nas):
            subprocess.run([IP, "netns", "del", ns], timeout=30, capture_output=True)


@pytest.fixture
def nas_sshd(tmp_path: Path, hosts: Hosts) -> Iterator[LocalSshd]:
    server = start_sshd(tmp_path / "sshd", listen=hosts.nas_mgmt, port=2222,
                        prefix=(IP, "netns", "exec", hosts.nas))
    yield server
    server.stop()


def _plotter_ini(tmp_path: Path, sshd: LocalSshd, hosts: Hosts, nas_command: str,
                 data_host: str) -> tuple[Path, Path]:
    dst = tmp_path / "plotter" / "dst"
    dst.mkdir(parents=True)
    ini = tmp_path / "plotter.ini"
    ini.write_text(
        f"[plotter]\nplot_dirs = {dst}\nstate_dir = {tmp_path / 'plotter' / 'state'}\nmin_plot_age = 0\n\n"
        f"[nas nas01]\nhost = {hosts.nas_mgmt}\n"
        f"port = {sshd.port}\nuser = {sshd.user}\nidentity_file = {sshd.client_key}\n"
        f"known_hosts = {sshd.known_hosts}\ncommand = {nas_command}\ndata_host = {data_host}\n"
        "connect_timeout = 10\n"
    )
    return ini, dst


def _send(hosts: Hosts, ini: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([IP, "netns", "exec", hosts.plotter, sys.executable, "-m", "plotter",
                           "--config", str(ini), "send", "--once"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, stdin=subprocess.DEVNULL)


@pytest.mark.slow
def test_plot_crosses_the_storage_link_between_two_hosts(tmp_path: Path, hosts: Hosts, nas_sshd: LocalSshd,
                                                         copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    nas.ini.write_text(nas.ini.read_text().replace("data_bind = 127.0.0.1", f"data_bind = {hosts.nas_storage}"))
    ini, dst = _plotter_ini(tmp_path, nas_sshd, hosts, nas.command, hosts.nas_storage)
    (source,) = copy_plots(dst, 1)
    digest = hash_file(str(source))

    result = _send(hosts, ini)

    assert result.returncode == 0, result.stderr
    (stored,) = nas.plots()
    assert stored.name == source.name and hash_file(str(stored)) == digest
    assert not source.exists()


@pytest.mark.slow
def test_data_goes_to_data_host_not_the_ssh_host(tmp_path: Path, hosts: Hosts, nas_sshd: LocalSshd,
                                                 copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=1, extra_nas="accept_timeout = 3")
    nas.ini.write_text(nas.ini.read_text().replace("data_bind = 127.0.0.1", f"data_bind = {hosts.nas_storage}"))
    ini, dst = _plotter_ini(tmp_path, nas_sshd, hosts, nas.command, hosts.nas_mgmt)  # wrong: nothing listens there
    (source,) = copy_plots(dst, 1)
    digest = hash_file(str(source))

    result = _send(hosts, ini)

    assert result.returncode == 1
    assert f"cannot open the data connection to {hosts.nas_mgmt}" in result.stderr
    assert hash_file(str(source)) == digest and nas.plots() == [] and nas.parts() == []
