"""Plots are checked for structure on both sides: truncated plots, lying names, Unicode
digits, and PoS2 plots end to end (local transport, real chiapos and chia_rs plots)."""

from __future__ import annotations

import logging
import socket
import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from common.transfer.stream import hash_file
from plotter import config as plotter_config
from plotter.send.runner import send_once
from tests.helpers import make_nas, make_plotter
from tests.receiver import HandReceiver, opening

CopyPlots = Callable[..., list[Path]]
ONE_MB = 1_000_000
UNICODE_K18 = "plot-k\u0661\u0668-"  # Arabic-Indic digits one and eight


def _cut(path: Path, size: int) -> Path:
    with open(path, "r+b") as handle:
        handle.truncate(size)
    return path


def _send_twice(plotter_ini: Path, caplog: pytest.LogCaptureFixture) -> list[str]:
    """Two rounds of ``send --once``; the 'leaving ... alone' lines they logged."""
    cfg = plotter_config.load(plotter_ini)
    with caplog.at_level(logging.WARNING, logger="plotter.send.runner"):
        for _ in range(2):
            send_once(cfg)
    return [r.getMessage() for r in caplog.records if "leaving" in r.getMessage()]


def test_plotter_leaves_broken_plots_alone_and_reports_each_once(
        tmp_path: Path, copy_plots: CopyPlots, caplog: pytest.LogCaptureFixture) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    truncated, liar, unicode, good = copy_plots(plotter.dst, 4)
    _cut(truncated, ONE_MB)
    liar = liar.rename(liar.with_name(liar.name.replace("plot-k18-", "plot-k32-")))
    unicode = unicode.rename(unicode.with_name(unicode.name.replace("plot-k18-", UNICODE_K18)))

    reports = _send_twice(plotter.ini, caplog)

    assert [p.name for p in nas.plots()] == [good.name] and not good.exists()
    assert truncated.exists() and liar.exists() and unicode.exists()
    assert truncated.stat().st_size == ONE_MB
    assert len(reports) == 3, reports  # one line each, not one per round
    joined = "\n".join(reports)
    assert f"is {ONE_MB} bytes but its v1 header's layout needs at least" in joined
    assert "header says k18, name says k32" in joined
    assert "not a plot file name" in joined and UNICODE_K18 in joined


def _other_id(name: str) -> str:
    """The same name with the id's last hex digit changed."""
    last = name[-len("x.plot")]
    return name[:-len("x.plot")] + ("0" if last != "0" else "1") + ".plot"


def _offer_and_send(nas_ini: Path, name: str, data: bytes) -> dict[str, object]:
    """Drive ``drive-manager receive`` as a plotter that skipped its own checks would."""
    session = HandReceiver(nas_ini)
    session.send("offer", name=name, size=len(data), hash_alg="xxh3_128")
    ready = session.read()
    assert ready["msg"] == "ready", ready
    port = ready["port"]
    assert isinstance(port, int)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(opening(ready, len(data)) + data)
        conn.shutdown(socket.SHUT_WR)
        source = Path(nas_ini.parent / "sent.bin")
        source.write_bytes(data)
        session.send("digest", hash=hash_file(str(source)))
        reply = session.read()
    assert reply.get("seq") == 1 and session.goes_on()  # the commit failed, not the session
    return reply


@pytest.mark.parametrize("case", ["truncated", "other_id"])
def test_nas_refuses_to_commit_a_broken_plot(tmp_path: Path, plot_pool: list[Path], case: str) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    source = plot_pool[0]
    if case == "truncated":  # by 64 KiB: a size still plausible for a k18 plot, so it is offered
        name, data = source.name, source.read_bytes()[:-65536]
        reason = "needs at least"
    else:
        name, data = _other_id(source.name), source.read_bytes()
        reason = "differs from the name's id"

    reply = _offer_and_send(nas.ini, name, data)

    assert reply["msg"] == "error" and reply["code"] == "bad_plot", reply
    assert reason in str(reply["error"])
    assert nas.plots() == [] and nas.parts() == []


