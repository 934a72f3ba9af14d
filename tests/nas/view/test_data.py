"""``drive-manager view``'s snapshot on a NAS whose drives are plain directories: the receive drive,
a drive a receiver holds (its lock) with its ``.part``, an offline drive, and a screen that fits."""

from __future__ import annotations

from pathlib import Path

from common.locking import FileLock
from nas import config as nas_config
from nas.select import lock_path
from nas.view import data, render
from tests.helpers import make_nas, run_cli


def test_snapshot_marks_the_receiver_and_the_offline_drive(tmp_path: Path) -> None:
    nas = make_nas(tmp_path, drives=3)
    assert run_cli("nas", "--config", str(nas.ini), "check").returncode == 0
    assert run_cli("nas", "--config", str(nas.ini), "drive", "offline", "drive3").returncode == 0
    cfg = nas_config.load(nas.ini)
    (nas.drives[0] / ".plot-k18-x.plot.part").write_bytes(b"\0" * 3000)
    with FileLock(lock_path(cfg.nas.state_dir, nas.drives[0])):
        snap = data.build(cfg)
    by_name = {d.name: d for d in snap.drives}
    assert by_name["drive1"].target and by_name["drive1"].receiving
    assert not by_name["drive2"].receiving and by_name["drive3"].state == "offline"
    assert snap.parts == (data.Part("drive1", "plot-k18-x.plot", 3000),)
    assert snap.last_check is not None and snap.received == ()
    assert not data.build(cfg).drives[0].receiving  # the lock is gone with its holder
    lines = render.screen(snap, 80, 24)
    texts = [text for text, _ in lines]
    assert len(lines) <= 24 and all(len(t) <= 80 for t in texts)
    assert any(t.startswith("*R drive1 ") for t in texts) and "drive1: plot-k18-x.plot  3.0K written" in texts
    assert any(t.startswith("receive: drive1 ") for t in texts)
    assert "MOUNT" in render.screen(snap, 160, 40)[2][0]
