"""Whether a NAS's answer to ``status --json`` really is a NAS status. Pure.

A key whose authorized_keys line forces ``drive-manager receive`` runs the receiver
whatever command the plotter asks for: the receiver greets with its protocol hello,
sees no input and exits 0. Taken for a status, that hello would read as a NAS with
no drives and no plots; here it is an answer that is not a status, with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

HELLO_REASON = "the NAS key runs only `receive`; see `drive-manager install ssh`"

# The numbers common.status.summary.summarize converts, as nas.model.state_to_dict writes them.
DRIVE_INTS = ("total_bytes", "free_bytes", "plots")
DRIVE_OPTIONAL_INTS = ("plot_bytes", "plots_free")
TOTAL_INTS = ("drives", "plots", "plot_bytes", "total_bytes", "free_bytes", "received_24h")
TOTAL_OPTIONAL_INTS = ("plots_until_full",)


class NotAStatus(ValueError):
    """The answer is not a NAS status; the message says why (one line)."""


def parse_status(out: bytes) -> dict[str, Any]:
    """The status in ``out`` (the command's standard output), or :class:`NotAStatus`."""
    try:
        data = json.loads(out)
    except ValueError as exc:
        raise NotAStatus(_not_json(out, exc)) from None
    problem = status_problem(data)
    if problem is not None:
        raise NotAStatus(problem)
    assert isinstance(data, dict)
    return data


def _not_json(out: bytes, exc: ValueError) -> str:
    # A forced receiver may be chattier than the hello alone: judge its first line too.
    first = out.split(b"\n", 1)[0]
    try:
        message = json.loads(first)
    except ValueError:
        return f"status --json printed no valid JSON: {exc}"
    problem = protocol_problem(message) if isinstance(message, dict) else None
    return problem or f"status --json printed no valid JSON: {exc}"


def protocol_problem(data: Mapping[str, Any]) -> str | None:
    """The reason when ``data`` is a plotter <-> NAS protocol message rather than a status."""
    kind = data.get("msg")
    if not isinstance(kind, str):
        return None
    if kind == "hello":
        return f"status --json was answered by the receiver's hello: {HELLO_REASON}"
    if kind == "error":
        return f"status --json was answered by a protocol error: {data.get('error', 'unspecified')}"
    return f"status --json was answered by the protocol message '{kind}', not a NAS status"


def status_problem(data: object) -> str | None:
    """Why ``data`` (parsed JSON) is not what ``drive-manager status --json`` prints; None if it is."""
    if not isinstance(data, dict):
        return f"status --json printed a JSON {type(data).__name__}, not a NAS status"
    problem = protocol_problem(data)
    if problem is not None:
        return problem
    if not _is_number(data.get("time")):
        return "status --json has no 'time': not a NAS status"
    if data.get("plot_size") is not None and not _is_number(data["plot_size"]):
        return "status --json has no valid 'plot_size': not a NAS status"
    drives, totals = data.get("drives"), data.get("totals")
    if not isinstance(drives, list):
        return "status --json has no 'drives' list: not a NAS status"
    if not isinstance(totals, dict):
        return "status --json has no 'totals': not a NAS status"
    bad = _bad_numbers(totals, TOTAL_INTS, TOTAL_OPTIONAL_INTS)
    if bad:
        return f"status --json 'totals' has no valid '{bad}': not a NAS status"
    for index, drive in enumerate(drives):
        problem = _drive_problem(drive)
        if problem:
            return f"status --json drive {index + 1} {problem}: not a NAS status"
    return None


def _drive_problem(drive: object) -> str | None:
    if not isinstance(drive, dict):
        return "is not an object"
    if not isinstance(drive.get("mountpoint"), str) or not drive["mountpoint"]:
        return "has no 'mountpoint'"
    bad = _bad_numbers(drive, DRIVE_INTS, DRIVE_OPTIONAL_INTS)
    if bad:
        return f"has no valid '{bad}'"
    smart = drive.get("smart")
    if smart is not None and not (isinstance(smart, dict) and (smart.get("temperature") is None
                                                                or _is_number(smart["temperature"]))):
        return "has no valid 'smart'"
    return None


def _bad_numbers(obj: Mapping[str, Any], required: tuple[str, ...], optional: tuple[str, ...]) -> str | None:
    """The first field that is not an integer (``optional`` ones may also be null)."""
    for name in required:
        if not _is_int(obj.get(name)):
            return name
    for name in optional:
        if obj.get(name) is not None and not _is_int(obj[name]):
            return name
    return None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
