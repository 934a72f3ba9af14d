"""The client against a real chia full node (chia-blockchain 2.7.5, ``chia_full_node``) started by the
test in its own chia root, on 127.0.0.1 only: no DNS introducers, no introducer, no peers, no UPnP.
It has no blocks, so it answers with no peak and ``synced: false``: the mutual TLS and the
answer's shape are the real node's, and an unsynced node is never trusted for the height."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nas.config import load
from nas.replot.deadline import HeightSource
from nas.replot.gather import chain_now
from nas.replot.node import NodeError, peak_height
from tests.chiacli import ChiaRoot, chia_venv
from tests.helpers import make_nas, wait_for
from tests.sshd import free_port

pytestmark = pytest.mark.slow

LOCAL_ONLY = """
import sys, yaml
path, port, rpc, introducer, daemon = sys.argv[1], *map(int, sys.argv[2:])
config = yaml.safe_load(open(path))
config["self_hostname"] = "127.0.0.1"
config["daemon_port"] = daemon
config["full_node"].update(port=port, rpc_port=rpc, enable_upnp=False, dns_servers=[], full_node_peers=[],
                           target_peer_count=0, target_outbound_peer_count=0,
                           introducer_peer={"host": "127.0.0.1", "port": introducer, "enable_private_networks": True})
open(path, "w").write(yaml.safe_dump(config))
"""


@pytest.fixture
def full_node(chia_root: ChiaRoot) -> Iterator[int]:
    """A real full node's RPC port; the node (and its worker processes) ended after the test."""
    venv = chia_venv()
    rpc = free_port()
    subprocess.run([str(venv / "bin" / "python"), "-c", LOCAL_ONLY, str(chia_root.root / "config" / "config.yaml"),
                    str(free_port()), str(rpc), str(free_port()), str(free_port())], check=True, timeout=60)
    node = subprocess.Popen([str(venv / "bin" / "chia_full_node")], env=chia_root.env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(lambda: _answers(rpc, chia_root.root), timeout=120, what="the full node's RPC")
        yield rpc
    finally:
        os.killpg(node.pid, signal.SIGTERM)  # its own session: the node and its validation workers
        try:
            node.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(node.pid, signal.SIGKILL)
            node.wait(timeout=10)


def _answers(port: int, root: Path) -> bool:
    try:
        peak_height("127.0.0.1", port, root, timeout=2)
    except NodeError as exc:
        return "Connection refused" not in exc.message
    return True


def test_real_node_unsynced_is_not_trusted(chia_root: ChiaRoot, full_node: int, tmp_path: Path) -> None:
    with pytest.raises(NodeError, match=r"not synced .*sync tip 0"):
        peak_height("127.0.0.1", full_node, chia_root.root)
    with pytest.raises(NodeError, match="CERTIFICATE_VERIFY_FAILED"):
        peak_height("127.0.0.1", full_node, None)
    cfg = load(make_nas(tmp_path / "nas", drive_sections=(
        f"[replot]\nfork_height = 9562000\nnode_rpc = https://127.0.0.1:{full_node}\n"
        f"chia_root = {chia_root.root}\nfork_date = 2026-11-10\n")).ini)
    cfg.nas.state_dir.mkdir(parents=True, exist_ok=True)
    chain, note = chain_now(cfg, time.time())
    assert chain is not None and chain.source == HeightSource.FORK_DATE
    assert note is not None and "not synced" in note
