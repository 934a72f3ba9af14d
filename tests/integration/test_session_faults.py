"""Faults in the middle of a session (protocol 4: one receiver carries many plots), with real k18
plots, the private sshd and real processes: a lane's receiver killed, the NAS switched off and on
again, a drive failing. Whatever breaks, a plot ends on the NAS once and whole, or its source stays;
nothing partial is ever under a plot name; the session recovers or the run ends with its exit code."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from common.errors import SomeFailedError
from plotter.plotting.process import procs
from tests.helpers import pids_holding, popen_cli, read_stderr_until, run_cli, wait_for
from tests.integration.sessions import (
    CopyPlots,
    Lab,
    kill_receiver,
    lab,
    power_off,
    receivers,
    size_of,
    streaming_after,
)
from tests.integration.test_exactly_once import rows
from tests.integration.test_failing_drives import (  # noqa: F401 (fixtures)
    dm,
    loops,
    mount_tmpfs,
    mounts,
    needs_root,
    sh,
    short_device_drives,
    status_json,
)
from tests.sshd import LocalSshd, restart_sshd, start_sshd

SLOW = "bwlimit = 2MiB"  # a k18 plot (3.7 MB) streams for about 2 s: long enough to strike mid-plot
# The .part grows as the bytes come (no preallocation, small buffers): a plot mid-stream can be seen.
GROWING = "preallocate = false\nbuffer_size = 64KiB"
WATCH = f"{SLOW}\npoll_interval = 0.2"
KEPT = "not sent, kept on the plotter"


def send_once(lab: Lab) -> subprocess.CompletedProcess[str]:
    return run_cli("plotter", "--config", str(lab.plotter.ini), "send", "--once", timeout=240)


def at_line_rate(lab: Lab) -> None:
    lab.plotter.ini.write_text(lab.plotter.ini.read_text().replace(SLOW, ""))


def stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


@pytest.mark.slow
def test_a_receiver_killed_mid_session_costs_only_its_plot(tmp_path: Path, sshd: LocalSshd,
                                                          copy_plots: CopyPlots) -> None:
    lab_ = lab(tmp_path, sshd, copy_plots, 3, SLOW, extra_nas=GROWING)
    sender = popen_cli("plotter", "--config", str(lab_.plotter.ini), "send", "--once")
    hit = streaming_after(lab_.nas, 1)  # the session has carried a plot and streams the next

    kill_receiver(lab_.nas)
    _, err = sender.communicate(timeout=240)

    assert sender.returncode == SomeFailedError.exit_code, err
    (failed,) = [line for line in err.splitlines() if KEPT in line]
    assert hit in failed, err
    lab_.assert_safe()
    assert lab_.sources() == [hit] and hit not in lab_.stored() and len(lab_.stored()) == 2
    assert lab_.receiver_starts() == 2  # the third plot went on a new session, in the same run
    assert lab_.nas.parts() == []  # the next receiver on that drive removed the killed one's .part
    assert [r for _, r in rows(lab_.plotter.state)].count("failed") == 1

    at_line_rate(lab_)
    again = send_once(lab_)

    assert again.returncode == 0, again.stderr
    lab_.assert_all_stored_once()
    assert rows(lab_.plotter.state)[-1] == (hit, "ok")
    assert receivers(lab_.nas) == []  # every session said goodbye at the end of its run


@pytest.mark.slow
def test_a_receiver_killed_on_one_lane_leaves_the_other_lane_alone(tmp_path: Path, sshd: LocalSshd,
                                                                  copy_plots: CopyPlots) -> None:
    """Two lanes, two drives (a drive takes one plot at a time): each lane's session has carried a
    plot and streams its second when one lane's receiver is killed."""
    lab_ = lab(tmp_path, sshd, copy_plots, 4, SLOW, drives=2, extra_nas=GROWING)
    lab_.plotter.ini.write_text(lab_.plotter.ini.read_text().replace("max_parallel = 1", "max_parallel = 2"))
    sender = popen_cli("plotter", "--config", str(lab_.plotter.ini), "send", "--once")

    def two_streaming() -> list[Path] | None:
        parts = [p for p in lab_.nas.parts() if size_of(p) > 0]
        return parts if len(lab_.stored()) == 2 and len(parts) == 2 else None
    parts = wait_for(two_streaming, 60, "both lanes to stream their second plot")
    assert isinstance(parts, list)
    hit, spared = parts
    (receiver,) = [r for r in receivers(lab_.nas) if r.pid in pids_holding(hit)]
    assert procs.send(receiver, signal.SIGKILL)
    _, err = sender.communicate(timeout=240)

    assert sender.returncode == SomeFailedError.exit_code, err
    name = hit.name[1:-len(".part")]
    (failed,) = [line for line in err.splitlines() if KEPT in line]
    assert name in failed, err
    lab_.assert_safe()
    assert lab_.sources() == [name] and spared.name[1:-len(".part")] in lab_.stored()
    assert lab_.receiver_starts() == 2  # the spared lane's session went on; nothing was left to send

    at_line_rate(lab_)
    again = send_once(lab_)
    assert again.returncode == 0, again.stderr
    dm(lab_.nas, "check")  # sweeps a .part left on a drive no receiver reserved since (run from cron)
    lab_.assert_all_stored_once()


