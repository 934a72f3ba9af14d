"""``--config``, ``-v`` and ``-q`` before and after the subcommand, at any depth; ``--version``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from common.version import VERSION
from nas.cli.main import build_parser as nas_parser
from plotter.cli.main import build_parser as plotter_parser
from tests.helpers import make_nas, make_plotter, run_cli


@pytest.mark.parametrize("argv", [
    ["--config", "a.ini", "-v", "send", "--once"],
    ["send", "--once", "-v", "--config", "a.ini"],
    ["--config", "a.ini", "send", "-v", "--once"],
    ["-v", "send", "--config", "a.ini", "--once"],
])
def test_plotter_options_in_any_position(argv: list[str]) -> None:
    args = plotter_parser().parse_args(argv)
    assert (args.config, args.verbose, args.quiet, args.once) == ("a.ini", 1, False, True)


def test_nested_subcommands_take_them_too() -> None:
    args = nas_parser().parse_args(["report", "daily", "--print", "-q", "--config", "n.ini"])
    assert (args.config, args.quiet, args.verbose) == ("n.ini", True, 0)
    args = nas_parser().parse_args(["-q", "--config", "n.ini", "drive", "offline", "drive3"])
    assert (args.config, args.quiet, args.drive) == ("n.ini", True, "drive3")
    args = plotter_parser().parse_args(["--config", "p.ini", "install", "cron", "-v"])
    assert (args.config, args.verbose, args.kind) == ("p.ini", 1, "cron")


@pytest.mark.parametrize("role", ["plotter", "nas"])
def test_version(role: str) -> None:
    result = run_cli(role, "--version")
    assert result.returncode == 0 and result.stdout == f"plotyard {VERSION}\n"


@pytest.mark.slow
def test_readme_example_send_once_v_runs(tmp_path: Path, copy_plots: Callable[..., list[Path]]) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    (plot,) = copy_plots(plotter.dst, 1)
    quiet = run_cli("plotter", "send", "--once", "-q", "--config", str(plotter.ini))
    assert quiet.returncode == 0, quiet.stderr
    assert " INFO plotter." not in quiet.stderr  # -q after the subcommand took effect
    assert [p.name for p in nas.plots()] == [plot.name]
    verbose = run_cli("plotter", "send", "--once", "-v", "--config", str(plotter.ini))
    assert verbose.returncode == 0, verbose.stderr
    assert " DEBUG plotter.send.runner: nothing to send" in verbose.stderr


def test_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.helpers import ROOT

    nas = make_nas(tmp_path / "nas", drives=1)
    # `status | head -0`, without a shell: the reader is gone before the writer has started up.
    writer = subprocess.Popen([sys.executable, "-m", "nas", "--config", str(nas.ini), "status"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, bufsize=0)
    assert writer.stdout is not None and writer.stderr is not None
    writer.stdout.close()
    stderr = writer.stderr.read().decode()
    assert writer.wait(timeout=60) == 141
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr
