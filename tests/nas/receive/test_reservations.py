"""The NAS-wide name reservation and the stored-copy records, with real processes and sqlite."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from common.errors import PlotBusyError
from common.transfer import protocol
from common.transfer.stream import hash_file
from nas import config as nas_config
from nas.receive.reservations import NameClaim, held_copy, is_stale, process_identity, record_stored
from nas.state import DB_NAME
from tests.helpers import ROOT, NasSetup, make_nas, wait_for

CopyPlots = Callable[..., list[Path]]
NAME = "plot-k32-2024-01-01-00-00-" + "ab" * 32 + ".plot"
RACERS = 6


def incoming_rows(state: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(state / DB_NAME) as conn:
        return [(r[0], r[1]) for r in conn.execute("SELECT name, pid FROM incoming")]


def test_process_identity_tells_live_from_gone() -> None:
    mine = process_identity(os.getpid())
    assert mine is not None and mine == process_identity(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    assert process_identity(child.pid) is None
    assert is_stale("boot:1", None) and is_stale("boot:1", "boot:2") and not is_stale("boot:1", "boot:1")


def test_a_zombie_holds_nothing() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        child.send_signal(signal.SIGKILL)
        # Not reaped yet: the pid still exists, as a zombie, until wait().
        wait_for(lambda: "Z" in Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1][:3], 10,
                 "the killed child to become a zombie")
        assert process_identity(child.pid) is None
    finally:
        child.wait(timeout=30)


def _race(state: str, start: multiprocessing.synchronize.Barrier, done: multiprocessing.synchronize.Barrier,
          results: multiprocessing.Queue[str]) -> None:
    start.wait(30)
    try:
        with NameClaim(Path(state), NAME):
            results.put("won")
            done.wait(30)  # hold the name until every racer has tried
            return
    except PlotBusyError as exc:
        results.put(f"busy: {exc.message}")
    done.wait(30)


def test_racing_receivers_exactly_one_reserves(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")  # no locks inherited from pytest's threads
    start, done = ctx.Barrier(RACERS), ctx.Barrier(RACERS)
    results: multiprocessing.Queue[str] = ctx.Queue()
    procs = [ctx.Process(target=_race, args=(str(tmp_path), start, done, results)) for _ in range(RACERS)]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0

    assert outcomes.count("won") == 1, outcomes
    assert all("is being received from another sender right now" in o for o in outcomes if o != "won")
    assert incoming_rows(tmp_path) == []  # the winner released it


def test_a_killed_receivers_reservation_is_taken_over(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from nas.receive.reservations import NameClaim\n"
         f"with NameClaim(Path({str(tmp_path)!r}), {NAME!r}):\n    print('held', flush=True); sys.stdin.read()"],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(PlotBusyError), NameClaim(tmp_path, NAME):
            pass
        holder.send_signal(signal.SIGKILL)  # no release: its row stays behind
        holder.wait(timeout=30)
        assert incoming_rows(tmp_path) == [(NAME, holder.pid)]
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=30)

    with NameClaim(tmp_path, NAME):
        assert incoming_rows(tmp_path) == [(NAME, os.getpid())]
    assert incoming_rows(tmp_path) == []


def test_a_reused_pid_does_not_keep_the_name(tmp_path: Path) -> None:
    """A row naming a live pid that is now another process (pid reuse, a reboot) is stale."""
    with NameClaim(tmp_path, "placeholder.plot"):
        pass  # creates the database and its tables
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        conn.execute("INSERT INTO incoming VALUES (?, ?, ?, ?)", (NAME, os.getpid(), "other-boot:1", 0.0))
    with NameClaim(tmp_path, NAME):
        pass
    assert incoming_rows(tmp_path) == []


def _nas_with_copy(tmp_path: Path, copy_plots: CopyPlots) -> tuple[NasSetup, Path]:
    nas = make_nas(tmp_path / "nas", drives=2)
    (copy,) = copy_plots(nas.drives[1], 1)
    return nas, copy


def test_held_copy_hashes_once_then_uses_the_record(tmp_path: Path, copy_plots: CopyPlots) -> None:
    nas, copy = _nas_with_copy(tmp_path, copy_plots)
    cfg = nas_config.load(nas.ini)
    told: list[tuple[Path, int]] = []

    first = held_copy(cfg, copy.name, lambda p, n: told.append((p, n)))
    second = held_copy(cfg, copy.name, lambda p, n: told.append((p, n)))

    assert first is not None and second is not None
    assert first.hashed and not second.hashed
    assert first.hash == second.hash == hash_file(str(copy)) and first.path == copy
    assert told == [(copy, copy.stat().st_size)]
    assert held_copy(cfg, "plot-k32-2024-01-01-00-00-" + "cd" * 32 + ".plot", lambda p, n: None) is None


def test_a_record_that_no_longer_describes_the_file_is_not_trusted(tmp_path: Path, copy_plots: CopyPlots,
                                                                   plot_pool: list[Path]) -> None:
    nas, copy = _nas_with_copy(tmp_path, copy_plots)
    cfg = nas_config.load(nas.ini)
    record_stored(nas.state, copy.name, copy, copy.stat().st_size, "0" * 32)  # a wrong hash, for now true
    assert (held := held_copy(cfg, copy.name, lambda p, n: None)) is not None and held.hash == "0" * 32

    shutil.copyfile(plot_pool[3], copy)  # other bytes under the name: new size or mtime
    held = held_copy(cfg, copy.name, lambda p, n: None)

    assert held is not None and held.hashed and held.hash == hash_file(str(plot_pool[3]))


def converse(nas: NasSetup, *messages: bytes) -> list[dict[str, object]]:
    proc = subprocess.Popen([sys.executable, "-m", "nas", "--config", str(nas.ini), "receive"], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out, _ = proc.communicate(b"".join(messages), timeout=60)
    return [json.loads(line) for line in out.splitlines()]


def test_receiver_answers_have_only_to_plotters_that_read_it(tmp_path: Path, copy_plots: CopyPlots) -> None:
    nas, copy = _nas_with_copy(tmp_path, copy_plots)
    size = copy.stat().st_size
    offer = {"name": copy.name, "size": size, "hash_alg": protocol.HASH_ALG}

    old = converse(nas, protocol.encode("offer", **offer))
    first = converse(nas, protocol.encode("offer", **offer, have=True), protocol.encode("bye"))
    again = converse(nas, protocol.encode("offer", **offer, have=True), protocol.encode("bye"))

    assert old[-1]["msg"] == "error" and old[-1]["code"] == "exists"
    digest = hash_file(str(copy))
    assert [m["msg"] for m in first[1:]] == ["hashing", "have"]  # no record yet: hashed first
    assert first[-1] == {"msg": "have", "path": str(copy), "size": size, "hash": digest}
    assert [m["msg"] for m in again[1:]] == ["have"] and again[-1]["hash"] == digest  # from the record
    assert incoming_rows(nas.state) == []


def test_receiver_answers_busy_while_the_name_is_reserved(tmp_path: Path) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    offer = protocol.encode("offer", name=NAME, size=108_800_000_000, hash_alg=protocol.HASH_ALG, have=True)
    with NameClaim(nas.state, NAME):
        replies = converse(nas, offer)
    assert replies[-1]["msg"] == "error" and replies[-1]["code"] == "busy"
    assert f"receiver pid {os.getpid()}" in str(replies[-1]["error"])
