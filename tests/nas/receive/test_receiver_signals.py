"""A receiver ended by a signal mid-transfer (the plotter ending a receiver it gave up on)
leaves no ``.part`` and no claim on the name."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import make_nas, wait_for
from tests.receiver import HandReceiver, connect, opening

CopyPlots = Callable[..., list[Path]]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_mid_transfer_removes_the_part_and_frees_the_name(tmp_path: Path, copy_plots: CopyPlots,
                                                                   sig: signal.Signals) -> None:
    nas = make_nas(tmp_path / "nas", drives=1, extra_nas="preallocate = false\nbuffer_size = 65536")
    (source,) = copy_plots(tmp_path / "src", 1)
    size = source.stat().st_size
    receiver = HandReceiver(nas.ini)
    ready = receiver.offer(source.name, size)
    assert ready["msg"] == "ready", ready
    with connect(ready) as conn:
        conn.sendall(opening(ready, size) + source.read_bytes()[: size // 2])
        wait_for(lambda: nas.parts() and nas.parts()[0].stat().st_size >= size // 4, 30, "half the plot written")
        receiver.proc.send_signal(sig)
        assert receiver.finish() == 128 + sig
    assert nas.parts() == [] and nas.plots() == []
    again = HandReceiver(nas.ini)
    assert again.offer(source.name, size)["msg"] == "ready"  # the name is free for the next try
    again.proc.terminate()
    assert again.finish() == 128 + signal.SIGTERM
