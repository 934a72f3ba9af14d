"""Exactly once across several NAS, with real plots, real receivers and real senders, locally
and over the private sshd: one referee per name (plotter.send.rendezvous) decides, whatever the plot
dirs, plotters or order of [nas] sections; a referee that is down makes its plots wait."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from common.errors import ConnectError
from common.transfer.stream import hash_file
from nas.state import DB_NAME
from plotter.send.rendezvous import referee
from tests.helpers import NasSetup, PlotterSetup, make_nas, make_plotter, nas_section, popen_cli, run_cli, wait_for
from tests.integration.test_exactly_once import VERIFIED, rows, send
from tests.sshd import LocalSshd, free_port

CopyPlots = Callable[..., list[Path]]
BOTH = ("nas01", "nas02")


def two_nas(root: Path, drives: int = 1) -> dict[str, NasSetup]:
    return {name: make_nas(root / name, drives=drives) for name in BOTH}


def farm_plotter(root: Path, farm: dict[str, NasSetup], sshd: LocalSshd, first: str = "nas01",
                 extra: str = "") -> PlotterSetup:
    """A plotter with both NAS: ``first`` over the sshd and listed first, the other local."""
    (second,) = (name for name in BOTH if name != first)
    return make_plotter(root, farm[first], sshd, nas_name=first, extra_plotter=extra,
                        more_nas=nas_section(second, farm[second], None))


def stored(farm: dict[str, NasSetup]) -> dict[str, list[str]]:
    return {name: [p.name for p in nas.plots()] for name, nas in farm.items()}


def dead_section(name: str, sshd: LocalSshd) -> str:
    return (f"[nas {name}]\nhost = 127.0.0.1\nport = {free_port()}\nuser = {sshd.user}\n"
            f"identity_file = {sshd.client_key}\nknown_hosts = {sshd.known_hosts}\nconnect_timeout = 3\n")


@pytest.mark.slow
@pytest.mark.parametrize("how", ["hard link", "copy"])
def test_one_plot_in_two_plot_dirs_is_stored_once_across_two_nas(tmp_path: Path, sshd: LocalSshd,
                                                                copy_plots: CopyPlots, how: str) -> None:
    farm = two_nas(tmp_path)
    plotter = farm_plotter(tmp_path / "plotter", farm, sshd)
    second = plotter.add_plot_dir()
    (source,) = copy_plots(plotter.dst, 1)
    twin = second / source.name
    if how == "hard link":
        os.link(source, twin)
    else:
        shutil.copy2(source, twin)
    digest = hash_file(str(source))

    code, err = send(plotter)

    assert code == 0, err
    assert not source.exists() and not twin.exists()
    chosen = referee(BOTH, source.name)
    assert stored(farm) == {name: [source.name] if name == chosen else [] for name in BOTH}
    assert hash_file(str(farm[chosen].plots()[0])) == digest
    assert all(nas.parts() == [] for nas in farm.values())
    assert sorted(r for _, r in rows(plotter.state)) == ["ok", "verified"]


@pytest.mark.slow
def test_two_plotters_with_the_same_plots_store_each_once(tmp_path: Path, sshd: LocalSshd,
                                                         copy_plots: CopyPlots) -> None:
    farm = two_nas(tmp_path, drives=2)
    slow = "bwlimit = 4MiB"  # each plot streams for about a second: the two senders overlap
    plotters = [farm_plotter(tmp_path / "one", farm, sshd, "nas01", slow),
                farm_plotter(tmp_path / "two", farm, sshd, "nas02", slow)]  # the other section order
    hashes = {}
    for plotter in plotters:
        hashes.update({p.name: hash_file(str(p)) for p in copy_plots(plotter.dst, 3)})

    runs = [popen_cli("plotter", "--config", str(p.ini), "send", "--once") for p in plotters]
    outcomes = [(run.communicate(timeout=300)[1], run.returncode) for run in runs]
    for plotter, (err, code) in zip(plotters, outcomes, strict=True):
        assert code in (0, 4), err  # 4: a name was being sent by the other plotter, kept for the next run
        if code == 4:
            again, again_err = send(plotter)
            assert again == 0 and VERIFIED in again_err, again_err

    assert all(p.plots() == [] for p in plotters)
    assert sorted(n for names in stored(farm).values() for n in names) == sorted(hashes)  # each exactly once
    for name, nas in farm.items():
        for copy in nas.plots():
            assert referee(BOTH, copy.name) == name and hash_file(str(copy)) == hashes[copy.name]
        assert nas.parts() == []
    results = rows(plotters[0].state) + rows(plotters[1].state)
    assert sorted(plot for plot, result in results if result == "ok") == sorted(hashes)
    assert sorted(plot for plot, result in results if result == "verified") == sorted(hashes)


@pytest.mark.slow
def test_a_plot_whose_referee_is_down_waits_and_the_others_go(tmp_path: Path, sshd: LocalSshd,
                                                             copy_plots: CopyPlots) -> None:
    up = make_nas(tmp_path / "up", drives=1)
    sources = copy_plots(tmp_path / "plotter" / "dst", 3)
    # A name for the dead NAS that makes it the referee of some of the plots, not of all.
    dead = next(f"dead{i}" for i in range(200)
                if {referee(["up", f"dead{i}"], s.name) for s in sources} == {"up", f"dead{i}"})
    plotter = make_plotter(tmp_path / "plotter", up, sshd, nas_name="up", more_nas=dead_section(dead, sshd))
    waiting = [s for s in sources if referee(["up", dead], s.name) == dead]
    going = [s for s in sources if s not in waiting]

    code, err = send(plotter)

    assert code == ConnectError.exit_code == 10, err
    assert all(s.exists() for s in waiting) and not any(s.exists() for s in going)
    assert sorted(p.name for p in up.plots()) == sorted(s.name for s in going) and up.parts() == []
    assert err.count(f"NAS {dead} is unreachable, plots wait for it") == 1  # once per NAS, not per plot
    assert "Traceback" not in err
    assert sorted(rows(plotter.state)) == sorted((s.name, "ok") for s in going)  # waiting is no failure


@pytest.mark.slow
def test_a_copy_on_a_nas_other_than_the_referee_is_verified_not_stored_again(tmp_path: Path, sshd: LocalSshd,
                                                                             copy_plots: CopyPlots) -> None:
    farm = two_nas(tmp_path)
    (early_copy,) = copy_plots(tmp_path / "early" / "dst", 1)
    chosen = referee(BOTH, early_copy.name)
    (other,) = (name for name in BOTH if name != chosen)
    early = make_plotter(tmp_path / "early", farm[other], None, nas_name=other)  # knew only that NAS
    assert send(early)[0] == 0 and stored(farm)[other] == [early_copy.name]
    plotter = farm_plotter(tmp_path / "plotter", farm, sshd)
    (source,) = copy_plots(plotter.dst, 1)

    code, err = send(plotter)

    assert code == 0, err
    assert VERIFIED in err and f"({other}:" in err and not source.exists()
    assert stored(farm) == {chosen: [], other: [source.name]}
    assert rows(plotter.state) == [(source.name, "verified")]


@pytest.mark.slow
def test_a_full_referee_records_where_the_plot_went_and_that_nas_must_answer(
        tmp_path: Path, sshd: LocalSshd, copy_plots: CopyPlots) -> None:
    (source,) = copy_plots(tmp_path / "one" / "dst", 1)
    chosen = referee(BOTH, source.name)
    (other,) = (name for name in BOTH if name != chosen)
    drive = tmp_path / chosen / "drives" / "drive1"
    quota = f"[drive {drive}]\nquota = 1MiB\n"  # no room for a k18 plot
    farm = {chosen: make_nas(tmp_path / chosen, drive_dirs=[drive], drive_sections=quota),
            other: make_nas(tmp_path / other, drives=1)}
    one = farm_plotter(tmp_path / "one", farm, sshd)

    code, err = send(one)

    assert code == 0, err
    assert f"its referee {chosen} has no room, sending it to {other}" in err and not source.exists()
    assert stored(farm) == {chosen: [], other: [source.name]}
    with sqlite3.connect(farm[chosen].state / DB_NAME) as conn:
        assert conn.execute("SELECT name, nas FROM placed").fetchall() == [(source.name, other)]

    # The referee has room again and the NAS its ledger names is down: a second copy waits.
    farm[chosen].ini.write_text(farm[chosen].ini.read_text().replace(quota, ""))
    down = f"[nas {other}]\ntransport = local\ncommand = {tmp_path / 'no-such-command'}\n"
    two = make_plotter(tmp_path / "two", farm[chosen], None, nas_name=chosen, more_nas=down)
    (again,) = copy_plots(two.dst, 1)
    waited = run_cli("plotter", "--config", str(two.ini), "send", "--once", "-v")
    code, err = waited.returncode, waited.stderr
    assert code == 10 and again.exists(), err
    assert err.count(f"NAS {other} is unreachable, plots wait for it") == 1
    assert f"was sent to NAS {other} (its referee {chosen} says), which cannot be asked now" in err
    assert stored(farm) == {chosen: [], other: [source.name]}

    two.ini.write_text(two.ini.read_text().replace(down, nas_section(other, farm[other], None)))
    code, err = send(two)
    assert code == 0 and VERIFIED in err and not again.exists(), err
    assert stored(farm) == {chosen: [], other: [source.name]}


# A NAS that speaks an older protocol (3: no sessions) and records any request it gets.
OLD_PEER = """\
import json, sys
out = sys.stdout
out.write(json.dumps({"msg": "hello", "v": 2, "max_v": 3, "host": "old", "version": "0"}) + "\\n"); out.flush()
for line in sys.stdin:
    with open(sys.argv[1], "a") as handle:
        handle.write(line)
