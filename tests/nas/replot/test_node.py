"""The full node client against a local HTTPS stand-in with a real ``chia init`` root's certificates
(mutual TLS as the node's RPC server does it), and how the height falls back to fork_date."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from nas.config import load
from nas.replot.deadline import HeightSource
from nas.replot.gather import chain_now
from nas.replot.node import NodeError, peak_height
from nas.replot.progress import Counts, Deadline, figures
from nas.replot.render import deadline_lines
from tests.chiacli import ChiaRoot
from tests.helpers import make_nas
from tests.nas.replot.nodestub import node_stub
from tests.sshd import free_port

pytestmark = pytest.mark.slow  # chia init: a few seconds


def test_synced_peak_is_the_height(chia_root: ChiaRoot) -> None:
    with node_stub(chia_root.root) as node:
        node.answer(9_600_123)
        assert peak_height("127.0.0.1", node.port, chia_root.root) == 9_600_123
        assert node.requests == ["/get_blockchain_state"]


@pytest.mark.parametrize(("height", "synced", "says"), [
    (9_600_123, False, "not synced"), (None, True, "peak height 'None' is not a block height"),
    (-5, True, "is not a block height"),
])
def test_unusable_answers_are_refused(chia_root: ChiaRoot, height: int | None, synced: bool, says: str) -> None:
    with node_stub(chia_root.root) as node:
        node.answer(height, synced)
        with pytest.raises(NodeError, match=says):
            peak_height("127.0.0.1", node.port, chia_root.root)


def test_the_node_is_trusted_only_through_the_chia_roots_ca(chia_root: ChiaRoot, tmp_path: Path) -> None:
    with node_stub(chia_root.root) as node:
        node.answer(1)
        with pytest.raises(NodeError, match="CERTIFICATE_VERIFY_FAILED"):
            peak_height("127.0.0.1", node.port, None)  # the system CAs do not know chia's private CA
    with pytest.raises(NodeError, match="cannot load the full node's SSL files"):
        peak_height("127.0.0.1", free_port(), tmp_path)  # a chia root without certificates


def test_node_height_is_used_and_cached_then_fork_date_when_it_is_down(chia_root: ChiaRoot,
                                                                        tmp_path: Path) -> None:
    with node_stub(chia_root.root) as node:
        node.answer(9_600_000)
        ini = make_nas(tmp_path / "nas", drive_sections=(
            f"[replot]\nfork_height = 9562000\nnode_rpc = https://127.0.0.1:{node.port}\n"
            f"chia_root = {chia_root.root}\nfork_date = 2026-11-10\n")).ini
        cfg = load(ini)
        cfg.nas.state_dir.mkdir(parents=True, exist_ok=True)
        now = time.time()
        chain, note = chain_now(cfg, now)
        assert chain is not None and (chain.height, chain.source, note) == (9_600_000, HeightSource.NODE, None)
        node.answer(9_600_500)
        chain, _ = chain_now(cfg, now + 60)  # within 10 minutes: the cached height, the node not asked
        assert chain is not None and chain.height == 9_600_000 and len(node.requests) == 1
        chain, _ = chain_now(cfg, now + 601)
        assert chain is not None and chain.height == 9_600_500 and len(node.requests) == 2
    chain, note = chain_now(cfg, now + 1300)  # the node is gone: estimated from fork_date
    fork_date = 1_794_268_800.0  # 2026-11-10 00:00 UTC
    assert chain is not None and chain.source == HeightSource.FORK_DATE
    assert chain.height == 9_562_000 + int((now + 1300 - fork_date) / 86400 * 4608)
    assert note is not None and f"127.0.0.1:{node.port}" in note


def test_node_down_without_fork_date_leaves_the_height_unknown(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    cfg = load(make_nas(tmp_path / "nas", drive_sections=(
        f"[replot]\nfork_height = 9562000\nnode_rpc = https://127.0.0.1:{port}\n")).ini)
    cfg.nas.state_dir.mkdir(parents=True, exist_ok=True)
    chain, note = chain_now(cfg, time.time())
    assert chain is None and note is not None and "Connection refused" in note
    fig = figures(Counts(v1_bytes=1), Deadline(9_562_000, None), time.time())
    assert fig["v1_weight"] is None and fig["phase_out_end"] is None
    lines = deadline_lines({**fig, "fork_height": 9_562_000, "height": None, "height_note": note})
    assert lines == [f"phase-out: fork at height 9562000; height now unknown ({note})"]
