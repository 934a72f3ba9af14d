from __future__ import annotations

import pytest

from plotter.plotting.phase import START, Phase


def test_phases_order_by_major_then_minor() -> None:
    assert START < Phase(0, 1) < Phase(1, 0) < Phase(1, 7) < Phase(2, 0) < Phase(5, 2)
    assert max(Phase(3, 6), Phase(4, 0)) == Phase(4, 0)


def test_text_form_round_trips() -> None:
    assert str(Phase(3, 4)) == "3:4"
    assert Phase.parse(" 2:6 ") == Phase(2, 6)
    with pytest.raises(ValueError, match="not a phase"):
        Phase.parse("2.6")


def test_plotting_done_only_after_phase_4() -> None:
    assert not Phase(4, 9).plotting_done
    assert Phase(5, 0).plotting_done
