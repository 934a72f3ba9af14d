"""PoS2 files end to end over the private sshd: real ``.gplot`` groups (chia_rs 0.53) and real ``.plot2``
plots (chia_rs 0.52) are sent, verified and counted as plots by both roles; a group still being written
is never sent; cut short or mislabelled files are refused on both sides."""

from __future__ import annotations

import json
import logging
import shutil
import struct
from pathlib import Path

import pytest

from common.plotformat import pos2
from common.transfer.stream import hash_file
from plotter import config as plotter_config
from plotter.send.runner import send_once
from tests.helpers import PlotterSetup, make_nas, make_plotter, run_cli
from tests.sshd import LocalSshd

INDEX_AT = pos2.V2_INDEX_OFFSET_AT
GROUP_SIZE_AT = pos2.V2_GROUP_SIZE_AT


def _zero_offset(path: Path) -> bytes:
    """Write 0 over the chunk index offset, as chia_rs's header reads until its last chunk is on disk;
    returns the real offset bytes."""
    with open(path, "r+b") as handle:
        handle.seek(INDEX_AT)
        real = handle.read(8)
        handle.seek(INDEX_AT)
        handle.write(bytes(8))
    return real


def group_of(source: Path, dest: Path, plots: int) -> Path:
    """A header-level stand-in for a ``plots``-plot group (chia_rs 0.53's Python API makes only
    single-plot groups): a real one's bytes with the group size field set and the chunk data padded
    to ``plots`` times its size (the index offset moved to match). Counting reads only the header;
    chia_rs would not read it (its chunk count is wrong), so it is never sent, only placed."""
    data = bytearray(source.read_bytes())
    (index_at,) = struct.unpack_from("<Q", data, INDEX_AT)
    pad = (plots - 1) * len(data)
    data[GROUP_SIZE_AT:GROUP_SIZE_AT + 2] = plots.to_bytes(2, "little")
    data[INDEX_AT:INDEX_AT + 8] = (index_at + pad).to_bytes(8, "little")
    dest.write_bytes(bytes(data[:index_at]) + bytes(pad) + bytes(data[index_at:]))
    return dest


def _with_id(source: Path, plot_id: str) -> bytes:
    """A real plot's bytes with another id in its header (offset 5 in every PoS2 layout)."""
    data = bytearray(source.read_bytes())
    data[pos2.ID_AT:pos2.ID_AT + 32] = bytes.fromhex(plot_id)
    return bytes(data)


def _nas_status(nas_ini: Path) -> dict[str, object]:
    result = run_cli("nas", "--config", str(nas_ini), "status", "--json")
    assert result.returncode == 0, result.stderr
    status: dict[str, object] = json.loads(result.stdout)
    return status


def _plotter_status(plotter: PlotterSetup) -> dict[str, list[dict[str, object]]]:
    result = run_cli("plotter", "--config", str(plotter.ini), "status", "--json")
    assert result.returncode == 0, result.stderr
    status: dict[str, list[dict[str, object]]] = json.loads(result.stdout)
    return status


@pytest.mark.slow
def test_gplot_and_plot2_files_are_sent_over_ssh_and_counted_as_plots(
        tmp_path: Path, sshd: LocalSshd, pos2_pool: list[Path], plot2_v1_pool: list[Path],
        caplog: pytest.LogCaptureFixture) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, sshd)
    group = Path(shutil.copy2(pos2_pool[0], plotter.dst))
    plot2 = Path(shutil.copy2(plot2_v1_pool[0], plotter.dst))
    trio = group_of(pos2_pool[1], nas.drives[0] / pos2_pool[1].name, 3)  # already on the NAS drive
    writing = Path(shutil.copy2(pos2_pool[2], plotter.dst / pos2_pool[2].name))
    real_offset = _zero_offset(writing)  # the header as chia_rs first writes it: still being written
    held = Path(shutil.copy2(pos2_pool[3], plotter.dst / pos2_pool[3].name))  # whole, but still open
    cut = plotter.dst / f"plot-k18-{'c' * 64}.gplot"  # offset set, 4 KiB short: cut short
    cut.write_bytes(_with_id(pos2_pool[0], "c" * 64)[:-4096])
    mislabelled = plotter.dst / plot2_v1_pool[1].name  # a group file under a .plot2 name
    mislabelled.write_bytes(_with_id(pos2_pool[0], plot2_v1_pool[1].name[9:73]))
    sent = {p.name: hash_file(str(p)) for p in (group, plot2)}
    on_nas = {trio.name: hash_file(str(trio))}

    cfg = plotter_config.load(plotter.ini)
    with caplog.at_level(logging.WARNING, logger="plotter.send.runner"), open(held, "r+b"):
        for _ in range(2):
            send_once(cfg)
    reports = "\n".join(r.getMessage() for r in caplog.records if "leaving" in r.getMessage())

    assert {p.name: hash_file(str(p)) for p in nas.plots()} == sent | on_nas
    assert not group.exists() and not plot2.exists()
    assert writing.exists() and held.exists() and cut.exists() and mislabelled.exists()
    assert "chunk index is cut short" in reports and "rename it to .gplot" in reports
    assert writing.name not in reports and held.name not in reports  # they wait, they are not broken

    status = _nas_status(nas.ini)
    drives: list[dict[str, int]] = status["drives"]  # type: ignore[assignment]
    totals: dict[str, int] = status["totals"]  # type: ignore[assignment]
    (drive,) = drives
    assert (drive["plots"], drive["plot_files"]) == (5, 3)  # the trio counts 3
    assert (totals["plots"], totals["plot_files"], totals["received_24h"]) == (5, 3, 2)
    assert drive["plot_bytes"] == sum(p.stat().st_size for p in nas.plots())

    mine = _plotter_status(plotter)
    assert sorted((w["name"], w["state"], w["plots"]) for w in mine["waiting"]) == sorted(
        [(writing.name, "in_progress", 1), (held.name, "ready", 1)])  # closed now: ready
    rejected = {Path(str(r["path"])).name: str(r["reason"]) for r in mine["rejected"]}
    assert "cut short" in rejected[cut.name] and "rename it to .gplot" in rejected[mislabelled.name]

    with open(writing, "r+b") as handle:  # its writer sets the offset last: now it is finished
        handle.seek(INDEX_AT)
        handle.write(real_offset)
    send_once(cfg)
    assert {writing.name, held.name} <= {p.name for p in nas.plots()} and not writing.exists()
    assert not held.exists() and cut.exists() and mislabelled.exists()
    assert _nas_status(nas.ini)["totals"]["plots"] == 7  # type: ignore[index]
