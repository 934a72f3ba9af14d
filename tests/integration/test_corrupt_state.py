"""A corrupt state database (plotter history, alert dedupe, the NAS's state) no longer fails every
run: ``send --once`` with real plots succeeds, the file is moved aside as ``<name>.corrupt-<time>``,
and the warning comes once, not on every later run."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from plotter.send.history import History
from tests.helpers import NasSetup, PlotterSetup, make_nas, make_plotter, run_cli
from tests.notify_servers import HttpCapture

CopyPlots = Callable[..., list[Path]]
WARNING = "is corrupt"


def garbage(path: Path) -> None:
    path.write_bytes(secrets.token_bytes(20_000))


def truncated(path: Path) -> None:
    """The real database of the first run, cut in half (as by a full disk or a crash mid-copy)."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def setup(tmp_path: Path, push: HttpCapture) -> tuple[NasSetup, PlotterSetup]:
    nas = make_nas(tmp_path / "nas", drives=1)
    notify = f"[notify]\nplot_sent = pushbullet\n[pushbullet]\napi_key = key\napi_url = {push.url}\n"
    plotter = make_plotter(tmp_path / "plotter", nas, None, more_nas=notify)
    plotter.ini.chmod(0o600)  # it holds an API key
    return nas, plotter


def send(plotter: PlotterSetup, copy_plots: CopyPlots, index: int) -> tuple[Path, str]:
    (source,) = copy_plots(plotter.dst, 1, start=index)
    result = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert not source.exists()
    return source, result.stderr


@pytest.mark.parametrize("damage", [garbage, truncated], ids=["garbage", "truncated"])
@pytest.mark.parametrize("db", ["plotter/state/plotter.sqlite", "plotter/state/notify.sqlite",
                                "nas/state/drive-manager.sqlite"])
@pytest.mark.slow
def test_corrupt_database_is_set_aside_once(tmp_path: Path, copy_plots: CopyPlots, http_capture: HttpCapture,
                                            db: str, damage: Callable[[Path], None]) -> None:
    nas, plotter = setup(tmp_path, http_capture)
    send(plotter, copy_plots, 0)  # a clean first run makes the real database
    path = tmp_path / db
    damage(path)

    second, err = send(plotter, copy_plots, 1)
    assert err.count(WARNING) == 1, err
    (aside,) = path.parent.glob(f"{path.name}.corrupt-*")
    assert f"{path} {WARNING}" in err and aside.name in err

    third, err = send(plotter, copy_plots, 2)
    assert WARNING not in err
    assert len(list(path.parent.glob(f"{path.name}.corrupt-*"))) == 1
    assert {second.name, third.name} <= {p.name for p in nas.plots()}
    http_capture.wait(lambda r: r.path.endswith("/v2/pushes"), count=3)  # plot_sent went out every run
    if path.name == "plotter.sqlite":
        history = History(plotter.state)
        assert {t["plot"] for t in history.recent()} == {second.name, third.name}  # the fresh history
        history.close()
