"""The one error hierarchy of the project.

Every error a user can cause or meet carries a one-line message and a distinct
exit code; ``main()`` of each role prints the message and exits with the code.
Anything not derived from :class:`AppError` is a bug and keeps its traceback.
"""

from __future__ import annotations


class AppError(Exception):
    """Base of all expected failures."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(AppError):
    """The command line itself is wrong."""

    exit_code = 2


class ConfigError(AppError):
    """A config file is missing, unreadable or holds a bad value."""

    exit_code = 3

    @classmethod
    def at(cls, path: str, section: str | None, key: str | None, problem: str) -> ConfigError:
        where = path
        if section is not None:
            where += f": [{section}]"
        if key is not None:
            where += f" {key}"
        return cls(f"{where}: {problem}")


class InsecureConfigError(ConfigError):
    """A config file holding a secret (password, token, key, DSN) is readable by group/others."""

    exit_code = 7


class AssetError(AppError):
    """A file that ships with plotyard (template, unit, cron file) cannot be found or loaded."""

    exit_code = 8


class StateDirError(AppError):
    """The state dir (sqlite databases, locks) cannot be created or written: read-only, no permission,
    or a path through a regular file."""

    exit_code = 9


class NotifyError(AppError):
    """A message that had to go out (``report --send``) reached no channel."""

    exit_code = 20


class LockBusyError(AppError):
    """Another process holds a lock we need (not an error for cron runs)."""

    exit_code = 4


class PlotFileError(AppError):
    """A file that looks like a plot fails a check (name, header, size)."""

    exit_code = 5


class PlotContentError(PlotFileError):
    """A plot's content fails a check: its header, or its size against the header's layout."""


class PlotIncompleteError(PlotContentError):
    """A plot is shorter than its header's layout says, or its header is not filled in yet.

    Truncated, or (a PoS2 plot, written under its final name) still being written."""


class PlotUnfinishedError(PlotIncompleteError):
    """A PoS2 plot whose header's offsets are still zero: its writer fills them in last, so the
    file is still being written (or was abandoned); one whose offsets are set but whose data
    is short was cut short (:class:`PlotIncompleteError`)."""


class PlotExistsError(AppError):
    """The NAS already holds a plot of that name; a second copy is refused."""

    exit_code = 6


class PlotDiffersError(PlotExistsError):
    """The NAS holds a plot of that name whose size or hash differs from ours: both copies are kept."""


class PlotBusyError(LockBusyError):
    """The NAS is receiving a plot of that name from another sender right now: retry later."""


class ConnectError(AppError):
    """A NAS could not be reached or refused the session."""

    exit_code = 10


class HostKeyError(ConnectError):
    """The NAS host key is not in known_hosts or does not match it."""

    exit_code = 11


class ProtocolError(AppError):
    """The peer spoke something other than our protocol."""

    exit_code = 12


class PeerTimeoutError(ProtocolError):
    """The peer sent nothing within the time allowed."""


class RemoteError(AppError):
    """The NAS answered with an error; ``code`` is its machine-readable kind."""

    exit_code = 13

    def __init__(self, message: str, code: str = "remote") -> None:
        super().__init__(message)
        self.code = code


class NoSpaceError(AppError):
    """No drive (or no NAS) can take the plot."""

    exit_code = 14


class VerifyError(AppError):
    """Size or hash of a copy differs from the source."""

    exit_code = 15


class TransferError(AppError):
    """The data stream broke, timed out or hit an I/O error."""

    exit_code = 16


class DiskWriteError(TransferError):
    """Creating, writing, syncing or renaming a file on a receiving drive failed. ``stage`` says
    which step ("create" comes before any data was asked for) and ``errno`` how."""

    def __init__(self, message: str, errno: int | None, stage: str) -> None:
        super().__init__(message)
        self.errno = errno
        self.stage = stage


class DriveFailingError(TransferError):
    """The receiving drive failed mid-transfer (read-only, I/O error, gone) and is now marked
    failing; the plot is fine and another drive will take it (protocol code ``drive_failing``:
    the plotter retries at once)."""


class SomeFailedError(AppError):
    """A batch command finished but at least one item failed."""

    exit_code = 1


class LogFormatError(AppError):
    """A plotter log that no known plotter wrote (``plot-manager log phases`` without --backend)."""

    exit_code = 17


class PlotJobError(AppError):
    """``plot-manager jobs ...``: an id that names no plot job, or a job in the wrong state for the command."""

    exit_code = 18
