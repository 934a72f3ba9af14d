"""Replacement deletes only as incoming bytes need the room: a real receiver, real k18 plots,
a real (full) tmpfs drive (root only)."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from common.errors import NoSpaceError
from common.transfer.stream import hash_file
from nas import config as nas_config
from nas.drives.listing import part_path
from nas.drives.select import reserve_drive
from nas.state import DB_NAME
from tests.helpers import NasSetup, make_plotter, run_cli
from tests.receiver import HandReceiver, stream
from tests.sshd import free_port

CopyPlots = Callable[..., list[Path]]
Mount = Callable[[str, int], Path]
PAGE = 4096
MIB = 2**20
CHUNK = 256 * 1024  # the receiver's buffer_size: room is made per buffer of this size
VICTIMS = 4  # pool plots 0..3 fill the drive; 4 and 5 are the incoming ones


def pages(size: int) -> int:
    """What a file of ``size`` bytes occupies on tmpfs."""
    return -(-size // PAGE) * PAGE


@dataclass
class FullDrive:
    nas: NasSetup
    drive: Path
    reserve: int

    def plots(self) -> dict[str, int]:
        return {p.name: p.stat().st_size for p in self.drive.glob("plot-*.plot")}

    def free(self) -> int:
        st = os.statvfs(self.drive)
        return st.f_bavail * st.f_frsize

    def deleted(self) -> list[str]:
        """Names deleted by replacement, in order."""
        db = self.nas.state / DB_NAME
        if not db.exists():
            return []
        with sqlite3.connect(db) as conn:
            return [Path(p).name for (p,) in conn.execute("SELECT path FROM deletions ORDER BY rowid")]


def full_drive(tmp_path: Path, tmpfs: Mount, copy_plots: CopyPlots, reserve: int = 0,
               slack: int = MIB) -> FullDrive:
    """A tmpfs drive holding four real k18 plots with ``slack`` bytes free: less than one more plot."""
    sources = copy_plots(tmp_path / "old", VICTIMS)
    drive = tmpfs("drive1", sum(pages(p.stat().st_size) for p in sources) + slack)
    for plot in sources:
        shutil.copy2(plot, drive / plot.name)
    low = free_port()
    ini = tmp_path / "nas.ini"
    ini.write_text(f"[nas]\ndrive_globs = {drive}\nrequire_mount = true\nreserve = {reserve}\n"
                   f"state_dir = {tmp_path / 'state'}\ndata_bind = 127.0.0.1\ndata_ports = {low}-{low + 5}\n"
                   f"buffer_size = {CHUNK}\naccept_timeout = 10\n[replace]\nenabled = true\nmatch = v1\n")
    full = FullDrive(NasSetup(tmp_path, ini, [drive], tmp_path / "state"), drive, reserve)
    assert full.free() == slack
    return full


def broken_transfer(full: FullDrive, plot: Path, sent: int) -> dict[str, object]:
    """Offer ``plot``, stream its first ``sent`` bytes, close: the receiver's final reply."""
    session = HandReceiver(full.nas.ini)
    ready = session.offer(plot.name, plot.stat().st_size)
    assert ready["msg"] == "ready", ready
    stream(ready, plot.read_bytes()[:sent], size=plot.stat().st_size)  # the frame announces the whole plot
    reply = session.read()
    assert session.finish() != 0
    return reply


def whole_transfer(full: FullDrive, plot: Path) -> dict[str, object]:
    session = HandReceiver(full.nas.ini)
    ready = session.offer(plot.name, plot.stat().st_size)
    assert ready["msg"] == "ready", ready
    stream(ready, plot.read_bytes())
    session.send("digest", hash=hash_file(str(plot)))
    reply = session.read()
    assert session.finish() == 0
    return reply


def assert_each_deletion_was_needed(full: FullDrive, before: dict[str, int], free: int, written: int) -> None:
    """The deleted plots made room for ``written`` bytes, and one fewer would not have."""
    freed = [pages(before[name]) for name in full.deleted()]
    room = free - full.reserve
    assert room + sum(freed) >= written
    assert not freed or room + sum(freed[:-1]) < written


def test_token_and_no_bytes_deletes_nothing(tmp_path: Path, tmpfs: Mount, copy_plots: CopyPlots,
                                            plot_pool: list[Path]) -> None:
    full = full_drive(tmp_path, tmpfs, copy_plots)
    before, free = full.plots(), full.free()
    for _ in range(3):
        reply = broken_transfer(full, plot_pool[VICTIMS], 0)
        assert reply["msg"] == "error" and "bytes early" in str(reply["error"]), reply
        assert full.plots() == before and full.free() == free and full.deleted() == []
    assert full.nas.parts() == []


