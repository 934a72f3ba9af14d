"""Many plots, few sessions (protocol 4), over the private sshd with real k18 plots: a lane's
session carries every plot of a run, and a warm session that died while idle costs nothing."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest

from common.transfer.stream import hash_file
from tests.helpers import popen_cli, run_cli, wait_for
from tests.integration.sessions import CopyPlots, kill_receiver, lab, power_off, receivers
from tests.integration.test_exactly_once import rows
from tests.integration.test_failing_drives import status_json
from tests.sshd import LocalSshd, restart_sshd, start_sshd


@pytest.mark.slow
@pytest.mark.parametrize("lanes", [1, 2])
def test_six_plots_go_on_one_session_per_lane(tmp_path: Path, sshd: LocalSshd, copy_plots: CopyPlots,
                                             lanes: int) -> None:
    lab_ = lab(tmp_path, sshd, copy_plots, 6)
    ini = lab_.plotter.ini.read_text()
    lab_.plotter.ini.write_text(ini.replace("max_parallel = 1", f"max_parallel = {lanes}"))

    done = run_cli("plotter", "--config", str(lab_.plotter.ini), "send", "--once", timeout=240)

    assert done.returncode == 0, done.stderr
    lab_.assert_all_stored_once()
    assert sorted(rows(lab_.plotter.state)) == sorted((name, "ok") for name in lab_.hashes)
    assert 1 <= lab_.receiver_starts() <= lanes  # one receiver per lane, not one per plot
    assert receivers(lab_.nas) == []  # send --once closed its sessions


def _session_gone(sid: int) -> bool:
    """No live process is left in session ``sid`` (the receiver's login shell included)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            return False
    return True


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["receiver killed", "NAS rebooted"])
def test_a_warm_session_that_died_while_idle_is_dropped_and_the_next_plot_goes(
        tmp_path: Path, copy_plots: CopyPlots, fault: str) -> None:
    server = start_sshd(tmp_path / "sshd")  # this test's own: the reboot switches it off
    lab_ = lab(tmp_path, server, copy_plots, 1, "poll_interval = 0.2")
    (first,) = lab_.hashes
    later = copy_plots(tmp_path / "later", 1, 1)[0]  # the next plot, finished while the session idles
    watcher = popen_cli("plotter", "--config", str(lab_.plotter.ini), "send", "--watch")
    try:
        wait_for(lambda: lab_.sources() == [] and lab_.stored() == [first], 60, "the first plot to be sent")
        wait_for(lambda: len(receivers(lab_.nas)) == 1, 30, "the session to be kept warm")
        (receiver,) = receivers(lab_.nas)
        sid = int(Path(f"/proc/{receiver.pid}/stat").read_text().rsplit(")", 1)[1].split()[3])

        if fault == "receiver killed":
            kill_receiver(lab_.nas)  # the NAS ends it while it waits (a crash, an OOM kill)
        else:
            power_off(server)
            server = restart_sshd(server)
        wait_for(lambda: _session_gone(sid), 30, "the dead receiver's login session to end")
        lab_.hashes[later.name] = hash_file(str(later))
        os.rename(shutil.copy2(later, lab_.plotter.root / later.name), lab_.plotter.dst / later.name)

        wait_for(lambda: lab_.sources() == [] and len(lab_.stored()) == 2, 60, "the next plot to be sent")
    finally:
        watcher.send_signal(signal.SIGTERM)
        _, err = watcher.communicate(timeout=120)
        server.stop()
    assert watcher.returncode == 0, err
    lab_.assert_all_stored_once()
    assert rows(lab_.plotter.state) == [(first, "ok"), (later.name, "ok")]  # no "failed" for the stale session
    assert lab_.receiver_starts() == 2  # the dead session was dropped and a new one opened
    assert "unreachable" not in err and "Traceback" not in err


@pytest.mark.slow
def test_a_lane_fills_its_drive_in_order_while_plots_commit(tmp_path: Path, sshd: LocalSshd,
                                                           copy_plots: CopyPlots) -> None:
    """The next plot streams while the one before commits; it still goes to the drive being filled
    (the committing plot's lock is shared with it), so the receive drive never moves on early."""
    lab_ = lab(tmp_path, sshd, copy_plots, 5, drives=2)

    done = run_cli("plotter", "--config", str(lab_.plotter.ini), "send", "--once", timeout=240)

    assert done.returncode == 0, done.stderr
    lab_.assert_all_stored_once()
    first, second = lab_.nas.drives
    assert sorted(p.name for p in first.glob("plot-*.plot")) == sorted(lab_.hashes)
    assert list(second.iterdir()) == []
    assert lab_.receiver_starts() == 1
    assert status_json(lab_.nas)["drive1"]["target"] is True  # the receive drive stayed
