"""A ``.gplot`` group read back by the format's own library, where plotyard's Python has it.

A group file's compressed chunk index runs from the header's chunk index offset to the end
of the file, and its length is recorded nowhere: a file cut short inside that index (its
last ~1 %: the tail a crash or an interrupted copy loses first) passes every header and
size check. chia_rs decodes the whole index on the first challenge and fails on such a file
(measured with chia_rs 0.53: a k18 group cut by 1 byte opens, then its first lookup fails).
So where chia_rs >= 0.53 is importable (the ``pos2`` plotter's own, or the test extra), both
roles ask it; elsewhere the header and size checks are all there is, and the transfer's
end-to-end hash still guards the bytes between the two.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from common.errors import PlotContentError
from common.plotformat.base import PlotHeader

ZERO_CHALLENGE = bytes(32)


def _prover_class() -> Callable[[str], Any] | None:
    """chia_rs's group reader, or None where chia_rs is absent or too old to read groups."""
    try:
        from chia_rs import Prover  # optional: the plotter's pos2 backend, the test extra
    except ImportError:
        return None
    return Prover if hasattr(Prover, "get_group_size") else None


def check_with_library(path: Path, header: PlotHeader) -> bool:
    """Raise :class:`PlotContentError` when chia_rs cannot read the group at ``path`` or reads
    other facts than its header gave; False when chia_rs is not there to ask."""
    prover_class = _prover_class()
    if prover_class is None:
        return False
    try:
        from chia_rs.sized_bytes import bytes32

        prover = prover_class(str(path))
        facts = (prover.size(), prover.get_group_size(), bytes(prover.plot_group_id()).hex())
        prover.get_qualities_for_challenge(bytes32(ZERO_CHALLENGE))  # decodes the whole chunk index
    except BaseException as exc:  # a foreign library's errors (OSError, ValueError, a Rust panic): a refusal
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise  # KeyboardInterrupt, SystemExit
        raise PlotContentError(f"chia_rs cannot read the group ({exc}): its chunk index is cut short "
                               f"or damaged") from None
    if facts != (header.k, header.group_size, header.plot_id):
        raise PlotContentError(f"chia_rs reads k{facts[0]}, {facts[1]} plots, group {facts[2][:12]}…; "
                               f"the header says k{header.k}, {header.group_size} plots, group "
                               f"{header.plot_id[:12]}…")
    return True
