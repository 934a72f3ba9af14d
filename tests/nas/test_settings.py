"""[smart], [replace] and [alerts] in nas.ini."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import ConfigError
from nas import config as nas_config
from nas.replace.rules import describe
from tests.helpers import make_nas


def load(tmp_path: Path, text: str) -> nas_config.NasConfig:
    return nas_config.load(make_nas(tmp_path, drives=1, drive_sections=text).ini)


def test_defaults(tmp_path: Path) -> None:
    cfg = load(tmp_path, "")
    assert cfg.smart.smartctl is None and cfg.smart.interval == 600
    assert not cfg.replace.enabled and cfg.replace.match == ()
    assert (cfg.alerts.low_water_plots, cfg.alerts.temperature_limit, cfg.alerts.no_plot_hours) == (10, 50, 12)


def test_values(tmp_path: Path) -> None:
    cfg = load(tmp_path, "[smart]\nsmartctl = /opt/sbin/smartctl\ninterval = 30m\n"
                         "[replace]\nenabled = yes\nmatch = v1,\n  before 2024-01-01\n"
                         "[alerts]\nlow_water_plots = 3\ntemperature_limit = 45\nno_plot_hours = 0\n")
    assert cfg.smart.smartctl == Path("/opt/sbin/smartctl") and cfg.smart.interval == 1800
    assert cfg.replace.enabled and describe(cfg.replace.match) == "v1, before 2024-01-01"
    assert (cfg.alerts.low_water_plots, cfg.alerts.temperature_limit, cfg.alerts.no_plot_hours) == (3, 45, 0)


@pytest.mark.parametrize("text, where", [
    ("[replace]\nmatch = level ~ 3\n", "[replace] match: cannot understand 'level ~ 3'"),
    ("[alerts]\ntemperature_limit = hot\n", "[alerts] temperature_limit: not a whole number"),
    ("[alerts]\nlow_water_plot = 3\n", "[alerts] low_water_plot: unknown key"),
    ("[smart]\ninterval = soon\n", "[smart] interval: not a duration"),
])
def test_errors_name_section_and_key(tmp_path: Path, text: str, where: str) -> None:
    with pytest.raises(ConfigError, match=r"nas\.ini: " + where.replace("[", r"\[").replace("]", r"\]")):
        load(tmp_path, text)
