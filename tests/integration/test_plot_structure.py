"""Plots are checked for structure on both sides: truncated plots, lying names, Unicode
digits, and PoS2 plots end to end (local transport, real chiapos and chia_rs plots)."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from common.transfer.stream import hash_file
from plotter import config as plotter_config
from plotter.send.runner import send_once
from tests.helpers import make_nas, make_plotter, run_cli
from tests.receiver import HandReceiver

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
        conn.sendall(bytes.fromhex(str(ready["token"])) + data)
        conn.shutdown(socket.SHUT_WR)
        source = Path(nas_ini.parent / "sent.bin")
        source.write_bytes(data)
        session.send("digest", hash=hash_file(str(source)))
        reply = session.read()
    assert session.finish() != 0
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
    assert session.finish() != 0
    assert nas.plots() == [] and nas.parts() == []


def test_nas_refuses_a_unicode_digit_name(tmp_path: Path, plot_pool: list[Path]) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    session = HandReceiver(nas.ini)
    name = plot_pool[0].name.replace("plot-k18-", UNICODE_K18)
    session.send("offer", name=name, size=plot_pool[0].stat().st_size, hash_alg="xxh3_128")

    reply = session.read()

    assert reply["msg"] == "error" and reply["code"] == "bad_name", reply
    assert session.finish() != 0
    assert nas.plots() == [] and nas.parts() == []


def test_pos2_plots_are_sent_only_when_finished_and_counted_by_the_nas(
        tmp_path: Path, copy_pos2_plots: CopyPlots, copy_plots: CopyPlots,
        caplog: pytest.LogCaptureFixture) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    done, writing, short = copy_pos2_plots(plotter.dst, 3)
    (v1,) = copy_plots(plotter.dst, 1)
    full_size = short.stat().st_size
    _cut(short, full_size // 2)  # as chia_rs leaves it mid-write (the final name from the start)
    expected = {done.name: hash_file(str(done)), v1.name: hash_file(str(v1))}

    with open(writing, "r+b"):  # a plotter still has it open for writing
        reports = _send_twice(plotter.ini, caplog)

    assert {p.name: hash_file(str(p)) for p in nas.plots()} == expected
    assert not done.exists() and writing.exists() and short.exists()
    assert reports == []  # an unfinished PoS2 plot waits; it is not broken
    _check_status_counts(nas.ini, plots=2, stored=nas.plots())

    send_once(plotter_config.load(plotter.ini))  # closed now: it goes; the short one still waits
    assert writing.name in {p.name for p in nas.plots()} and not writing.exists() and short.exists()
    _check_status_counts(nas.ini, plots=3, stored=nas.plots())


def _check_status_counts(nas_ini: Path, plots: int, stored: list[Path]) -> None:
    result = run_cli("nas", "--config", str(nas_ini), "status", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    (drive,) = data["drives"]
    assert drive["plots"] == data["totals"]["plots"] == plots
    assert drive["plot_bytes"] == sum(p.stat().st_size for p in stored)
