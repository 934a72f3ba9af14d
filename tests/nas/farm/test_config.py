"""[chia] in nas.ini and the harvester's settings from the chia root's config.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import ConfigError
from nas import config as nas_config
from nas.farm.harvester import read_conf
from nas.settings import DEFAULT_CHIA_ROOT
from tests.helpers import make_nas


def load(tmp_path: Path, text: str) -> nas_config.NasConfig:
    return nas_config.load(make_nas(tmp_path, drives=1, drive_sections=text).ini)


def test_no_section_no_farm_check(tmp_path: Path) -> None:
    cfg = load(tmp_path, "")
    assert not cfg.chia.farm_check and cfg.chia.root == DEFAULT_CHIA_ROOT and cfg.chia.not_farmed_grace == 1800


def test_one_chia_root_for_the_harvester_and_the_node(tmp_path: Path) -> None:
    cfg = load(tmp_path, "[chia]\nroot = /srv/chia\nnot_farmed_grace = 2h\nfarmer_rpc = https://127.0.0.1:8559\n"
                         "[replot]\nfork_height = 100\nnode_rpc = https://127.0.0.1:8555\n")
    assert cfg.chia.farm_check and cfg.chia.not_farmed_grace == 7200 and cfg.chia.farmer_rpc == ("127.0.0.1", 8559)
    assert cfg.replot.chia_root == Path("/srv/chia")
    own = load(tmp_path / "b", "[chia]\nroot = /srv/chia\n[replot]\nfork_height = 100\n"
                               "node_rpc = https://127.0.0.1:8555\nchia_root = /srv/node\n")
    assert own.replot.chia_root == Path("/srv/node")


@pytest.mark.parametrize("text, where", [
    ("[chia]\nnot_farmed_grace = 10s\n", "[chia] not_farmed_grace"),
    ("[chia]\nnot_farmed_grace = 8d\n", "[chia] not_farmed_grace"),
    ("[chia]\nfarmer_rpc = http://x:1\n", "[chia] farmer_rpc"),
    ("[chia]\nharvester = x\n", "[chia] harvester: unknown key"),
])
def test_bad_values_name_the_key(tmp_path: Path, text: str, where: str) -> None:
    with pytest.raises(ConfigError, match=where.replace("[", r"\[").replace("]", r"\]")):
        load(tmp_path, text)


def test_config_yaml(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    yaml = tmp_path / "config" / "config.yaml"
    yaml.write_text("self_hostname: &h 127.0.0.2\nharvester:\n  rpc_port: 9560\n  plot_loading_frequency_seconds: 30\n"
                    "  recursive_plot_scan: true\n")
    conf = read_conf(tmp_path)
    assert (conf.url, conf.interval, conf.retry_invalid, conf.recursive) == ("https://127.0.0.2:9560", 30, 1200, True)
    yaml.write_text("harvester:\n  plots_refresh_parameter:\n    interval_seconds: 0\n")
    with pytest.raises(ConfigError, match=r"harvester.plots_refresh_parameter.interval_seconds = '0'"):
        read_conf(tmp_path)
    with pytest.raises(ConfigError, match="cannot read the chia config"):
        read_conf(tmp_path / "nowhere")
