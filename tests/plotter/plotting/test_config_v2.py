"""PoS2 job keys in plotter.ini: strength, meta_group, group_size, even k, refused where they do not
apply, each error naming file, section and key."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import pytest

from common.errors import ConfigError
from plotter import config as plotter_config
from plotter.plotting import config as plotting_config
from plotter.plotting.pos2.address import encode
from tests.chiacli import FARMER_KEY, POOL_KEY
from tests.plotter.plotting.test_config import write

CONTRACT = encode("xch", bytes(32))


def pos2(tmp_path: Path, extra: str = "", k: int = 18) -> Path:
    return write(tmp_path, f"[job a]\nbackend = pos2\nk = {k}\ntmp_dirs = /t\nfarmer_key = {FARMER_KEY}\n"
                           f"pool_key = {POOL_KEY}\n{extra}")


def test_defaults_and_values(tmp_path: Path) -> None:
    [job] = plotter_config.load(pos2(tmp_path)).plotting.jobs
    assert (job.strength, job.meta_group, job.group_size) == (2, None, 1)
    spec = job.spec(Path("/t"), tmp_path / "dst0", meta_group=4)  # a placement's meta group fills "auto"
    assert (spec.strength, spec.meta_group, spec.group_size) == (2, 4, 1)
    [job] = plotter_config.load(pos2(tmp_path, "strength = 5\nmeta_group = 17\ngroup_size = 1\n")).plotting.jobs
    assert (job.strength, job.meta_group, job.group_size) == (5, 17, 1)
    assert job.spec(Path("/t"), tmp_path / "dst0", meta_group=4).meta_group == 17  # a fixed one stays
    [job] = plotter_config.load(pos2(tmp_path, "meta_group = AUTO\n")).plotting.jobs
    assert job.meta_group is None


@pytest.mark.parametrize(("extra", "message"), [
    ("strength = 1\n", "[job a] strength: "),
    ("strength = 18\n", "[job a] strength: "),
    ("meta_group = 256\n", "[job a] meta_group: "),
    ("meta_group = some\n", "[job a] meta_group: "),
    ("group_size = 2\n", "[job a] group_size: pos2 makes 1..1 plot(s) per group file, not 2"),
    ("group_size = 0\n", "[job a] group_size: "),
    ("tmp2_dir = /t2\n", "[job a] tmp2_dir: pos2 takes no tmp2_dir"),
    ("buckets = 128\n", "[job a] buckets: pos2 takes no buckets"),
    ("threads = 4\n", "[job a] threads: pos2 takes no threads"),
    ("tmp_stagger_phase = 2:1\n", "[job a] tmp_stagger_phase: 2:1 is not a phase a pos2 job reaches (1:0, 5:0..5:2)"),
])
def test_bad_v2_keys(tmp_path: Path, extra: str, message: str) -> None:
    path = pos2(tmp_path, extra)
    with pytest.raises(ConfigError) as caught:
        plotter_config.load(path)
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)


@pytest.mark.parametrize("k", [17, 19, 34])
def test_k_is_even_18_to_32(tmp_path: Path, k: int) -> None:
    with pytest.raises(ConfigError, match=rf"\[job a\] k: pos2 cannot make k{k} plots \(it accepts k18..k32, even\)"):
        plotter_config.load(pos2(tmp_path, k=k))


def test_a_mistyped_contract_is_refused_at_load(tmp_path: Path) -> None:
    path = write(tmp_path, f"[job a]\nbackend = pos2\nk = 28\ntmp_dirs = /t\nfarmer_key = {FARMER_KEY}\n"
                           f"pool_contract = {CONTRACT[:-1]}{'q' if CONTRACT[-1] != 'q' else 'p'}\n")
    with pytest.raises(ConfigError, match=r"\[job a\] pool_contract: pool contract address has a wrong checksum"):
        plotter_config.load(path)


@pytest.mark.parametrize("key", ["strength", "meta_group", "group_size"])
def test_v1_backends_refuse_v2_keys(tmp_path: Path, standins: dict[str, Path], key: str) -> None:
    path = write(tmp_path, f"[job a]\nbackend = chia\nexecutable = {standins['chia']}\nk = 32\ntmp_dirs = /t\n"
                           f"farmer_key = {FARMER_KEY}\npool_key = {POOL_KEY}\n{key} = 2\n")
    with pytest.raises(ConfigError, match=rf"\[job a\] {key}: only PoS2 backends \(pos2.*\) take it; chia makes v1"):
        plotter_config.load(path)


def test_below_k28_warns_naming_the_key(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="plotter.plotting.config_v2"):
        plotter_config.load(pos2(tmp_path, k=28))
        assert caplog.messages == []
        plotter_config.load(pos2(tmp_path, k=18))
    assert len(caplog.messages) == 1 and "[job a] k: k18 PoS2 plots are not farmable on mainnet" in caplog.messages[0]


def test_pos2_without_chia_rs_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "chia_rs" else real(name, *a))
    with pytest.raises(ConfigError, match=r"\[job a\] backend: pos2 plots with chia_rs, which is not installed"):
        plotter_config.load(pos2(tmp_path))


def test_example_mentions_the_v2_keys() -> None:
    for key in ("strength", "meta_group", "group_size"):
        assert f"# {key} = " in plotting_config.EXAMPLE
