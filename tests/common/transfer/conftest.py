"""The stream tests' fixture: both ways the sender hands bytes to the socket."""

from __future__ import annotations

import pytest

from common.transfer import stream


@pytest.fixture(params=["copy", "sendfile"])
def way_out(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways the sender hands bytes to the socket: copied from the mapping (to this
    machine) and sendfile (to another machine, which a loopback test cannot be: chosen here)."""
    monkeypatch.setattr(stream, "same_host", lambda sock: request.param == "copy")
    return str(request.param)
