"""The plotter's own last error line, for a failed job's reason."""

from __future__ import annotations

from plotter.plotting.logs.errors import MAX_CHARS, last_error


def test_real_chia_refusing_a_size() -> None:  # real chia 2.7.5, `chia plots create -k 20 --override-k`
    assert last_error(["Error: The minimum k size allowed from the cli is k=25.", ""]) == \
        "Error: The minimum k size allowed from the cli is k=25."


def test_a_traceback_gives_its_exception_line_not_a_later_error_word() -> None:
    lines = ["2026-12-06T22:00:00 chia.plotting.create_plots : INFO Creating 1 plots of size 25",
             "Traceback (most recent call last):",
             '  File "/x/chia/util/lock.py", line 30, in lock_config',
             "    raise RuntimeError('error in frame')",
             "PermissionError: [Errno 30] Read-only file system: '/home/chia/.chia/mainnet/config/config.yaml.lock'",
             "plotyard: note"]
    assert last_error(lines) == ("PermissionError: [Errno 30] Read-only file system: "
                                 "'/home/chia/.chia/mainnet/config/config.yaml.lock'")


def test_madmax_and_colour_codes() -> None:
    assert last_error(["Multi-threaded pipelined Chia k34 plotter", "\x1b[31mInvalid k option: 40\x1b[0m\r"]) == \
        "Invalid k option: 40"


def test_the_last_of_several_and_none_without_one() -> None:
    assert last_error(["Failed to write to tmpdir directory: '/a/'", "Phase 1 took 3 sec",
                       "Could not copy: No space left on device"]) == "Could not copy: No space left on device"
    assert last_error(["Starting phase 1/4", "Computing table 2", ""]) is None
    assert last_error([]) is None


def test_a_long_line_is_shortened() -> None:
    found = last_error(["Error: " + "x" * 500])
    assert found is not None and len(found) == MAX_CHARS and found.endswith("…")
