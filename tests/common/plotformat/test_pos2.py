"""PoS2 (CHIP-48) plots: real ones from chia_rs 0.53, and a header recorded from chia_rs 0.48."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from common.errors import PlotContentError, PlotIncompleteError
from common.plotformat import VERSION_POS2
from common.plotformat.plotfile import parse_name, read_header, validate_plot

DATA = Path(__file__).parent.parent.parent / "data" / "pos2"
INDEX_OFFSET_AT = 42  # PoS2 v2: u64 LE chunk index offset


def test_real_pos2_plot_validates(pos2_pool: list[Path]) -> None:
    for plot in pos2_pool:
        name, header = validate_plot(plot)
        assert (header.version, header.family, header.k, header.level) == (VERSION_POS2, "pos2", 18, None)
        assert header.plot_id == name.plot_id and name.pos2
        (index_at,) = struct.unpack_from("<Q", plot.read_bytes(), INDEX_OFFSET_AT)
        # the chunks end where the chunk index starts; the index runs to the end of the file
        assert header.end == index_at + 1 <= plot.stat().st_size


@pytest.mark.parametrize("cut", ["half", "at_index"])
def test_pos2_plot_cut_short_is_incomplete(pos2_pool: list[Path], tmp_path: Path, cut: str) -> None:
    data = pos2_pool[0].read_bytes()
    (index_at,) = struct.unpack_from("<Q", data, INDEX_OFFSET_AT)
    plot = tmp_path / pos2_pool[0].name
    plot.write_bytes(data[:len(data) // 2] if cut == "half" else data[:index_at])
    with pytest.raises(PlotIncompleteError, match="pos2 header's layout needs at least"):
        validate_plot(plot)


def test_pos2_plot_before_its_index_offset_is_written_is_incomplete(pos2_pool: list[Path], tmp_path: Path) -> None:
    data = bytearray(pos2_pool[0].read_bytes())
    data[INDEX_OFFSET_AT:INDEX_OFFSET_AT + 8] = bytes(8)  # what chia_rs writes first, fixed up at the end
    plot = tmp_path / pos2_pool[0].name
    plot.write_bytes(bytes(data))
    with pytest.raises(PlotIncompleteError, match="chunk index offset in the header not filled in"):
        validate_plot(plot)


def test_pos2_header_must_match_the_name(pos2_pool: list[Path], plot_pool: list[Path], tmp_path: Path) -> None:
    source = pos2_pool[0]
    cases = {
        source.name.replace("plot-k18-", "plot-k20-"): ("header says k18, name says k20", source),
        source.name.removesuffix("2"): ("a pos2 header under a .plot name", source),
        f"plot-k18-{'ab' * 32}.plot2": ("differs from the name's id", source),
        f"plot-k18-{parse_name(plot_pool[0].name).plot_id}.plot2": ("a v1 header under a .plot2 name", plot_pool[0]),
    }
    for name, (reason, origin) in cases.items():
        liar = tmp_path / name
        liar.write_bytes(origin.read_bytes())
        with pytest.raises(PlotContentError, match=reason):
            validate_plot(liar)


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
    assert (header.version, header.k, header.plot_id) == (VERSION_POS2, 18, name.plot_id)
    assert header.end == path.stat().st_size  # the last chunk ends the file


def test_recorded_pos2_v1_cut_short(tmp_path: Path) -> None:
    with pytest.raises(PlotIncompleteError, match="needs at least 641630"):
        validate_plot(_recorded_v1_plot(tmp_path, -1))


def test_recorded_pos2_v1_with_zero_offsets_is_incomplete(tmp_path: Path) -> None:
    path = _recorded_v1_plot(tmp_path)
    with open(path, "r+b") as handle:
        handle.seek(195 - 8)  # the last chunk offset: zero until every chunk is written
        handle.write(bytes(8))
    with pytest.raises(PlotIncompleteError, match="chunk offsets in the header not filled in"):
        read_header(path)
