"""Plot replacement: the rule syntax, the fewest-plots choice, and deletion only for a real incoming plot."""

from __future__ import annotations

import itertools
import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from common.errors import ConfigError, NoSpaceError
from common.plotformat.plotfile import parse_name
from nas import config as nas_config
from nas.drives.select import reserve_drive, total_free
from nas.replace.plan import Candidate, fewest
from nas.replace.preview import preview
from nas.replace.rules import PlotFacts, matches, parse_rule
from nas.state import DB_NAME
from tests.helpers import make_nas
from tests.nas.conftest import replace_for, v1_header, v2_header, write_plot

S = 64 * 1024  # one test plot
NAME = "plot-k32-2021-05-01-10-00-" + "ab" * 32 + ".plot"


def facts(name: str = NAME, version: int | None = 1, level: int | None = 0, created: float = 0.0) -> PlotFacts:
    return PlotFacts(parse_name(name), version, level, created)


# -- the rule syntax -----------------------------------------------------------------------------


def test_rule_conditions_all_must_hold() -> None:
    rule = parse_rule("v1, k = 32, name plot-k32-2021-*, before 2022-01-01")
    assert matches(rule, facts(created=1_600_000_000))  # 2020
    assert not matches(rule, facts(created=1_700_000_000))  # 2023
    assert not matches(rule, facts(version=2, created=1_600_000_000))
    assert not matches(parse_rule("k < 32"), facts())


def test_level_comparison_and_unreadable_header() -> None:
    rule = parse_rule("level < 5")
    assert matches(rule, facts(version=2, level=4)) and not matches(rule, facts(version=2, level=5))
    assert not matches(rule, facts(version=None, level=None))  # unclassified: never deleted
    assert not matches((), facts())  # an empty rule matches nothing


def test_pos2_plots_match_only_rules_that_say_pos2() -> None:
    pos2 = f"plot-k18-{'cd' * 32}.plot2"
    assert matches(parse_rule("pos2"), facts(pos2, version=3, level=None))
    assert matches(parse_rule("pos2, k = 18"), facts(pos2, version=3, level=None))
    for rule in ("k = 18", "name plot-k18-*", "before 2030-01-01", "level < 5", "v1", "v2"):
        assert not matches(parse_rule(rule), facts(pos2, version=3, level=None)), rule
    assert not matches(parse_rule("pos2"), facts(version=1))
    assert not matches(parse_rule("pos2"), facts(pos2, version=None, level=None))  # unreadable header


def test_gplot_groups_match_only_rules_that_say_gplot() -> None:
    group = f"plot-k18-{'cd' * 32}.gplot"
    assert matches(parse_rule("gplot"), facts(group, version=4, level=None))
    assert matches(parse_rule("gplot, k = 18, name plot-k18-*"), facts(group, version=4, level=None))
    for rule in ("pos2", "pos2, k = 18", "k = 18", "name plot-k18-*", "before 2030-01-01", "v1", "level < 5"):
        assert not matches(parse_rule(rule), facts(group, version=4, level=None)), rule
    assert not matches(parse_rule("gplot"), facts(f"plot-k18-{'cd' * 32}.plot2", version=3, level=None))
    assert not matches(parse_rule("gplot"), facts(group, version=None, level=None))  # unreadable header
    # a group header under a .plot2 name (refused on arrival; one may sit on an old drive): neither rule
    assert not matches(parse_rule("gplot"), facts(group.replace(".gplot", ".plot2"), version=4, level=None))
    assert not matches(parse_rule("pos2"), facts(group.replace(".gplot", ".plot2"), version=4, level=None))


@pytest.mark.parametrize("text", ["v3", "level << 5", "compressed", "before 2023-13-45", "name", "pos3",
                                  "level < \u0665", "before \u0662\u0660\u0662\u0663-01-01"])
def test_bad_rules_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rule(text)


def test_enabled_replace_needs_a_match(tmp_path: Path) -> None:
    nas = make_nas(tmp_path, drives=1, drive_sections="[replace]\nenabled = true\n")
    with pytest.raises(ConfigError, match=r"\[replace\] match: required when enabled"):
        nas_config.load(nas.ini)


# -- fewest: pure ----------------------------------------------------------------------------------


def cands(sizes: list[int]) -> list[Candidate]:
    return [Candidate(Path(f"/d/p{i}"), size, float(i)) for i, size in enumerate(sizes)]


def test_fewest_matches_brute_force() -> None:
    rng = random.Random(1234)
    for _ in range(300):
        sizes = [rng.randint(1, 20) for _ in range(rng.randint(0, 7))]
        need = rng.randint(-3, 60)
        got = fewest(cands(sizes), need)
        best = next((k for k in range(len(sizes) + 1)
                     if any(sum(c) >= need for c in itertools.combinations(sizes, k))), None)
        if best is None:
            assert got is None
        else:
            assert got is not None and len(got) == best and sum(c.freed for c in got) >= need


