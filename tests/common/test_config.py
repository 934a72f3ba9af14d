from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from common.config import parse_duration, parse_list, parse_port_range, parse_size
from common.confvalues import PB
from common.errors import ConfigError
from nas import config as nas_config
from plotter import config as plotter_config
from tests.helpers import run_cli


def test_value_parsers() -> None:
    assert parse_size("1GiB", low=0, high=PB) == 1024**3
    assert parse_size("2TB", low=0, high=PB) == 2 * 1000**4
    assert parse_size("0", low=0, high=PB) == 0
    assert parse_size("1.5KiB", low=0, high=PB) == 1536 and parse_size("1PB", low=0, high=PB) == PB
    day = 86400.0
    assert parse_duration("10m", low=0, high=day) == 600 and parse_duration("24h", low=0, high=day) == day
    assert parse_duration("30", low=0, high=day) == 30 and parse_duration("0.1", low=0.1, high=day) == 0.1
    assert parse_list("/a, /b\n/c,,") == ("/a", "/b", "/c")
    assert parse_port_range("4040-4059") == (4040, 4059) and parse_port_range("22") == (22, 22)
    bad: list[tuple[str, Callable[[str], object]]] = [
        ("1XB", lambda text: parse_size(text, low=0, high=PB)),
        ("ten", lambda text: parse_duration(text, low=0, high=day)),
        ("9-1", parse_port_range), ("0-22", parse_port_range), ("22-65536", parse_port_range),
        ("1-1" + "0" * 400, parse_port_range),
    ]
    for text, parser in bad:
        with pytest.raises(ValueError):
            parser(text)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plotter.ini"
    path.write_text(text)
    return path


GOOD = """[plotter]
plot_dirs = /mnt/dst0, /mnt/dst1   ; comment
min_plot_age = 0
[nas nas01]
host = 192.0.2.1
user = chia
identity_file = /k
known_hosts = /kh
"""


def test_contract_example_loads(tmp_path: Path) -> None:
    cfg = plotter_config.load(_write(tmp_path, GOOD))
    assert cfg.plotter.plot_dirs == (Path("/mnt/dst0"), Path("/mnt/dst1"))
    assert cfg.plotter.min_plot_age == 0
    (target,) = cfg.nas
    assert (target.name, target.transport, target.port, target.data_host) == ("nas01", "ssh", 22, "192.0.2.1")


@pytest.mark.parametrize(("change", "where"), [
    (("min_plot_age = 0", "min_plot_age = soon"), "[plotter] min_plot_age"),
    (("min_plot_age = 0", "max_parallel = 0"), "[plotter] max_parallel"),
    (("host = 192.0.2.1\n", ""), "[nas nas01] host"),
    (("user = chia", "usr = chia"), "[nas nas01] user: missing (required); is 'usr' a misspelling"),
    (("min_plot_age = 0", "min_plot_age = 0\nmin_plot_ag = 5"), "[plotter] min_plot_ag: unknown key"),
    (("transport", "transport"), None),
])
def test_bad_values_name_file_section_and_key(tmp_path: Path, change: tuple[str, str], where: str | None) -> None:
    if where is None:
        text = GOOD.replace("[nas nas01]", "[nas nas01]\ntransport = carrier-pigeon")
        where = "[nas nas01] transport"
    else:
        text = GOOD.replace(*change)
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        plotter_config.load(path)
    assert str(info.value).startswith(f"{path}: {where}")


def test_generated_examples_are_valid(tmp_path: Path) -> None:
    for role, loader in (("plotter", plotter_config.load), ("nas", nas_config.load)):
        result = run_cli(role, "config", "generate")
        assert result.returncode == 0
        path = tmp_path / f"{role}.ini"
        path.write_text(result.stdout)
        loader(path)


def test_cli_reports_config_errors_in_one_line(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("min_plot_age = 0", "min_plot_age = soon"))
    result = run_cli("plotter", "--config", str(path), "send", "--once")
    assert result.returncode == ConfigError.exit_code
    assert result.stderr.strip().count("\n") == 0
    assert "min_plot_age" in result.stderr and "Traceback" not in result.stderr


def test_cli_missing_config_file(tmp_path: Path) -> None:
    result = run_cli("nas", "--config", str(tmp_path / "absent.ini"), "receive")
    assert result.returncode == ConfigError.exit_code
    assert "config file not found" in result.stderr


def test_unknown_section_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown section"):
        plotter_config.load(_write(tmp_path, GOOD + "[plotterr]\n"))
