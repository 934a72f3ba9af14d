"""The state model's enums: plain strings in JSON, enums again after a round trip."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from nas.model import DriveState, SmartStatus, smart_from_dict, smart_to_dict, state_from_dict, state_to_dict
from tests.nas.status_data import make_state


def test_json_carries_plain_values_and_loading_gives_the_enums_back() -> None:
    state = make_state()
    text = json.dumps(state_to_dict(state))
    raw = json.loads(text)
    assert [(d["state"], d["smart"]["status"]) for d in raw["drives"]] == [("full", "ok"), ("active", "ok")]
    loaded = state_from_dict(raw)
    assert loaded == state
    assert all(type(d.state) is DriveState and type(d.smart.status) is SmartStatus for d in loaded.drives)


def test_smart_round_trip_keeps_standby() -> None:
    info = replace(make_state().drives[0].smart, status=SmartStatus.STANDBY, reason="in STANDBY mode")
    loaded = smart_from_dict(json.loads(json.dumps(smart_to_dict(info))))
    assert loaded == info and type(loaded.status) is SmartStatus and f"{loaded.status}" == "standby"


def test_an_unknown_stored_state_is_refused_not_carried() -> None:
    raw = state_to_dict(make_state())
    raw["drives"][0]["state"] = "ful"
    with pytest.raises(ValueError):
        state_from_dict(raw)


def test_a_cached_smart_status_of_another_version_reads_as_unknown_with_a_reason() -> None:
    raw = smart_to_dict(make_state().drives[0].smart)
    raw["status"] = "sleeping"
    loaded = smart_from_dict(raw)
    assert loaded.status is SmartStatus.UNKNOWN and loaded.reason is not None and "'sleeping'" in loaded.reason
    assert loaded.serial == raw["serial"]
