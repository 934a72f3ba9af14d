from __future__ import annotations

import struct
from pathlib import Path

import pytest

from common.errors import PlotFileError
from common.plotfile import check_header_matches, parse_header, parse_name, read_header, validate_plot

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
])
def test_invalid_names(name: str) -> None:
    with pytest.raises(PlotFileError):
        parse_name(name)


def _v2_header(plot_id: bytes, k: int, level: int) -> bytes:
    memo = b"m" * 128
    flags = 1 if level else 0
    head = b"PLOT" + struct.pack("<I", 2) + plot_id + bytes([k]) + struct.pack(">H", len(memo)) + memo
    return head + struct.pack("<I", flags) + (bytes([level]) if level else b"") + bytes(160)


def test_v2_compressed_header() -> None:
    header = parse_header(_v2_header(bytes.fromhex(PLOT_ID), 32, 7))
    assert (header.version, header.plot_id, header.k, header.level) == (2, PLOT_ID, 32, 7)


def test_v2_uncompressed_header() -> None:
    header = parse_header(_v2_header(bytes.fromhex(PLOT_ID), 32, 0))
    assert (header.version, header.level) == (2, 0)


def test_real_v1_plot_validates(plot_pool: list[Path]) -> None:
    name, header = validate_plot(plot_pool[0])
    assert header.version == 1 and header.k == 18 and header.plot_id == name.plot_id


def test_header_id_must_match_name(plot_pool: list[Path], tmp_path: Path) -> None:
    other = tmp_path / f"plot-k18-{PLOT_ID}.plot"
    other.write_bytes(plot_pool[0].read_bytes()[:4096])
    with pytest.raises(PlotFileError, match="differs from the name"):
        validate_plot(other)


def test_header_k_must_match_name() -> None:
    header = parse_header(_v2_header(bytes.fromhex(PLOT_ID), 32, 0))
    with pytest.raises(PlotFileError, match="k32"):
        check_header_matches(parse_name(f"plot-k33-{PLOT_ID}.plot"), header)


@pytest.mark.parametrize("data", [b"", b"Proof of Space Plot" + b"\x00" * 10, b"PLOT\x02\x00", b"garbage" * 100])
def test_truncated_or_foreign_headers(data: bytes, tmp_path: Path) -> None:
    path = tmp_path / f"plot-k18-{PLOT_ID}.plot"
    path.write_bytes(data)
    with pytest.raises(PlotFileError):
        read_header(path)