def _own_sshd(tmp_path: Path) -> LocalSshd:
    """A NAS of this test's own, to switch off (the session's shared sshd serves other tests)."""
    return start_sshd(tmp_path / "sshd")


@pytest.mark.slow
def test_the_nas_rebooted_mid_session_ends_send_once_and_the_next_run_finishes(tmp_path: Path,
                                                                                copy_plots: CopyPlots) -> None:
    server = _own_sshd(tmp_path)
    try:
        lab_ = lab(tmp_path, server, copy_plots, 3, SLOW, extra_nas=GROWING)
        sender = popen_cli("plotter", "--config", str(lab_.plotter.ini), "send", "--once")
        hit = streaming_after(lab_.nas, 1)
        (receiver,) = receivers(lab_.nas)

        killed = power_off(server)
        _, err = sender.communicate(timeout=240)

        assert (receiver.pid, receiver.start) in {(p.pid, p.start) for p in killed}
        assert sender.returncode == SomeFailedError.exit_code, err  # the hit plot failed, the last waited
        assert any(KEPT in line and hit in line for line in err.splitlines()), err
        assert "NAS nas01 is unreachable, plots wait for it" in err and "Traceback" not in err
        lab_.assert_safe()
        assert len(lab_.stored()) == 1 and len(lab_.sources()) == 2 and hit in lab_.sources()

        server = restart_sshd(server)  # the same port and host key: the plotter's config still fits
        again = send_once(lab_)

        assert again.returncode == 0, again.stderr
        lab_.assert_all_stored_once()  # the dead receiver's .part went when the drive was next reserved
        assert sorted(p for p, r in rows(lab_.plotter.state) if r == "ok") == sorted(lab_.hashes)
    finally:
        server.stop()


@pytest.mark.slow
def test_the_nas_rebooted_mid_session_send_watch_reconnects_and_finishes(tmp_path: Path,
                                                                          copy_plots: CopyPlots) -> None:
    server = _own_sshd(tmp_path)
    watcher = None
    try:
        lab_ = lab(tmp_path, server, copy_plots, 3, WATCH, extra_nas=GROWING)
        watcher = popen_cli("plotter", "--config", str(lab_.plotter.ini), "send", "--watch")
        hit = streaming_after(lab_.nas, 1)

        power_off(server)
        read_stderr_until(watcher, lambda seen: "NAS nas01 is unreachable" in seen, 60)
        lab_.assert_safe()
        assert hit in lab_.sources() and len(lab_.stored()) == 1
        server = restart_sshd(server)

        wait_for(lambda: lab_.sources() == [], 120, "the watcher to send the rest once the NAS is back")
        code, err = stop(watcher)
        watcher = None

        assert code == 0, err
        lab_.assert_all_stored_once()
        assert "NAS nas01 is reachable again" in err
        assert lab_.receiver_starts() >= 2  # a new session after the reboot
        results = rows(lab_.plotter.state)
        assert [r for p, r in results if p == hit] == ["failed", "ok"]
        assert sorted(p for p, r in results if r == "ok") == sorted(lab_.hashes)
    finally:
        if watcher is not None:
            stop(watcher)
        server.stop()


@pytest.mark.slow
def test_a_drive_failing_mid_session_resends_the_plot_at_once_to_another_drive(
        tmp_path: Path, sshd: LocalSshd, copy_plots: CopyPlots, mounts: list[Path],  # noqa: F811
        loops: list[str]) -> None:  # noqa: F811
    needs_root("mkfs.ext4", "losetup")
    # drive1: ext4 that shows 128 MiB, on a device with ~6 MiB of real room: one k18 plot fits,
    # the second fails mid-stream below the filesystem.
    drive1, drive2 = short_device_drives(tmp_path, 6 * 2**20, mounts, loops)
    lab_ = lab(tmp_path, sshd, copy_plots, 3, drive_dirs=[drive1, drive2])
    dm(lab_.nas, "check")
    assert status_json(lab_.nas)["drive1"]["target"] is True

    done = send_once(lab_)

    assert done.returncode == 0, done.stderr
    (again,) = [line for line in done.stderr.splitlines() if "sending it again at once" in line]
    lab_.assert_all_stored_once()
    on1, on2 = ([p.name for p in drive.glob("plot-*.plot")] for drive in (drive1, drive2))
    assert len(on1) == 1 and len(on2) == 2  # one plot went whole to drive1 before it failed
    assert any(name in again for name in on2), again
    assert not [p for drive in (drive1, drive2) for p in drive.iterdir() if p.name.endswith(".part")]
    assert status_json(lab_.nas)["drive1"]["state"] == "failing"
    # A write that fails mid-stream ends the session (a second carries the rest); one that fails at
    # the commit's fsync (the page cache took the bytes) costs only the plot, and the session goes on.
    assert lab_.receiver_starts() in (1, 2)
    results = rows(lab_.plotter.state)
    assert [r for _, r in results].count("failed") == 1 and len(results) == 4
