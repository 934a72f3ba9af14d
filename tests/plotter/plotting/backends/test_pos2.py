"""The pos2 backend: its argv (run under plotyard's Python), file names, room, and its command line read
back for a job started by hand."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from common.plotformat.sizes import POS2_HIGH, pos2_plot_bytes
from plotter.plotting.backends import JobSpec, command, get
from plotter.plotting.pos2.address import encode
from plotter.plotting.process.cmdline import parse
from plotter.plotting.sizes import need
from tests.chiacli import FARMER_KEY, POOL_KEY

GID = "ab" * 32
CONTRACT = encode("txch", bytes(range(32)))


def spec(**changes: object) -> JobSpec:
    values: dict[str, object] = {"backend": "pos2", "dst_dir": Path("/dst"), "farmer_key": FARMER_KEY,
                                 "pool_key": POOL_KEY, "k": 28, "tmp_dir": Path("/tmp0")}
    values.update(changes)
    return JobSpec(**values)  # type: ignore[arg-type]


def test_argv() -> None:
    assert command(spec(meta_group=3, strength=4)) == [
        sys.executable, "-m", "plotter.plotting.pos2.plotter", "-k", "28", "--strength", "4", "--meta-group", "3",
        "-f", FARMER_KEY, "-p", POOL_KEY, "-t", "/tmp0", "-d", "/dst"]
    argv = command(spec(pool_key=None, pool_contract=CONTRACT, executable="/opt/py/bin/python3",
                        extra_args=("--check", "9")))
    assert argv[0] == "/opt/py/bin/python3" and "--meta-group" not in argv  # auto: the plotter's own default
    assert argv[argv.index("-c") + 1] == CONTRACT and argv[-2:] == ["--check", "9"]


@pytest.mark.parametrize(("changes", "words"), [
    ({"k": 27}, "cannot make k27 plots (it accepts k18..k32, even)"),
    ({"tmp_dir": None}, "needs a temporary directory"),
    ({"group_size": 2}, "makes groups of 1..1 plots"),
    ({"meta_group": 256}, "meta group 256 is out of range"),
    ({"strength": 1}, "strength 1 is out of range 2..17"),
    ({"pool_key": None, "pool_contract": CONTRACT[:-1] + "x"}, "wrong checksum"),
])
def test_refused(changes: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        command(spec(**changes))


def test_v1_backends_refuse_v2_settings() -> None:
    with pytest.raises(ValueError, match="madmax makes v1 plots"):
        command(JobSpec(backend="madmax", dst_dir=Path("/d"), farmer_key=FARMER_KEY, pool_key=POOL_KEY,
                        tmp_dir=Path("/t"), strength=3))


def test_names_and_room() -> None:
    backend = get("pos2")
    assert backend.final_glob(GID) == f"plot-k*-{GID}.gplot"
    assert backend.temp_globs(spec(), GID) == [(Path("/tmp0"), f"*{GID}*.tmp"), (Path("/dst"), f"*{GID}*.tmp")]
    room = need("pos2", 28, 0, has_tmp2=False)
    # The format's ceiling for one k28 plot (k + 2 bits per entry, x 1.15): above the 1,002,635,557
    # bytes a real k28 group measured here; tmp holds the whole group before the move.
    assert room.dst == int(pos2_plot_bytes(28) * POS2_HIGH) >= 1_002_635_557
    assert room.tmp == room.dst and room.tmp2 == 0
    assert need("pos2", 18, 0, has_tmp2=False).dst >= 664_000  # a chia_rs k18 group measured up to 663,667 bytes


def test_a_hand_started_pos2_is_recognized() -> None:
    found = parse(["/usr/bin/python3", *command(spec())[1:]])
    assert found is not None and (found.backend, found.k, found.tmp_dir, found.dst_dir) == \
           ("pos2", 28, Path("/tmp0"), Path("/dst"))
    assert parse(["python3", "-m", "plotter.plotting.pos2.plotter", "-k", "18"]) is None  # no dirs: it won't run
