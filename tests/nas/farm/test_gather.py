"""The farm check inside ``check`` and ``status`` without a harvester to ask (a chia root with no
config, one whose harvester does not answer): the error, the alert, the exit codes, the views."""

from __future__ import annotations

import json
import time
from pathlib import Path

from nas.config import load
from nas.monitor.check import current_state, run_check
from nas.monitor.events import HarvesterUnreachable
from tests.helpers import make_nas, run_cli
from tests.sshd import free_port


def test_no_chia_config_is_a_config_error(tmp_path: Path) -> None:
    nas = make_nas(tmp_path / "nas", drive_sections=f"[chia]\nroot = {tmp_path / 'nowhere'}\n")
    done = run_cli("nas", "--config", str(nas.ini), "farm", "check")
    assert done.returncode == 3 and "cannot read the chia config ([chia] root)" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_harvester_that_does_not_answer(tmp_path: Path) -> None:
    root = tmp_path / "chia"
    (root / "config").mkdir(parents=True)
    port = free_port()  # nothing listens there
    (root / "config" / "config.yaml").write_text(f"self_hostname: 127.0.0.1\nharvester:\n  rpc_port: {port}\n")
    nas = make_nas(tmp_path / "nas", drive_sections=f"[chia]\nroot = {root}\n")
    done = run_cli("nas", "--config", str(nas.ini), "farm", "check", "--json")
    farm = json.loads(done.stdout)
    assert done.returncode == 10 and farm["reachable"] is False and farm["harvester"] == f"https://127.0.0.1:{port}"
    assert "cannot load the harvester's SSL files" in farm["error"]
    cfg = load(nas.ini)
    state, events = run_check(cfg, now=time.time())
    assert [type(e) for e in events if isinstance(e, HarvesterUnreachable)] == [HarvesterUnreachable]
    assert state.farm is not None and state.farm["reachable"] is False
    (root / "config" / "config.yaml").write_text("harvester: [not, a, mapping]\n")
    # Views and scrapes show the last check's farm; status asks again.
    # views read the last check's, less the plot names (they go out fresh in status --json only)
    assert current_state(cfg, refresh_smart=False).farm == {k: v for k, v in state.farm.items() if k != "names"}
    assert "is not a mapping" in str((current_state(cfg).farm or {}).get("error"))


def test_without_chia_section_no_farm_in_status(tmp_path: Path) -> None:
    nas = make_nas(tmp_path / "nas")
    status = json.loads(run_cli("nas", "--config", str(nas.ini), "status", "--json").stdout)
    assert status["farm"] is None