def test_fewest_prefers_the_oldest_that_suffice() -> None:
    got = fewest(cands([10, 10, 10, 25]), 10)
    assert [c.path.name for c in got or ()] == ["p0"]
    got = fewest(cands([10, 10, 10, 25]), 15)
    assert [c.path.name for c in got or ()] == ["p3"]  # one big one beats two old small ones


# -- reserve_drive on plain directories ------------------------------------------------------------


def nas_cfg(tmp_path: Path, quotas: dict[str, int], enabled: bool = True,
            match: str = "v1") -> nas_config.NasConfig:
    drives = [tmp_path / "drives" / name for name in quotas]
    sections = "".join(f"[drive {d}]\nquota = {q}\n" for d, q in zip(drives, quotas.values(), strict=True))
    sections += f"[replace]\nenabled = {str(enabled).lower()}\nmatch = {match}\n"
    nas = make_nas(tmp_path, drive_dirs=drives, drive_sections=sections)
    return nas_config.load(nas.ini)


def plots(directory: Path) -> set[str]:
    return {p.name for pattern in ("plot-*.plot", "plot-*.plot2", "plot-*.gplot") for p in directory.glob(pattern)}


def deletions(cfg: nas_config.NasConfig) -> list[tuple[str, str]]:
    with sqlite3.connect(cfg.nas.state_dir / DB_NAME) as conn:
        return [(Path(p).name, inc) for p, inc in conn.execute("SELECT path, incoming FROM deletions")]


