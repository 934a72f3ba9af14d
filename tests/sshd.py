"""A private OpenSSH server on 127.0.0.1 with its own host and client keys (tests, benchmarks).

Never touches /etc/ssh or the system sshd: config, keys, pid file and
authorized_keys all live in the directory given.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


def sshd_available() -> bool:
    return os.path.exists(SSHD) and shutil.which("ssh-keygen") is not None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def keygen(path: Path) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
                   check=True, timeout=30, stdin=subprocess.DEVNULL)
    return path


@dataclass
class LocalSshd:
    root: Path
    port: int
    proc: subprocess.Popen[bytes]
    client_key: Path
    known_hosts: Path
    user: str

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def ssh_argv(self) -> list[str]:
        """OpenSSH client options that use this server's keys (for rsync -e and friends)."""
        return ["ssh", "-p", str(self.port), "-i", str(self.client_key), "-o", "BatchMode=yes",
                "-o", f"UserKnownHostsFile={self.known_hosts}", "-o", "StrictHostKeyChecking=yes",
                "-o", "IdentitiesOnly=yes", "-l", self.user]


def is_listening(port: int, proc_net: Path = Path("/proc/net/tcp")) -> bool:
    """Whether something listens on TCP ``port``, read from the kernel's table, not by
    connecting (a one-shot listener like nc would take the probe for its client).
    ``/proc/<pid>/net/tcp`` reads the table of that process's network namespace."""
    needle = f":{port:04X}"
    for line in proc_net.read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(needle) and fields[3] == "0A":  # 0A: LISTEN
            return True
    return False


def start_sshd(root: Path, authorized_options: str = "", listen: str = "127.0.0.1", port: int | None = None,
               prefix: tuple[str, ...] = (), as_installed: bool = False) -> LocalSshd:
    """Start sshd in ``root``; returns once it listens (bounded wait).

    ``prefix`` runs it through another command, e.g. ``ip netns exec NAME`` for a
    server inside a test's network namespace. ``as_installed``: keys from each user's
    ``~/.ssh/authorized_keys`` under ``StrictModes yes``, as a distribution's sshd reads them.
    """
    root.mkdir(parents=True, exist_ok=True)
    host_key = keygen(root / "host_ed25519")
    client_key = keygen(root / "client_ed25519")
    public = (root / "client_ed25519.pub").read_text().strip()
    authorized = root / "authorized_keys"
    authorized.write_text(f"{authorized_options + ' ' if authorized_options else ''}{public}\n")
    authorized.chmod(0o600)
    port = port or free_port()
    config = root / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress {listen}\nHostKey {host_key}\nPidFile {root / 'sshd.pid'}\nAuthorizedKeysFile "
        + (".ssh/authorized_keys\nStrictModes yes\n" if as_installed else f"{authorized}\nStrictModes no\n")
        + "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nUsePAM no\n"
        "PermitRootLogin yes\nMaxStartups 50\nMaxSessions 50\nLogLevel ERROR\n"
    )
    host_public = (root / "host_ed25519.pub").read_text().split()
    known_hosts = root / "known_hosts"
    known_hosts.write_text(f"[{listen}]:{port} {host_public[0]} {host_public[1]}\n")
    user = os.environ.get("USER") or subprocess.run(["id", "-un"], capture_output=True, text=True,
                                                    timeout=10).stdout.strip()
    return _launch(LocalSshd(root, port, _spawn(root, prefix), client_key, known_hosts, user))


def restart_sshd(server: LocalSshd, prefix: tuple[str, ...] = ()) -> LocalSshd:
    """Start ``server`` again after it was stopped or killed (a NAS back from a reboot): the same
    config, so the same port, host key and authorized keys. Returns once it listens (bounded wait)."""
    return _launch(LocalSshd(server.root, server.port, _spawn(server.root, prefix), server.client_key,
                             server.known_hosts, server.user))


def _spawn(root: Path, prefix: tuple[str, ...]) -> subprocess.Popen[bytes]:
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation dir
    with open(root / "sshd.log", "ab") as log:
        return subprocess.Popen([*prefix, SSHD, "-D", "-e", "-f", str(root / "sshd_config")],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)


def _launch(server: LocalSshd) -> LocalSshd:
    proc, port, root = server.proc, server.port, server.root
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sshd exited: {(root / 'sshd.log').read_text()}")
        try:
            if is_listening(port, Path(f"/proc/{proc.pid}/net/tcp")):
                return server
        except OSError:
            pass  # the process is still being set up
        time.sleep(0.05)
    server.stop()
    raise RuntimeError("sshd did not start listening within 15 s")
