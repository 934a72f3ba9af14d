"""Exactly once across the whole NAS, with real plots, real receivers and real senders:
two senders of one name, a crash at commit, a NAS copy that differs, a hard-linked plot."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from common.errors import PlotBusyError, PlotDiffersError
from common.transfer.stream import hash_file
from nas.state import DB_NAME
from tests.helpers import ROOT, NasSetup, PlotterSetup, make_nas, make_plotter, popen_cli, run_cli, wait_for
from tests.notify_servers import SmtpServer, part_text, smtp_plain  # noqa: F401 (fixture)
from tests.sshd import LocalSshd

CopyPlots = Callable[..., list[Path]]
SLOW = "bwlimit = 512KiB"  # a k18 plot then streams for ~8 s: a second sender surely meets it
RELAY = ROOT / "tests" / "integration" / "relay.py"
VERIFIED = "already on the NAS, verified"


def rows(state: Path) -> list[tuple[str, str]]:
    """(plot, result) of every transfer in a plotter's history."""
    if not (state / "plotter.sqlite").exists():
        return []
    with sqlite3.connect(state / "plotter.sqlite") as conn:
        return list(conn.execute("SELECT plot, result FROM transfers ORDER BY id"))


def send(plotter: PlotterSetup) -> tuple[int, str]:
    result = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")
    return result.returncode, result.stderr


def streaming(nas: NasSetup) -> None:
    wait_for(lambda: any(p.stat().st_size > 0 for p in nas.parts() if p.exists()), 60,
             "the first sender's plot to stream into a .part")


def assert_one_copy(nas: NasSetup, name: str, digest: str) -> None:
    (copy,) = nas.plots()
    assert copy.name == name and hash_file(str(copy)) == digest
    assert nas.parts() == []


@pytest.mark.slow
def test_two_configs_on_one_plot_dir_store_it_once(tmp_path: Path, sshd: LocalSshd, copy_plots: CopyPlots) -> None:
    """Cron with /etc/..., a person with ~/.config/...: two state dirs, one plot dir."""
    nas = make_nas(tmp_path / "nas", drives=2)
    cron = make_plotter(tmp_path / "cron", nas, sshd, extra_plotter=SLOW)
    person = make_plotter(tmp_path / "person", nas, sshd)
    person.ini.write_text(person.ini.read_text().replace(str(person.dst), str(cron.dst)))
    (source,) = copy_plots(cron.dst, 1)
    digest = hash_file(str(source))

    first = popen_cli("plotter", "--config", str(cron.ini), "send", "--once")
    streaming(nas)
    code, err = send(person)
    assert source.exists()  # the loser kept it: the winner's stream is not finished
    _, first_err = first.communicate(timeout=120)

    assert code == PlotBusyError.exit_code == 4, err
    assert "is being received from another sender right now" in err and "kept on the plotter" in err
    assert first.returncode == 0, first_err
    assert_one_copy(nas, source.name, digest)
    assert not source.exists()
    assert rows(cron.state) == [(source.name, "ok")] and rows(person.state) == []  # never counted as sent


@pytest.mark.slow
def test_same_plot_on_two_plotters_is_verified_later(tmp_path: Path, sshd: LocalSshd, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=2)
    winner = make_plotter(tmp_path / "winner", nas, sshd, extra_plotter=SLOW)
    loser = make_plotter(tmp_path / "loser", nas, None)
    (mine,) = copy_plots(winner.dst, 1)
    (theirs,) = copy_plots(loser.dst, 1)
    digest = hash_file(str(mine))

    first = popen_cli("plotter", "--config", str(winner.ini), "send", "--once")
    streaming(nas)
    busy_code, busy_err = send(loser)
    _, first_err = first.communicate(timeout=120)
    later_code, later_err = send(loser)

    assert busy_code == 4, busy_err
    assert first.returncode == 0, first_err
    assert later_code == 0, later_err
    assert VERIFIED in later_err and not theirs.exists() and not mine.exists()
    assert_one_copy(nas, mine.name, digest)
    assert rows(loser.state) == [(theirs.name, "verified")]
    status = json.loads(run_cli("plotter", "--config", str(loser.ini), "status", "--json").stdout)
    assert status["recent"][0]["hash"] == digest and status["recent"][0]["path"] == str(nas.plots()[0])