"""


def test_an_older_nas_among_several_is_refused_and_the_plot_kept(tmp_path: Path, copy_plots: CopyPlots) -> None:
    peer = tmp_path / "peer.py"
    peer.write_text(OLD_PEER)
    sections = "".join(f"[nas {name}]\ntransport = local\ncommand = {sys.executable} {peer} "
                       f"{tmp_path / name}\n" for name in BOTH)
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None, nas_name="unused", more_nas="")
    plotter.ini.write_text(plotter.ini.read_text().split("[nas unused]")[0] + sections)
    (source,) = copy_plots(plotter.dst, 1)

    code, err = send(plotter)

    assert code == 10 and source.exists(), err  # no NAS it could be sent to: kept, waiting
    assert "NAS speaks protocol 3, we speak 4: upgrade both ends" in err
    assert not any((tmp_path / name).exists() for name in BOTH)  # nothing was asked


@pytest.mark.slow
def test_a_sender_killed_while_a_full_referee_holds_its_claim(tmp_path: Path, sshd: LocalSshd,
                                                             copy_plots: CopyPlots) -> None:
    """Killed while the plot streams to the other NAS: that NAS drops its .part, the referee's
    receiver ends with the session (the claim is free at once) and the next run stores it once."""
    (source,) = copy_plots(tmp_path / "plotter" / "dst", 1)
    digest = hash_file(str(source))
    chosen = referee(BOTH, source.name)
    (other,) = (name for name in BOTH if name != chosen)
    drive = tmp_path / chosen / "drives" / "drive1"
    farm = {chosen: make_nas(tmp_path / chosen, drive_dirs=[drive], drive_sections=f"[drive {drive}]\nquota = 1MiB\n"),
            other: make_nas(tmp_path / other, drives=1)}
    plotter = farm_plotter(tmp_path / "plotter", farm, sshd, first=other, extra="bwlimit = 512KiB")

    sender = popen_cli("plotter", "--config", str(plotter.ini), "send", "--once")
    wait_for(lambda: any(p.stat().st_size > 0 for p in farm[other].parts() if p.exists()), 60,
             "the plot to stream into the other NAS's .part")
    sender.send_signal(signal.SIGKILL)
    sender.communicate(timeout=30)
    wait_for(lambda: farm[other].parts() == [], 30, "the receiver to remove its .part")
    assert source.exists() and stored(farm) == {chosen: [], other: []}

    code, err = send(plotter)

    assert code == 0, err  # not "busy": the killed sender's claim went with its session
    assert not source.exists() and stored(farm) == {chosen: [], other: [source.name]}
    assert hash_file(str(farm[other].plots()[0])) == digest


def receivers_of(nas: NasSetup) -> list[int]:
    """Pids of the ``receive`` processes running for ``nas``'s config."""
    found = []
    for pid_dir in Path("/proc").iterdir():
        try:
            argv = (pid_dir / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if pid_dir.name.isdigit() and str(nas.ini).encode() in argv and b"receive" in argv:
            found.append(int(pid_dir.name))
    return found


@pytest.mark.slow
def test_the_referee_killed_while_the_plot_streams_elsewhere(tmp_path: Path, sshd: LocalSshd,
                                                            copy_plots: CopyPlots) -> None:
    """Its claim is gone, but the ledger and the receiving NAS's reservation still stop a second copy."""
    (source,) = copy_plots(tmp_path / "one" / "dst", 1)
    digest = hash_file(str(source))
    chosen = referee(BOTH, source.name)
    (other,) = (name for name in BOTH if name != chosen)
    drive = tmp_path / chosen / "drives" / "drive1"
    quota = f"[drive {drive}]\nquota = 1MiB\n"
    farm = {chosen: make_nas(tmp_path / chosen, drive_dirs=[drive], drive_sections=quota),
            other: make_nas(tmp_path / other, drives=1)}
    one = farm_plotter(tmp_path / "one", farm, sshd, first=other, extra="bwlimit = 512KiB")
    two = farm_plotter(tmp_path / "two", farm, sshd, first=other)
    (theirs,) = copy_plots(two.dst, 1)

    sender = popen_cli("plotter", "--config", str(one.ini), "send", "--once")
    wait_for(lambda: any(p.stat().st_size > 0 for p in farm[other].parts() if p.exists()), 60,
             "the plot to stream into the other NAS's .part")
    (held,) = receivers_of(farm[chosen])
    os.kill(held, signal.SIGKILL)
    wait_for(lambda: receivers_of(farm[chosen]) == [], 30, "the referee's receiver to be gone")
    farm[chosen].ini.write_text(farm[chosen].ini.read_text().replace(quota, ""))  # room there now
    busy, busy_err = send(two)
    _, err = sender.communicate(timeout=120)

    assert sender.returncode == 0, err
    assert busy == 4 and theirs.exists(), busy_err  # the ledger sent it to ask the other NAS: busy
    assert stored(farm) == {chosen: [], other: [source.name]}
    assert hash_file(str(farm[other].plots()[0])) == digest
    code, later_err = send(two)
    assert code == 0 and VERIFIED in later_err and not theirs.exists(), later_err
    assert stored(farm) == {chosen: [], other: [source.name]}
