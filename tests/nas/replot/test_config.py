"""``[replot]`` in nas.ini: every value in range at load, one clear line naming file, section and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import ConfigError
from nas import config as nas_config
from tests.helpers import make_nas, run_cli


def load(tmp_path: Path, text: str) -> nas_config.NasConfig:
    return nas_config.load(make_nas(tmp_path, drives=1, drive_sections=text).ini)


def test_no_section_no_deadline(tmp_path: Path) -> None:
    assert load(tmp_path, "").replot.fork_height is None


def test_values(tmp_path: Path) -> None:
    cfg = load(tmp_path, "[replot]\nfork_height = 9562000\nnode_rpc = https://node.lan:8555/\n"
                         "chia_root = /srv/chia/mainnet\nfork_date = 2026-11-10 06:30\n")
    r = cfg.replot
    assert (r.fork_height, r.node_rpc, r.chia_root) == (9_562_000, ("node.lan", 8555), Path("/srv/chia/mainnet"))
    assert r.fork_date == 1_794_268_800.0 + 6.5 * 3600


@pytest.mark.parametrize(("text", "where"), [
    ("fork_date = 2026-11-10\n", "[replot] fork_height: missing (required)"),
    ("fork_height = 0\nfork_date = 2026-11-10\n", "[replot] fork_height: 0 is out of range: allowed 1..4294967295"),
    ("fork_height = 4294967296\nfork_date = 2026-11-10\n", "[replot] fork_height: 4294967296 is out of range"),
    ("fork_height = 9562000\n", "[replot] node_rpc: set node_rpc (a full node's RPC, for the height now) or fork_date"),
    ("fork_height = 9562000\nfork_date = 2026-02-30\n", "[replot] fork_date: not a date: 2026-02-30"),
    ("fork_height = 9562000\nfork_date = 10.11.2026\n", "[replot] fork_date: not a date: 10.11.2026 (examples"),
    ("fork_height = 9562000\nfork_date = 2101-01-01\n", "[replot] fork_date: 2101-01-01 is out of range: allowed "
                                                         "2024-01-01..2100-01-01"),
    ("fork_height = 9562000\nnode_rpc = http://127.0.0.1:8555\n", "[replot] node_rpc: not an https://host:port URL"),
    ("fork_height = 9562000\nnode_rpc = https://127.0.0.1\n", "[replot] node_rpc: not an https://host:port URL"),
    ("fork_height = 9562000\nnode_rpc = https://127.0.0.1:99999\n", "[replot] node_rpc: not a URL"),
    ("fork_height = 9562000\nnode_rpc = https://127.0.0.1:0\n",
     "[replot] node_rpc: 0 is out of range: allowed 1..65535"),
    ("fork_height = 9562000\nnode_rpc = https://999.1.1.1:8555\n", "[replot] node_rpc: not an IP address"),
    ("fork_height = 9562000\nfork_date = 2026-11-10\nchia_root = /x\n", "[replot] chia_root: only used to reach "
                                                                        "node_rpc"),
    ("fork_height = 9562000\nfork_date = 2026-11-10\nfork_heigth = 1\n", "[replot] fork_heigth: unknown key"),
])
def test_errors_name_section_and_key(tmp_path: Path, text: str, where: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "[replot]\n" + text)
    assert caught.value.message.startswith(f"{tmp_path / 'nas.ini'}: {where}"), caught.value.message


def test_cli_exit_3_one_line(tmp_path: Path) -> None:
    nas = make_nas(tmp_path, drives=1, drive_sections="[replot]\nfork_height = 9562000\nfork_date = someday\n")
    done = run_cli("nas", "--config", str(nas.ini), "replot")
    assert done.returncode == 3
    assert done.stderr.strip().splitlines() == [
        f"drive-manager: error: {nas.ini}: [replot] fork_date: not a date: someday (examples: 2026-11-10, "
        f"2026-11-10 14:30; UTC)"]
