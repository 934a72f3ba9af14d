from __future__ import annotations

import struct
from pathlib import Path

import pytest

from common.errors import PlotContentError, PlotFileError, PlotIncompleteError
from common.plotformat.plotfile import check_header_matches, parse_header, parse_name, read_header, validate_plot

PLOT_ID = "ab" * 32


@pytest.mark.parametrize(("name", "k", "level", "date"), [
    (f"plot-k32-2021-06-01-10-20-{PLOT_ID}.plot", 32, 0, "2021-06-01-10-20"),
    (f"plot-k18-{PLOT_ID}.plot", 18, 0, None),
    (f"plot-k32-c05-2023-06-01-10-20-{PLOT_ID}.plot", 32, 5, "2023-06-01-10-20"),
    (f"plot-k33-c33-{PLOT_ID}.plot", 33, 33, None),
])
def test_valid_names(name: str, k: int, level: int, date: str | None) -> None:
    parsed = parse_name(name)
    assert (parsed.k, parsed.level, parsed.date, parsed.plot_id) == (k, level, date, PLOT_ID)


@pytest.mark.parametrize("name", [
    f"plot-k32-2021-06-01-10-20-{PLOT_ID}.plot.tmp",       # chiapos/madMAx temp file
    f"plot-k32-2021-06-01-10-20-{PLOT_ID}.plot.2.tmp",
    f"plot-k32-2021-06-01-10-20-{PLOT_ID[:-2]}.plot",      # short id
    f"plot-k32-2021-06-01-10-20-{PLOT_ID.upper()}.plot",
    f"plot-k17-{PLOT_ID}.plot",                            # k out of range
    f"plot-k32-c00-{PLOT_ID}.plot", f"plot-k32-c34-{PLOT_ID}.plot",
    f"../plot-k32-{PLOT_ID}.plot", f"plot-k32-{PLOT_ID}.plot; rm -rf /",
    # Unicode digits: int() reads them, the name rules must not (ASCII only)
    f"plot-k\u0661\u0668-{PLOT_ID}.plot", f"plot-k32-c\u0660\u0665-{PLOT_ID}.plot",
    f"plot-k32-\uff12\uff10\uff12\uff11-06-01-10-20-{PLOT_ID}.plot", f"plot-k\u0661\u0668-{PLOT_ID}.plot2",
    # PoS2 names: even k18..k32, no level, no date
    f"plot-k19-{PLOT_ID}.plot2", f"plot-k34-{PLOT_ID}.plot2", f"plot-k18-c01-{PLOT_ID}.plot2",
    f"plot-k18-2021-06-01-10-20-{PLOT_ID}.plot2", f"plot-k18-{PLOT_ID}.plot2.partial",
])
def test_invalid_names(name: str) -> None:
    with pytest.raises(PlotFileError):
        parse_name(name)


def test_pos2_name() -> None:
    parsed = parse_name(f"plot-k28-{PLOT_ID}.plot2")
    assert (parsed.k, parsed.level, parsed.date, parsed.plot_id, parsed.pos2) == (28, 0, None, PLOT_ID, True)
    assert not parse_name(f"plot-k28-{PLOT_ID}.plot").pos2


# A bladebit v2 layout: tables (pointer, size); the sizes are what the header records.
V2_TABLES = [(4096, 1000), (5096, 2000), (0, 0), (7096, 50_000)] + [(60_000 + i, 1) for i in range(6)]


def _v2_header(plot_id: bytes, k: int, level: int, tables: list[tuple[int, int]] = V2_TABLES) -> bytes:
    memo = b"m" * 128
    flags = 1 if level else 0
    head = b"PLOT" + struct.pack("<I", 2) + plot_id + bytes([k]) + struct.pack(">H", len(memo)) + memo
    pointers = struct.pack(">10Q", *(p for p, _ in tables)) + struct.pack("<10Q", *(s for _, s in tables))
    return head + struct.pack("<I", flags) + (bytes([level]) if level else b"") + pointers


def test_v2_compressed_header() -> None:
    header = parse_header(_v2_header(bytes.fromhex(PLOT_ID), 32, 7))
    assert (header.version, header.plot_id, header.k, header.level) == (2, PLOT_ID, 32, 7)
    assert header.end == 60_005 + 1  # the furthest pointer + size; the empty table is skipped


