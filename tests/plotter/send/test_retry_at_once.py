"""The plotter sends a plot again at once when the NAS answers ``drive_failing`` (its drive broke
mid-stream and is marked), a bounded number of times; any other error waits for the next round."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from plotter.send.sender import AT_ONCE_TRIES
from tests.helpers import make_nas, make_plotter, run_cli

CopyPlots = Callable[..., list[Path]]

# A NAS peer that refuses every offer with one error code, counting offers; its session goes on.
PEER = """\
import json, sys
code, count = sys.argv[1], sys.argv[2]
out = sys.stdout
out.write(json.dumps({"msg": "hello", "v": 4, "max_v": 4, "host": "stub", "version": "0"}) + "\\n"); out.flush()
for line in sys.stdin:
    msg = json.loads(line)
    if msg["msg"] == "offer":
        with open(count, "a") as handle:
            handle.write(msg["name"] + "\\n")
        out.write(json.dumps({"msg": "error", "code": code, "error": "/mnt/drive1 is failing (x)"}) + "\\n")
        out.flush()
    if msg["msg"] == "bye":
        break
"""


@pytest.mark.parametrize(("code", "offers"), [("drive_failing", AT_ONCE_TRIES), ("transfer", 1)])
def test_drive_failing_is_retried_at_once_and_bounded(tmp_path: Path, copy_plots: CopyPlots, code: str,
                                                      offers: int) -> None:
    peer, count = tmp_path / "peer.py", tmp_path / "offers"
    peer.write_text(PEER)
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    plotter.ini.write_text(plotter.ini.read_text().replace(nas.command, f"{sys.executable} {peer} {code} {count}"))
    (plot,) = copy_plots(plotter.dst, 1)

    done = run_cli("plotter", "--config", str(plotter.ini), "send", "--once")

    assert done.returncode != 0 and plot.exists()  # never sent: kept
    assert count.read_text().splitlines() == [plot.name] * offers
    assert done.stderr.count("sending it again at once") == offers - 1