def test_partial_stream_deletes_only_what_its_bytes_need(tmp_path: Path, tmpfs: Mount, copy_plots: CopyPlots,
                                                          plot_pool: list[Path]) -> None:
    # A 3 MiB reserve on 1 MiB free: the whole plot would need two of the old plots.
    full = full_drive(tmp_path, tmpfs, copy_plots, reserve=3 * MIB)
    incoming = plot_pool[VICTIMS]
    before, free = full.plots(), full.free()

    broken_transfer(full, incoming, 1 * MIB)  # four buffers: room for them takes one plot
    assert len(full.deleted()) == 1
    assert_each_deletion_was_needed(full, before, free, 1 * MIB)

    broken_transfer(full, incoming, 1 * MIB)  # the room is still there: nothing more goes
    assert len(full.deleted()) == 1

    broken_transfer(full, incoming, 10 * CHUNK + CHUNK // 2)  # ten whole buffers arrive: one more plot
    assert len(full.deleted()) == 2
    assert_each_deletion_was_needed(full, before, free, 10 * CHUNK)
    assert set(full.plots()) == set(before) - set(full.deleted()) and full.nas.parts() == []


def test_full_transfer_replaces_exactly_the_plots_it_needs(tmp_path: Path, tmpfs: Mount, copy_plots: CopyPlots,
                                                            plot_pool: list[Path]) -> None:
    full = full_drive(tmp_path, tmpfs, copy_plots, reserve=3 * MIB)
    before, free = full.plots(), full.free()
    plotter = make_plotter(tmp_path / "plotter", full.nas, None)
    (new,) = copy_plots(plotter.dst, 1, start=VICTIMS)
    size = new.stat().st_size

    result = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")

    assert result.returncode == 0, result.stderr
    assert len(full.deleted()) == 2
    assert_each_deletion_was_needed(full, before, free, size)
    assert full.plots() == {new.name: size, **{n: s for n, s in before.items() if n not in full.deleted()}}
    assert hash_file(str(full.drive / new.name)) == hash_file(str(plot_pool[VICTIMS]))
    assert plotter.plots() == []


def test_room_freed_by_a_failed_transfer_serves_the_next_plot(tmp_path: Path, tmpfs: Mount,
                                                              copy_plots: CopyPlots, plot_pool: list[Path]) -> None:
    full = full_drive(tmp_path, tmpfs, copy_plots)
    before = full.plots()

    broken_transfer(full, plot_pool[VICTIMS], 2 * MIB)  # past the 1 MiB free: one plot goes, then it breaks
    (gone,) = full.deleted()
    assert full.nas.parts() == [] and full.free() >= MIB + before[gone]

    reply = whole_transfer(full, plot_pool[VICTIMS + 1])

    assert reply["msg"] == "stored", reply
    assert full.deleted() == [gone]  # no further deletion
    assert set(full.plots()) == set(before) - {gone} | {plot_pool[VICTIMS + 1].name}


def test_implausible_size_is_refused_before_any_reservation(tmp_path: Path, tmpfs: Mount, copy_plots: CopyPlots,
                                                            plot_pool: list[Path]) -> None:
    full = full_drive(tmp_path, tmpfs, copy_plots)
    before = full.plots()
    session = HandReceiver(full.nas.ini)

    reply = session.offer(plot_pool[VICTIMS].name, 9_900_000)

    assert reply["msg"] == "error" and reply["code"] == "bad_plot", reply
    assert "9.90 MB) is implausible for a k18 uncompressed plot" in str(reply["error"])
    assert session.goes_on()  # refused before any byte: the session goes on
    assert full.plots() == before and full.deleted() == [] and full.nas.parts() == []
    assert not (full.nas.state / "drives").exists() or not any((full.nas.state / "drives").iterdir())


def test_preallocation_never_takes_more_than_the_room_that_exists(tmp_path: Path, tmpfs: Mount,
                                                                   copy_plots: CopyPlots,
                                                                   plot_pool: list[Path]) -> None:
    from nas.receive.commit import fallocate  # the receiver's own preallocation

    full = full_drive(tmp_path, tmpfs, copy_plots)
    cfg = nas_config.load(full.nas.ini)
    size = plot_pool[VICTIMS].stat().st_size
    res = reserve_drive(cfg, size, incoming=plot_pool[VICTIMS].name, wait=0)
    part = part_path(full.drive, plot_pool[VICTIMS].name)
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        room = res.room(cfg, fd, fallocate)
        assert room is not None
        room.preallocate()
        assert room.deleted == [] and os.fstat(fd).st_size == MIB and full.free() == 0

        room.ensure(MIB + CHUNK)  # the first byte past the free room: one plot goes, the rest is preallocated
        assert len(room.deleted) == 1 and os.fstat(fd).st_size == size
    finally:
        os.close(fd)
        part.unlink()
        res.release()


def test_room_plans_again_when_the_drive_filled_and_never_deletes_in_vain(
        tmp_path: Path, tmpfs: Mount, copy_plots: CopyPlots, plot_pool: list[Path]) -> None:
    full = full_drive(tmp_path, tmpfs, copy_plots)
    cfg = nas_config.load(full.nas.ini)
    incoming = plot_pool[VICTIMS]
    res = reserve_drive(cfg, incoming.stat().st_size, incoming=incoming.name, wait=0)
    assert res.pending is not None and len(res.pending.victims) == 1
    (full.drive / "other-data").write_bytes(b"\0" * MIB)  # the last free MiB goes to something else
    part = part_path(full.drive, incoming.name)
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        room = res.room(cfg, fd)
        assert room is not None
        room.ensure(6 * MIB)  # more than the planned plot frees: a second one, planned now
        assert len(room.deleted) == 2
        with pytest.raises(NoSpaceError, match="no plot matching"):
            room.ensure(100 * MIB)  # the two left could never make room: neither is deleted
        assert len(room.deleted) == 2 and len(full.plots()) == VICTIMS - 2
    finally:
        os.close(fd)
        part.unlink()
        res.release()