def test_deletes_the_fewest_on_one_drive_only(tmp_path: Path) -> None:
    cfg = nas_cfg(tmp_path, {"drive1": 3 * S + S // 2, "drive2": 3 * S})
    d1, d2 = (o.mountpoint for o in cfg.drives)
    old = write_plot(d1, S, date="2021-01-01-00-00", header=v1_header())
    write_plot(d1, S, date="2022-01-01-00-00", header=v1_header())
    write_plot(d1, S, date="2023-01-01-00-00", header=v1_header())
    kept = {write_plot(d2, S, header=v1_header()).name, write_plot(d2, S, header=v1_header()).name,
            write_plot(d2, S, level=5, header=v2_header(level=5)).name}
    before = plots(d1)

    res = reserve_drive(cfg, S, incoming="plot-incoming", wait=0)
    try:
        assert plots(d1) == before  # planned, not yet deleted: no data connection so far
        replace_for(cfg, res)
    finally:
        res.release()

    assert res.drive.mountpoint == d1
    assert plots(d1) == before - {old.name}  # exactly one, the oldest
    assert plots(d2) == kept
    assert deletions(cfg) == [(old.name, "plot-incoming")]
    with sqlite3.connect(cfg.nas.state_dir / DB_NAME) as conn:
        cached = {Path(p).name for (p,) in conn.execute("SELECT path FROM headers")}
    assert old.name not in cached and len(cached) == 5  # the deleted plot's header left with it


def test_prefers_the_drive_needing_fewer_deletions(tmp_path: Path) -> None:
    cfg = nas_cfg(tmp_path, {"drive1": 2 * S, "drive2": 2 * S + S // 2})
    d1, d2 = (o.mountpoint for o in cfg.drives)
    one = {write_plot(d1, S, header=v1_header()).name for _ in range(2)}
    write_plot(d2, S, header=v1_header())
    write_plot(d2, S, header=v1_header())
    res = reserve_drive(cfg, S + S // 2, incoming="plot-incoming", wait=0)
    replace_for(cfg, res)
    res.release()
    assert res.drive.mountpoint == d2 and plots(d1) == one and len(plots(d2)) == 1


def test_never_deletes_a_plot_that_does_not_match(tmp_path: Path) -> None:
    cfg = nas_cfg(tmp_path, {"drive1": 3 * S}, match="level < 3")
    (d1,) = (o.mountpoint for o in cfg.drives)
    write_plot(d1, S, level=1, header=v2_header(level=1))  # matches, but one is not enough
    write_plot(d1, S, level=7, header=v2_header(level=7))
    write_plot(d1, S, header=b"garbage")  # unreadable header: never matches
    before = plots(d1)
    with pytest.raises(NoSpaceError):
        reserve_drive(cfg, 2 * S, incoming="plot-incoming", wait=0)
    assert plots(d1) == before and deletions(cfg) == []


@pytest.mark.parametrize("pool, match, replaced", [("pos2_pool", "k = 18", False), ("pos2_pool", "pos2", False),
                                                   ("pos2_pool", "gplot", True), ("plot2_v1_pool", "gplot", False),
                                                   ("plot2_v1_pool", "pos2", True)])
def test_real_pos2_plots_are_replaced_only_by_a_rule_naming_their_format(
        tmp_path: Path, request: pytest.FixtureRequest, pool: str, match: str, replaced: bool) -> None:
    """Real .gplot groups (chia_rs 0.53) and .plot2 plots (chia_rs 0.52): each format only by its own rule."""
    sources: list[Path] = request.getfixturevalue(pool)
    size = max(p.stat().st_size for p in sources)
    cfg = nas_cfg(tmp_path, {"drive1": 2 * size}, match=match)
    (d1,) = (o.mountpoint for o in cfg.drives)
    for plot in sources[:2]:
        shutil.copy2(plot, d1 / plot.name)
    before = plots(d1)
    if not replaced:
        with pytest.raises(NoSpaceError):
            reserve_drive(cfg, size, incoming="plot-incoming", wait=0)
        assert plots(d1) == before and deletions(cfg) == []
        return
    res = reserve_drive(cfg, size, incoming="plot-incoming", wait=0)
    replace_for(cfg, res)
    res.release()
    assert len(plots(d1)) == 1 and plots(d1) < before and len(deletions(cfg)) == 1


@pytest.mark.parametrize("enabled, incoming", [(False, "plot-incoming"), (True, None)])
def test_no_deletion_without_replacement_or_an_incoming_plot(tmp_path: Path, enabled: bool,
                                                             incoming: str | None) -> None:
    cfg = nas_cfg(tmp_path, {"drive1": 2 * S}, enabled=enabled)
    (d1,) = (o.mountpoint for o in cfg.drives)
    before = {write_plot(d1, S, header=v1_header()).name for _ in range(2)}
    with pytest.raises(NoSpaceError):
        reserve_drive(cfg, S, incoming=incoming, wait=0)
    assert plots(d1) == before


def test_a_reservation_that_never_receives_deletes_nothing(tmp_path: Path) -> None:
    cfg = nas_cfg(tmp_path, {"drive1": 2 * S})
    (d1,) = (o.mountpoint for o in cfg.drives)
    before = {write_plot(d1, S, header=v1_header()).name for _ in range(2)}
    res = reserve_drive(cfg, S, incoming="plot-incoming", wait=0)
    assert res.pending is not None and len(res.pending.victims) == 1
    res.release()  # the plotter never connected
    assert plots(d1) == before and deletions(cfg) == []


def test_space_answer_counts_replaceable_plots(tmp_path: Path) -> None:
    cfg = nas_cfg(tmp_path, {"drive1": 2 * S})
    (d1,) = (o.mountpoint for o in cfg.drives)
    before = {write_plot(d1, S, header=v1_header()).name, write_plot(d1, S, header=v2_header()).name}
    free, largest, count = total_free(cfg)
    assert (free, largest, count) == (S, S, 1)
    assert plots(d1) == before


def test_dry_run_lists_the_next_victims_and_deletes_nothing(tmp_path: Path) -> None:
    cfg = nas_cfg(tmp_path, {"drive1": 2 * S}, enabled=False)
    (d1,) = (o.mountpoint for o in cfg.drives)
    old = write_plot(d1, S, date="2020-01-01-00-00", header=v1_header())
    write_plot(d1, S, date="2021-01-01-00-00", header=v1_header())
    before = plots(d1)
    text = preview(cfg)
    assert "DISABLED" in text and "replaceable: 2 plot(s)" in text
    assert f"would replace 1 plot(s) on {d1}" in text and old.name in text
    assert plots(d1) == before


def test_second_incoming_plot_replaces_on_another_drive_while_the_first_is_busy(tmp_path: Path) -> None:
    cfg = nas_cfg(tmp_path, {"drive1": 2 * S, "drive2": 2 * S})
    d1, d2 = (o.mountpoint for o in cfg.drives)
    for drive in (d1, d2):
        write_plot(drive, S, header=v1_header())
        write_plot(drive, S, header=v1_header())
    first = reserve_drive(cfg, S, incoming="plot-first", wait=0)
    try:
        assert first.drive.mountpoint == d1
        replace_for(cfg, first)
        write_plot(d1, S)  # the first transfer's plot taking its room
        second = reserve_drive(cfg, S, incoming="plot-second", wait=0)
        replace_for(cfg, second)
        second.release()
    finally:
        first.release()
    assert second.drive.mountpoint == d2
    assert sorted(inc for _, inc in deletions(cfg)) == ["plot-first", "plot-second"]
    assert len(plots(d1)) == 2 and len(plots(d2)) == 1