def test_nas_refuses_a_name_whose_k_does_not_fit_the_size_at_the_offer(tmp_path: Path,
                                                                       plot_pool: list[Path]) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    session = HandReceiver(nas.ini)
    name = plot_pool[0].name.replace("plot-k18-", "plot-k32-")  # a k18 plot's bytes under a k32 name
    session.send("offer", name=name, size=plot_pool[0].stat().st_size, hash_alg="xxh3_128")

    reply = session.read()

    assert reply["msg"] == "error" and reply["code"] == "bad_plot", reply
    assert "implausible for a k32 uncompressed plot" in str(reply["error"])
    assert session.goes_on()  # refused before any byte: the session goes on
    assert nas.plots() == [] and nas.parts() == []


def test_nas_refuses_a_unicode_digit_name(tmp_path: Path, plot_pool: list[Path]) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    session = HandReceiver(nas.ini)
    name = plot_pool[0].name.replace("plot-k18-", UNICODE_K18)
    session.send("offer", name=name, size=plot_pool[0].stat().st_size, hash_alg="xxh3_128")

    reply = session.read()

    assert reply["msg"] == "error" and reply["code"] == "bad_name", reply
    assert session.goes_on()  # refused before any byte: the session goes on
    assert nas.plots() == [] and nas.parts() == []


def _pos2_case(case: str, gplot: Path, plot2: Path) -> tuple[str, bytes, str]:
    """(name, bytes, the NAS's reason) of a PoS2 file a plotter that skipped its checks might send."""
    data = gplot.read_bytes()
    (index_at,) = struct.unpack_from("<Q", data, 42)
    if case == "cut_in_index":  # the offset is set; the tail of the chunk index is gone
        return gplot.name, data[:-4096], "chunk index is cut short"
    if case == "cut_in_chunks":
        return gplot.name, data[:index_at], "gplot header's layout needs at least"
    if case == "being_written":  # the chunk index offset still zero, as chia_rs writes it first
        return gplot.name, data[:42] + bytes(8) + data[50:], "chunk index offset in the header not filled in"
    if case == "group_under_plot2":
        name = plot2.name
        return name, data[:5] + bytes.fromhex(name[9:73]) + data[37:], "rename it to .gplot"
    assert case == "plot2_cut"
    return plot2.name, plot2.read_bytes()[:-1], "pos2 header's layout needs at least"


@pytest.mark.parametrize("case", ["cut_in_index", "cut_in_chunks", "being_written", "group_under_plot2",
                                  "plot2_cut"])
def test_nas_refuses_a_broken_pos2_file_after_writing_it(tmp_path: Path, pos2_pool: list[Path],
                                                         plot2_v1_pool: list[Path], case: str) -> None:
    """Real chia_rs files, damaged: the NAS reads the header (and, for a group, chia_rs) back from the
    disk and commits nothing."""
    nas = make_nas(tmp_path / "nas", drives=1)
    name, data, reason = _pos2_case(case, pos2_pool[0], plot2_v1_pool[0])

    reply = _offer_and_send(nas.ini, name, data)

    assert reply["msg"] == "error" and reply["code"] == "bad_plot", reply
    assert reason in str(reply["error"])
    assert nas.plots() == [] and nas.parts() == []


@pytest.mark.parametrize("name, size, reason", [
    (f"plot-k18-{'ab' * 32}.plot2", 2 * 655_360, "implausible for a k18 PoS2 plot"),  # a .plot2 is one plot
    (f"plot-k18-{'ab' * 32}.gplot", 300 * 655_360, "implausible for a k18 PoS2 group plot"),  # > 256 plots
    (f"plot-k28-{'ab' * 32}.gplot", 10**8, "implausible for a k28 PoS2 group plot"),
])
def test_nas_refuses_an_implausible_pos2_offer_before_any_reservation(tmp_path: Path, name: str, size: int,
                                                                      reason: str) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    session = HandReceiver(nas.ini)

    reply = session.offer(name, size)

    assert reply["msg"] == "error" and reply["code"] == "bad_plot", reply
    assert reason in str(reply["error"])
    assert session.goes_on()  # refused before any byte: the session goes on
    assert nas.plots() == [] and nas.parts() == []
