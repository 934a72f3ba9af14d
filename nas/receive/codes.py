"""The protocol's error codes for the NAS's errors (see :mod:`common.transfer.protocol`)."""

from __future__ import annotations

from common.errors import (
    AppError,
    DriveFailingError,
    NoSpaceError,
    PlotBusyError,
    PlotContentError,
    PlotExistsError,
    PlotFileError,
    ProtocolError,
    StateDirError,
    TransferError,
    VerifyError,
)

ERROR_CODES: dict[type[AppError], str] = {
    DriveFailingError: "drive_failing",  # before TransferError, its base: the plotter retries at once
    NoSpaceError: "no_space", PlotContentError: "bad_plot", PlotFileError: "bad_name", VerifyError: "verify",
    TransferError: "transfer", ProtocolError: "protocol", PlotExistsError: "exists",
    StateDirError: "state_dir", PlotBusyError: "busy",
}


def error_code(exc: AppError) -> str:
    return next((code for kind, code in ERROR_CODES.items() if isinstance(exc, kind)), "error")
