"""The referee of a plot name: one answer for every sender, whatever the order of its [nas] sections."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from plotter.send.rendezvous import referee, weight

NAMES = [f"plot-k32-2026-01-01-00-00-{i:064x}.plot" for i in range(3000)]


def test_weights_are_fixed_numbers() -> None:
    # Pinned: a plotter of another version choosing differently would break the one lock.
    assert weight("nas01", "x") == 0x89110279B03369DC
    assert weight("nas01", "ab") != weight("nas01a", "b")  # the separator keeps "nas01"+"ab" apart


def test_the_order_of_the_sections_does_not_matter() -> None:
    nas = ["nas01", "nas02", "nas03"]
    for name in NAMES[:200]:
        choices = {referee(order, name) for order in itertools.permutations(nas)}
        assert len(choices) == 1


def test_names_spread_over_the_nas() -> None:
    counts = Counter(referee(["nas01", "nas02", "nas03"], name) for name in NAMES)
    assert set(counts) == {"nas01", "nas02", "nas03"}
    assert all(800 < n < 1200 for n in counts.values()), counts  # about a third each


def test_removing_a_nas_moves_only_its_names() -> None:
    before = {name: referee(["nas01", "nas02", "nas03"], name) for name in NAMES}
    after = {name: referee(["nas01", "nas02"], name) for name in NAMES}
    moved = [name for name in NAMES if before[name] != after[name]]
    assert moved and all(before[name] == "nas03" for name in moved)


def test_the_heaviest_wins_and_duplicates_count_once() -> None:
    name = NAMES[7]
    heaviest = max(["a", "b", "c"], key=lambda nas: weight(nas, name))
    assert referee(["a", "b", "c", "a"], name) == heaviest
    assert referee(["only"], name) == "only"
    with pytest.raises(ValueError, match="no NAS"):
        referee([], name)
