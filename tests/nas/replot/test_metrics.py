"""The replot metrics: their values from ``status --json``'s ``replot``, and every name in the README."""

from __future__ import annotations

import time

from prometheus_client.parser import text_string_to_metric_families

from common.metrics import render
from common.status.summary import summarize
from nas.monitor.metrics import families, replot_families
from tests.helpers import ROOT
from tests.nas.status_data import PLOT, STATUS


def samples() -> dict[tuple[str, str], float]:
    text = render(families(STATUS, time.time()))
    return {(s.name, s.labels.get("drive", "")): s.value for f in text_string_to_metric_families(text)
            for s in f.samples if "replot" in s.name}


def test_values_from_the_status() -> None:
    got = samples()
    assert got[("chia_nas_replot_v1_plots", "")] == 203 and got[("chia_nas_replot_v2_plots", "")] == 400
    assert got[("chia_nas_replot_v1_bytes", "")] == 203 * PLOT
    assert got[("chia_nas_replot_v2_bytes_per_day", "")] == round(4 * PLOT / 7, 1)
    assert got[("chia_nas_replot_v1_weight", "")] == 235 / 256  # 20 epochs after the fork
    assert got[("chia_nas_drive_replot_v1_plots", "drive1")] == 163
    assert got[("chia_nas_drive_replot_v2_bytes", "drive2")] == 4 * PLOT
    assert ("chia_nas_replot_phase_out_end_timestamp_seconds", "") in got


def test_no_replot_figures_no_replot_metrics() -> None:
    assert replot_families(summarize({k: v for k, v in STATUS.items() if k != "replot"})) == []


def test_every_replot_metric_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for family in replot_families(summarize(STATUS)):
        prefix = "chia_nas_drive_replot_" if family.name.startswith("chia_nas_drive_") else "chia_nas_replot_"
        short = family.name.removeprefix(prefix)
        assert f"`{family.name}`" in readme or f"`_{short}`" in readme, family.name
        assert f"`{prefix}" in readme