@pytest.mark.slow
def test_sender_killed_after_the_nas_stored_it(tmp_path: Path, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    (source,) = copy_plots(plotter.dst, 1)
    digest = hash_file(str(source))
    normal = plotter.ini.read_text()
    plotter.ini.write_text(normal.replace(nas.command, f"{sys.executable} {RELAY} kill-plotter {nas.command}"))

    killed, _ = send(plotter)
    plotter.ini.write_text(normal)
    code, err = send(plotter)

    assert killed == -signal.SIGKILL
    assert code == 0, err
    assert VERIFIED in err and "already exists" not in err
    assert not source.exists()
    assert_one_copy(nas, source.name, digest)
    assert rows(plotter.state) == [(source.name, "verified")]
    assert "without a recorded hash" not in err  # the receiver recorded the hash at commit: no re-hash


@pytest.mark.slow
def test_answer_lost_after_commit_over_ssh(tmp_path: Path, sshd: LocalSshd, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, sshd)
    (source,) = copy_plots(plotter.dst, 1)
    digest = hash_file(str(source))
    normal = plotter.ini.read_text()
    plotter.ini.write_text(normal.replace(nas.command, f"{sys.executable} {RELAY} hang-up {nas.command}"))

    lost, lost_err = send(plotter)
    assert lost == 1 and source.exists(), lost_err  # no "stored": not deleted
    plotter.ini.write_text(normal)
    code, err = send(plotter)

    assert code == 0, err
    assert VERIFIED in err and not source.exists()
    assert_one_copy(nas, source.name, digest)
    assert [r for _, r in rows(plotter.state)] == ["failed", "verified"]


def test_copy_without_a_record_is_hashed_on_the_nas(tmp_path: Path, copy_plots: CopyPlots) -> None:
    """The receiver died between rename and record (or a person copied the plot over)."""
    nas = make_nas(tmp_path / "nas", drives=2)
    (copy,) = copy_plots(nas.drives[1], 1)
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    (source,) = copy_plots(plotter.dst, 1)

    code, err = send(plotter)

    assert code == 0, err
    assert "without a recorded hash: hashing" in err and VERIFIED in err
    assert not source.exists() and nas.plots() == [copy]
    with sqlite3.connect(nas.state / DB_NAME) as conn:
        assert conn.execute("SELECT path, hash FROM stored").fetchall() == [(str(copy), hash_file(str(copy)))]


def test_differing_copies_keep_the_source_and_alert(tmp_path: Path, copy_plots: CopyPlots,
                                                   plot_pool: list[Path],
                                                   smtp_plain: SmtpServer) -> None:  # noqa: F811
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None, more_nas=(
        "[notify]\ndefault = email\n"
        f"[email]\nhost = 127.0.0.1\nport = {smtp_plain.port}\nsecurity = none\n"
        "from = plotter@example.com\nto = farmer@example.com\n"))
    (source,) = copy_plots(plotter.dst, 1)
    other = nas.drives[0] / source.name
    other.write_bytes(plot_pool[1].read_bytes())  # another plot's bytes under this plot's name
    before = hash_file(str(source)), hash_file(str(other))

    code, err = send(plotter)

    assert code == PlotDiffersError.exit_code == 6, err
    assert "the copies differ" in err and "kept here" in err
    assert (hash_file(str(source)), hash_file(str(other))) == before  # neither copy touched
    assert nas.plots() == [other] and nas.parts() == []
    assert rows(plotter.state) == [(source.name, "differs")]
    (mail,) = smtp_plain.box.wait(1)
    assert mail["Subject"].endswith(f"{source.name}: the NAS holds a different copy")
    assert "the copies differ" in part_text(mail, "plain") and "the copies differ" in part_text(mail, "html")


def test_hard_linked_plot_in_two_plot_dirs_is_sent_once(tmp_path: Path, copy_plots: CopyPlots) -> None:
    nas = make_nas(tmp_path / "nas", drives=2)
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    second = plotter.add_plot_dir()
    (source,) = copy_plots(plotter.dst, 1)
    os.link(source, second / source.name)
    digest = hash_file(str(source))

    code, err = send(plotter)

    assert code == 0, err
    assert not source.exists() and not (second / source.name).exists()
    assert_one_copy(nas, source.name, digest)
    assert sorted(r for _, r in rows(plotter.state)) == ["ok", "verified"]
