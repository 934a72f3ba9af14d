"""Replacement through the real receiver: only for an offered plot that will be received."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from common.transfer import protocol
from nas.state import DB_NAME
from tests.helpers import ROOT, NasSetup, make_nas, make_plotter, run_cli

CopyPlots = Callable[..., list[Path]]


def full_nas(tmp_path: Path, copy_plots: CopyPlots, enabled: bool = True,
             incoming: int = 0) -> tuple[NasSetup, set[str]]:
    """One drive whose quota is full with two real (v1) plots: deleting either one
    makes room for an ``incoming``-byte plot, and nothing less does."""
    drive = tmp_path / "nas" / "drives" / "drive1"
    old = copy_plots(drive, 2)
    sizes = [p.stat().st_size for p in old]
    quota = sum(sizes) + max(0, incoming - min(sizes)) + 1000  # far less room than one more plot
    sections = (f"[drive {drive}]\nquota = {quota}\n"
                f"[replace]\nenabled = {str(enabled).lower()}\nmatch = v1\n")
    nas = make_nas(tmp_path / "nas", drive_dirs=[drive], drive_sections=sections)
    return nas, {p.name for p in old}


def deletions(nas: NasSetup) -> list[tuple[str, str]]:
    db = nas.state / DB_NAME
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        return [(Path(p).name, i) for p, i in conn.execute("SELECT path, incoming FROM deletions")]


def converse(nas: NasSetup, *messages: bytes) -> list[dict[str, object]]:
    """Talk to a real `drive-manager receive`; returns its replies (hello first)."""
    proc = subprocess.Popen([sys.executable, "-m", "nas", "--config", str(nas.ini), "receive"], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out, _ = proc.communicate(b"".join(messages), timeout=60)
    return [json.loads(line) for line in out.splitlines()]


def test_space_question_deletes_nothing(tmp_path: Path, copy_plots: CopyPlots) -> None:
    nas, old = full_nas(tmp_path, copy_plots)
    size = max((nas.drives[0] / n).stat().st_size for n in old)
    replies = converse(nas, protocol.encode("space", size=size), protocol.encode("bye"))
    assert replies[1]["msg"] == "space" and replies[1]["can_take"] is True  # room by replacement
    assert {p.name for p in nas.plots()} == old and deletions(nas) == []


def test_offer_of_a_plot_already_there_deletes_nothing(tmp_path: Path, copy_plots: CopyPlots) -> None:
    nas, old = full_nas(tmp_path, copy_plots)
    name = sorted(old)[0]
    offer = protocol.encode("offer", name=name, size=(nas.drives[0] / name).stat().st_size,
                            hash_alg=protocol.HASH_ALG)
    replies = converse(nas, offer)
    assert replies[-1]["msg"] == "error" and replies[-1]["code"] == "exists"
    assert {p.name for p in nas.plots()} == old and deletions(nas) == []


def test_send_replaces_exactly_one_old_plot(tmp_path: Path, copy_plots: CopyPlots, plot_pool: list[Path]) -> None:
    nas, old = full_nas(tmp_path, copy_plots, incoming=plot_pool[2].stat().st_size)
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    (new,) = copy_plots(plotter.dst, 1, start=2)

    result = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")

    assert result.returncode == 0, result.stderr
    stored = {p.name for p in nas.plots()}
    assert new.name in stored and len(stored & old) == 1  # one deleted, one kept
    assert deletions(nas) == [((old - stored).pop(), new.name)]
    assert plotter.plots() == []


def test_send_without_replacement_keeps_everything(tmp_path: Path, copy_plots: CopyPlots) -> None:
    nas, old = full_nas(tmp_path, copy_plots, enabled=False)
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    (new,) = copy_plots(plotter.dst, 1, start=2)

    run_cli("plotter", "--config", str(plotter.ini), "send", "--once")

    assert {p.name for p in nas.plots()} == old and deletions(nas) == []
    assert [p.name for p in plotter.plots()] == [new.name]


@pytest.mark.slow
def test_offer_whose_data_never_comes_deletes_nothing(tmp_path: Path, copy_plots: CopyPlots,
                                                       plot_pool: list[Path]) -> None:
    nas, old = full_nas(tmp_path, copy_plots, incoming=plot_pool[2].stat().st_size)
    nas.ini.write_text(nas.ini.read_text().replace("[nas]\n", "[nas]\naccept_timeout = 1\n"))
    offer = protocol.encode("offer", name=plot_pool[2].name, size=plot_pool[2].stat().st_size,
                            hash_alg=protocol.HASH_ALG)

    replies = converse(nas, offer)  # the plotter never opens the data connection

    assert [r["msg"] for r in replies[1:]] == ["ready", "error"]
    assert "right token" in str(replies[-1]["error"])
    assert {p.name for p in nas.plots()} == old and deletions(nas) == []