def test_v2_uncompressed_header() -> None:
    header = parse_header(_v2_header(bytes.fromhex(PLOT_ID), 32, 0))
    assert (header.version, header.level, header.family) == (2, 0, "v2")


def test_v2_without_table_sizes_is_unfinished() -> None:
    with pytest.raises(PlotIncompleteError, match="not filled in"):
        parse_header(_v2_header(bytes.fromhex(PLOT_ID), 32, 7, [(0, 0)] * 10))


def test_v2_file_shorter_than_its_tables_is_refused(tmp_path: Path) -> None:
    path = tmp_path / f"plot-k32-c07-{PLOT_ID}.plot"
    path.write_bytes(_v2_header(bytes.fromhex(PLOT_ID), 32, 7))
    with open(path, "r+b") as handle:
        handle.truncate(60_005)  # one byte short of the last table's end
    with pytest.raises(PlotIncompleteError, match="needs at least 60006"):
        validate_plot(path)
    with open(path, "r+b") as handle:
        handle.truncate(60_006)
    assert validate_plot(path)[1].end == 60_006


def test_real_v1_plot_validates(plot_pool: list[Path]) -> None:
    for plot in plot_pool:
        name, header = validate_plot(plot)
        assert header.version == 1 and header.k == 18 and header.plot_id == name.plot_id
        # chiapos writes every C3 park whole: the layout's end is the file's end, not just a bound
        assert header.end == plot.stat().st_size


def test_real_v1_plot_cut_short_is_refused(plot_pool: list[Path], tmp_path: Path) -> None:
    plot = tmp_path / plot_pool[0].name
    data = plot_pool[0].read_bytes()
    for size in (1_000_000, len(data) - 1):
        plot.write_bytes(data[:size])
        with pytest.raises(PlotIncompleteError, match=f"is {size} bytes but its v1 header"):
            validate_plot(plot)


def test_real_v1_plot_without_table_pointers_is_unfinished(plot_pool: list[Path], tmp_path: Path) -> None:
    data = bytearray(plot_pool[0].read_bytes()[:4096])
    pointers_at = 19 + 32 + 1 + 2 + 4 + 2 + 128
    data[pointers_at + 7 * 8:pointers_at + 10 * 8] = bytes(24)  # C1..C3 come last, in phase 4
    with pytest.raises(PlotIncompleteError, match="table pointers in the header not filled in"):
        parse_header(bytes(data))


def test_k18_plot_under_a_k32_name_is_refused(plot_pool: list[Path], tmp_path: Path) -> None:
    source = plot_pool[0]
    liar = tmp_path / source.name.replace("plot-k18-", "plot-k32-")
    liar.write_bytes(source.read_bytes())
    with pytest.raises(PlotContentError, match="header says k18, name says k32"):
        validate_plot(liar)


def test_header_id_must_match_name(plot_pool: list[Path], tmp_path: Path) -> None:
    other = tmp_path / f"plot-k18-{PLOT_ID}.plot"
    other.write_bytes(plot_pool[0].read_bytes()[:4096])
    with pytest.raises(PlotFileError, match="differs from the name"):
        validate_plot(other)


def test_header_k_must_match_name() -> None:
    header = parse_header(_v2_header(bytes.fromhex(PLOT_ID), 32, 0))
    with pytest.raises(PlotFileError, match="k32"):
        check_header_matches(parse_name(f"plot-k33-{PLOT_ID}.plot"), header)


@pytest.mark.parametrize("data", [b"", b"Proof of Space Plot" + b"\x00" * 10, b"PLOT\x02\x00", b"garbage" * 100,
                                  b"PoS2\x02" + bytes(20), b"pos2\x01" + bytes(20), b"PoS2\x07" + bytes(100)])
def test_truncated_or_foreign_headers(data: bytes, tmp_path: Path) -> None:
    path = tmp_path / f"plot-k18-{PLOT_ID}.plot"
    path.write_bytes(data)
    with pytest.raises(PlotFileError):
        read_header(path)
