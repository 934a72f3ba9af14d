"""A real chia farm on 127.0.0.1 for the farm-check tests: chia-blockchain 2.7.5's daemon (it holds
the keyring the farmer reads), farmer and harvester, started from the cached venv in a chia root of
the test's own, with keys from a fixed test mnemonic in the test's own keyring (``CHIA_KEYS_ROOT``),
never the machine's. The harvester loads plots only after the farmer's handshake sends it the
farm's keys, so the farmer is needed even for the harvester's RPC.

Plots: real chiapos k18 plots whose memo is what ``chia plots create`` writes (pool public key,
farmer public key, a master secret key the harvester derives the local key from) and whose id is
chia's own ``calculate_plot_id_pk``, made by chia's code in the chia venv.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.chiacli import ChiaRoot, chia_venv
from tests.sshd import free_port

# A valid BIP-39 test mnemonic (23 x "abandon" + "art"): a fixed, public, worthless key.
MNEMONIC = " ".join(["abandon"] * 23 + ["art"])
RESCAN = 2  # seconds between the harvester's rescans (chia's default is 120)

LOCAL_FARM = """
import sys, yaml
path, plot_dirs = sys.argv[1], sys.argv[2].split(",")
daemon, farmer, farmer_rpc, harvester_rpc, node = map(int, sys.argv[3:8])
c = yaml.safe_load(open(path))
c["self_hostname"] = "127.0.0.1"
c["daemon_port"] = daemon
c["farmer"].update(port=farmer, rpc_port=farmer_rpc, full_node_peers=[{"host": "127.0.0.1", "port": node}])
c["harvester"].update(rpc_port=harvester_rpc, farmer_peers=[{"host": "127.0.0.1", "port": farmer}],
                      plot_directories=plot_dirs)
c["harvester"]["plots_refresh_parameter"]["interval_seconds"] = int(sys.argv[8])
open(path, "w").write(yaml.safe_dump(c))
"""

MAKE_PLOT = """
import secrets, sys
from pathlib import Path
from chia_rs import AugSchemeMPL, G1Element
from chiapos import DiskPlotter
from chia.plotting.util import stream_plot_info_pk
from chia.types.blockchain_format.proof_of_space import calculate_plot_id_pk, generate_plot_public_key
from chia.wallet.derive_keys import master_sk_to_local_sk
directory = Path(sys.argv[1])
farmer, pool = (G1Element.from_bytes(bytes.fromhex(h)) for h in sys.argv[2:4])
sk = AugSchemeMPL.key_gen(secrets.token_bytes(32))
plot_id = calculate_plot_id_pk(pool, generate_plot_public_key(master_sk_to_local_sk(sk).get_g1(), farmer))
name = f"plot-k18-2026-12-06-00-00-{bytes(plot_id).hex()}.plot"
DiskPlotter().create_plot_disk(str(directory), str(directory), str(directory), name, 18,
                               bytes(stream_plot_info_pk(pool, farmer, sk)), bytes(plot_id), 200, 32, 2000, 2, False)
print(directory / name)
"""


@dataclass
class ChiaFarm:
    chia: ChiaRoot
    keys: Path  # CHIA_KEYS_ROOT
    harvester_rpc: int = 0
    farmer_rpc: int = 0
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return self.chia.env(CHIA_KEYS_ROOT=str(self.keys))

    def run(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.chia.executable), *args], env=self.env(), capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL, check=True)

    def add_keys(self) -> tuple[str, str]:
        """The test mnemonic into the test's keyring; (farmer public key, pool public key) in hex."""
        mnemonic = self.keys.parent / "mnemonic.txt"
        mnemonic.write_text(MNEMONIC + "\n")
        self.run("keys", "add", "-f", str(mnemonic), "-l", "plotyard-test")
        shown = self.run("keys", "show").stdout
        farmer = re.search(r"Farmer public key \S+: ([0-9a-f]{96})", shown)
        pool = re.search(r"Pool public key \S+: ([0-9a-f]{96})", shown)
        assert farmer and pool, shown
        return farmer.group(1), pool.group(1)

    def configure(self, plot_dirs: list[Path], rescan: int = RESCAN) -> None:
        self.harvester_rpc, self.farmer_rpc = free_port(), free_port()
        subprocess.run([str(chia_venv() / "bin" / "python"), "-c", LOCAL_FARM,
                        str(self.chia.root / "config" / "config.yaml"), ",".join(str(d) for d in plot_dirs),
                        str(free_port()), str(free_port()), str(self.farmer_rpc), str(self.harvester_rpc),
                        str(free_port()), str(rescan)], check=True, timeout=60)

    def start(self) -> None:
        """Daemon (the keyring), farmer, harvester: each in a session of its own, ended by :meth:`stop`."""
        for service in ("chia_daemon", "chia_farmer", "chia_harvester"):
            self.procs[service] = subprocess.Popen(
                [str(chia_venv() / "bin" / service)], env=self.env(), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def stop(self, service: str | None = None) -> None:
        """End the services this test started (all, or one), their process groups with them."""
        for name in [service] if service else list(reversed(self.procs)):
            proc = self.procs.pop(name, None)
            if proc is None or proc.poll() is not None:
                continue
            os.killpg(proc.pid, signal.SIGTERM)  # our own Popen, not yet reaped: the pid is still ours
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def make_plot(directory: Path, farmer: str, pool: str) -> Path:
    """A real k18 plot with these keys in its memo (a few seconds)."""
    directory.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([str(chia_venv() / "bin" / "python"), "-c", MAKE_PLOT, str(directory), farmer, pool],
                          capture_output=True, text=True, timeout=300, check=True, stdin=subprocess.DEVNULL)
    return Path(done.stdout.strip().splitlines()[-1])
