"""PoS2 (CHIP-48) plots: real ``.gplot`` groups from chia_rs 0.53, real ``.plot2`` plots from chia_rs 0.52
(a venv of its own), and a ``.plot2`` header recorded from chia_rs 0.48."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from common.errors import PlotContentError, PlotIncompleteError, PlotUnfinishedError
from common.plotformat import VERSION_GPLOT, VERSION_POS2
from common.plotformat.plotfile import (
    PlotKind,
    parse_name,
    plots_in_file,
    read_header,
    read_pos2_facts,
    validate_plot,
)
from common.plotformat.plotgen import make_gplot
from common.plotformat.sizes import check_group_size, check_plausible_size

DATA = Path(__file__).parent.parent.parent / "data" / "pos2"
INDEX_OFFSET_AT = 42  # PoS2 v2: u64 LE chunk index offset


def test_real_gplot_validates(pos2_pool: list[Path]) -> None:
    for plot in pos2_pool:
        name, header = validate_plot(plot)
        assert (header.version, header.family, header.k, header.level) == (VERSION_GPLOT, "gplot", 18, None)
        assert (header.group_size, header.strength, header.meta_group) == (1, 2, 0)
        assert header.plot_id == name.plot_id and name.kind == PlotKind.GPLOT and name.pos2 and name.group
        (index_at,) = struct.unpack_from("<Q", plot.read_bytes(), INDEX_OFFSET_AT)
        # the chunks end where the chunk index starts; the index runs to the end of the file
        assert header.end == index_at + 1 <= plot.stat().st_size
        check_plausible_size(plot.name, plot.stat().st_size)
        check_group_size(name, header, plot.stat().st_size)
        assert plots_in_file(plot, name) == 1


def test_real_plot2_v1_validates(plot2_v1_pool: list[Path]) -> None:
    for plot in plot2_v1_pool:
        name, header = validate_plot(plot)
        assert (header.version, header.family, header.k, header.group_size) == (VERSION_POS2, "pos2", 18, 1)
        assert header.plot_id == name.plot_id and name.kind == PlotKind.PLOT2 and not name.group
        assert header.end == plot.stat().st_size  # the last chunk ends the file
        check_plausible_size(plot.name, plot.stat().st_size)
        check_group_size(name, header, plot.stat().st_size)


@pytest.mark.parametrize("cut", ["half", "at_index"])
def test_gplot_cut_short_is_incomplete_not_unfinished(pos2_pool: list[Path], tmp_path: Path, cut: str) -> None:
    data = pos2_pool[0].read_bytes()
    (index_at,) = struct.unpack_from("<Q", data, INDEX_OFFSET_AT)
    plot = tmp_path / pos2_pool[0].name
    plot.write_bytes(data[:len(data) // 2] if cut == "half" else data[:index_at])
    with pytest.raises(PlotIncompleteError, match="gplot header's layout needs at least") as caught:
        validate_plot(plot)
    assert not isinstance(caught.value, PlotUnfinishedError)  # the offset is set: cut short, not in progress


def test_plot2_v1_cut_short_is_incomplete(plot2_v1_pool: list[Path], tmp_path: Path) -> None:
    data = plot2_v1_pool[0].read_bytes()
    plot = tmp_path / plot2_v1_pool[0].name
    plot.write_bytes(data[:-1])
    with pytest.raises(PlotIncompleteError, match=f"needs at least {len(data)}") as caught:
        validate_plot(plot)
    assert not isinstance(caught.value, PlotUnfinishedError)


def test_gplot_before_its_index_offset_is_written_is_unfinished(pos2_pool: list[Path], tmp_path: Path) -> None:
    data = bytearray(pos2_pool[0].read_bytes())
    data[INDEX_OFFSET_AT:INDEX_OFFSET_AT + 8] = bytes(8)  # what chia_rs writes first, fixed up at the end
    plot = tmp_path / pos2_pool[0].name
    plot.write_bytes(bytes(data))
    with pytest.raises(PlotUnfinishedError, match="chunk index offset in the header not filled in"):
        validate_plot(plot)
    assert plots_in_file(plot, parse_name(plot.name)) == 1  # the group size is there from the start


def test_gplot_header_must_match_the_name(pos2_pool: list[Path], plot_pool: list[Path],
                                          plot2_v1_pool: list[Path], tmp_path: Path) -> None:
    source = pos2_pool[0]
    v1_id = parse_name(plot2_v1_pool[0].name).plot_id
    cases = {
        source.name.replace("plot-k18-", "plot-k20-"): ("header says k18, name says k20", source),
        source.name.replace(".gplot", ".plot"): ("a PoS2 .version 2, plot group. header under a .plot name", source),
        f"plot-k18-{'ab' * 32}.gplot": ("differs from the name's id", source),
        f"plot-k18-{parse_name(plot_pool[0].name).plot_id}.gplot": ("a v1 header under a .gplot name", plot_pool[0]),
        f"plot-k18-{v1_id}.gplot": ("a pos2 .version 1, one plot. header under a .gplot name", plot2_v1_pool[0]),
    }
    for name, (reason, origin) in cases.items():
        liar = tmp_path / name
        liar.write_bytes(origin.read_bytes())
        with pytest.raises(PlotContentError, match=reason):
            validate_plot(liar)


def test_a_group_file_under_a_plot2_name_is_refused_with_the_fix(pos2_pool: list[Path], tmp_path: Path) -> None:
    """What a chia_rs 0.53 test build left on a farm: chia 2.7.5 would not farm it as .plot2."""
    liar = tmp_path / pos2_pool[0].name.replace(".gplot", ".plot2")
    liar.write_bytes(pos2_pool[0].read_bytes())
    with pytest.raises(PlotContentError, match=r"plot group\) header under a \.plot2 name .*rename it to \.gplot"):
        validate_plot(liar)


def test_group_size_is_read_from_the_header_and_bounds_the_size(pos2_pool: list[Path], tmp_path: Path) -> None:
    """chia_rs 0.53's Python API makes only single-plot groups: the group size field of a real one is
    set to 3 here, a header-level stand-in for a 3-plot group (the size check is against that field)."""
    data = bytearray(pos2_pool[0].read_bytes())
    data[39:41] = (3).to_bytes(2, "little")
    plot = tmp_path / pos2_pool[0].name
    plot.write_bytes(bytes(data))
    name = parse_name(plot.name)
    assert plots_in_file(plot, name) == 3
    header = read_header(plot)
    assert header.group_size == 3
    with pytest.raises(PlotContentError, match="implausible for a group of 3 k18 plots"):
        check_group_size(name, header, len(data))  # one plot's bytes cannot hold three
    check_group_size(name, header, 3 * len(data))
    data[39:41] = bytes(2)
    plot.write_bytes(bytes(data))
    with pytest.raises(PlotContentError, match="a plot group of 0 plots"):
        read_header(plot)


def _recorded_v1_plot(directory: Path, size_delta: int = 0) -> Path:
    """The real header and chunk index of a chia_rs 0.48 plot (``pos2`` version 1), and
    the length prefix of its last chunk, laid out at their real offsets in a sparse file."""
    facts = json.loads((DATA / "chia_rs-0.48.0-k18.json").read_text())
    path = directory / str(facts["name"])
    with open(path, "wb") as handle:
        handle.write((DATA / "chia_rs-0.48.0-k18.head").read_bytes())
        handle.seek(facts["last_chunk_at"])
        handle.write(bytes.fromhex(facts["last_chunk_prefix"]))
        handle.truncate(facts["size"] + size_delta)
    return path


def test_recorded_pos2_v1_header(tmp_path: Path) -> None:
    path = _recorded_v1_plot(tmp_path)
    name, header = validate_plot(path)
    assert (header.version, header.k, header.plot_id, header.group_size) == (VERSION_POS2, 18, name.plot_id, 1)
    assert header.end == path.stat().st_size  # the last chunk ends the file


def test_recorded_pos2_v1_cut_short(tmp_path: Path) -> None:
    with pytest.raises(PlotIncompleteError, match="needs at least 641630"):
        validate_plot(_recorded_v1_plot(tmp_path, -1))


def test_recorded_pos2_v1_with_zero_offsets_is_incomplete(tmp_path: Path) -> None:
    path = _recorded_v1_plot(tmp_path)
    with open(path, "r+b") as handle:
        handle.seek(195 - 8)  # the last chunk offset: zero until every chunk is written
        handle.write(bytes(8))
    with pytest.raises(PlotUnfinishedError, match="chunk offsets in the header not filled in"):
        read_header(path)


def test_pos2_facts_from_the_first_bytes(plot2_v1_pool: list[Path], tmp_path: Path) -> None:
    """Real files: a chia_rs .gplot's meta group and group size, a .plot2's meta group and one plot;
    readable before the chunk index offset is written; anything else is refused in one line."""
    group = make_gplot(tmp_path / "made", meta_group=77)
    assert read_pos2_facts(group) == (77, 1) == (read_header(group).meta_group, read_header(group).group_size)
    single = plot2_v1_pool[0]
    assert read_pos2_facts(single) == (read_header(single).meta_group, 1)
    data = bytearray(group.read_bytes())
    data[INDEX_OFFSET_AT:INDEX_OFFSET_AT + 8] = bytes(8)  # still being written
    data[39:41] = (9).to_bytes(2, "little")
    unfinished = tmp_path / group.name
    unfinished.write_bytes(bytes(data))
    assert read_pos2_facts(unfinished) == (77, 9)
    for content, reason in ((group.read_bytes()[:30], "too short for a PoS2 header"), (b"x" * 100, "no PoS2 header")):
        unfinished.write_bytes(content)
        with pytest.raises(PlotContentError, match=f"^{unfinished.name}: {reason}$"):
            read_pos2_facts(unfinished)
