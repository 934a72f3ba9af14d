"""``drive-manager view``'s snapshot on a NAS whose drives are plain directories: the receive drive,
a drive a receiver holds (its lock) with its ``.part``, an offline drive, and a screen that fits."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pytest

from common.locking import FileLock
from nas import config as nas_config
from nas.drives.locks import lock_path
from nas.receive.receiving import ReceiveProgress
from nas.view import data, render
from tests.helpers import ROOT, make_nas, run_cli


def test_snapshot_marks_the_receiver_and_the_offline_drive(tmp_path: Path) -> None:
    nas = make_nas(tmp_path, drives=3)
    assert run_cli("nas", "--config", str(nas.ini), "check").returncode == 0
    assert run_cli("nas", "--config", str(nas.ini), "drive", "offline", "drive3").returncode == 0
    cfg = nas_config.load(nas.ini)
    (nas.drives[0] / ".plot-k18-x.plot.part").write_bytes(b"\0" * 3000)  # as preallocated: its full size
    with FileLock(lock_path(cfg.nas.state_dir, nas.drives[0])):
        assert data.build(cfg).parts == (data.Part("drive1", "plot-k18-x.plot", None, 3000),)  # no record yet
        progress = ReceiveProgress(cfg.nas.state_dir, "plot-k18-x.plot", 3000, clock=itertools.count(0, 5).__next__)
        progress.start()
        progress(1000)  # five "seconds" later: published
        snap = data.build(cfg)
        progress.close()
    by_name = {d.name: d for d in snap.drives}
    assert by_name["drive1"].target and by_name["drive1"].receiving
    assert not by_name["drive2"].receiving and by_name["drive3"].state == "offline"
    assert snap.parts == (data.Part("drive1", "plot-k18-x.plot", 1000, 3000),)
    assert snap.last_check is not None and snap.received == ()
    assert not data.build(cfg).drives[0].receiving  # the lock is gone with its holder
    lines = render.screen(snap, 80, 24)
    texts = [text for text, _ in lines]
    assert len(lines) <= 24 and all(len(t) <= 80 for t in texts)
    assert any(t.startswith("*R drive1 ") for t in texts) and "drive1: plot-k18-x.plot  1.0K/3.0K received" in texts
    assert any(t.startswith("receive: drive1 ") for t in texts)
    assert "MOUNT" in render.screen(snap, 160, 40)[2][0]


PROBE = """
import sys, time
from pathlib import Path
from nas import config
from nas.view import data
cfg = config.load(Path(sys.argv[1]))
print("probing", flush=True)
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    data.build(cfg)
"""


@pytest.mark.slow
def test_another_views_probe_is_no_receiver(tmp_path: Path) -> None:
    """Two views at once: neither shows the other's lock probe as a receiver ("reserved, no data
    yet"), while a real holder of a drive's lock still shows."""
    nas = make_nas(tmp_path, drives=2)
    assert run_cli("nas", "--config", str(nas.ini), "check").returncode == 0
    cfg = nas_config.load(nas.ini)
    other = subprocess.Popen([sys.executable, "-c", PROBE, str(nas.ini), "4"], stdout=subprocess.PIPE, text=True,
                             cwd=ROOT, stdin=subprocess.DEVNULL)
    try:
        assert other.stdout is not None and other.stdout.readline() == "probing\n"
        seen: set[str] = set()
        rounds = 0
        while other.poll() is None:
            seen |= {d.name for d in data.build(cfg).drives if d.receiving}
            rounds += 1
    finally:
        other.wait(timeout=60)
    assert other.returncode == 0 and rounds > 10 and seen == set()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(lock_path(cfg.nas.state_dir, nas.drives[1]))],
                              stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert [d.name for d in data.build(cfg).drives if d.receiving] == ["drive2"]
    finally:
        holder.communicate("", timeout=60)


HOLD = """
import sys
from pathlib import Path
from common.locking import FileLock
with FileLock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.read()
"""
