"""The v1 phase-out after the PoS2 hard fork, as chia-blockchain enforces it (pure).

Two sources say how v1 plots stop counting, and they differ by about an epoch:

* CHIP-49 (Chia-Network/chips PR #161, "Phase-out period"): the win probability factor falls
  linearly from 1.000 at the fork height by 1/256 per epoch of 4608 blocks, ``1 - floor(d / 4608)
  / 256`` blocks ``d`` after the fork, and reaches 0 after 256 epochs (fork + 256 x 4608).
* chia-blockchain 2.7.5 (``chia.types.blockchain_format.proof_of_space.is_v1_phased_out``):
  ``PLOT_V1_PHASE_OUT_EPOCH_BITS = 8`` gives 255 phase-out epochs; a v1 proof survives when one
  hash byte (uniform over 0..255) is below ``(fork + 255 x 4608 - h) // 4608``. Its expected
  weight is that counter / 256: 255/256 at the fork, 254/256 one block later, and 0 from
  fork + 254 x 4608 + 1 on (every proof is refused from ``v1_cut_off_height`` = fork + 255 x 4608).

We follow the code: full nodes validate blocks with it, so it decides what a v1 plot still
wins; the CHIP is the proposal's prose. The code ends v1 one epoch (a day) earlier than the
CHIP's table, so following it errs on the safe side for a farmer racing the deadline.
``h`` is the height of the last transaction block before the signage point; we use the peak.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

EPOCH_BLOCKS = 4608  # blocks per epoch, mainnet; the CHIP's "blocks per day"
PHASE_OUT_EPOCHS = 255  # (1 << PLOT_V1_PHASE_OUT_EPOCH_BITS) - 1; the CHIP says 256
HASH_VALUES = 256  # the phase-out compares one hash byte
DAY = 86400.0


class HeightSource(StrEnum):
    NODE = "node"  # read from the full node's RPC (peak height)
    FORK_DATE = "fork_date"  # estimated: fork_height on fork_date, EPOCH_BLOCKS a day since


@dataclass(frozen=True)
class Chain:
    """A known (or estimated) height at a time; other heights and times follow at EPOCH_BLOCKS a day."""

    height: int
    at: float  # epoch seconds
    source: HeightSource

    def time_of(self, height: int) -> float:
        return self.at + (height - self.height) / EPOCH_BLOCKS * DAY


def estimated(fork_height: int, fork_date: float, now: float) -> Chain:
    """The height now if the fork happened at ``fork_date`` and blocks came at the target rate."""
    return Chain(fork_height + math.floor((now - fork_date) / DAY * EPOCH_BLOCKS), now, HeightSource.FORK_DATE)


def v1_weight(height: int, fork_height: int) -> float:
    """The expected share of a v1 plot's proofs the chain still accepts at ``height``."""
    if height < fork_height:
        return 1.0
    counter = (cut_off_height(fork_height) - height) // EPOCH_BLOCKS
    return max(counter, 0) / HASH_VALUES


def cut_off_height(fork_height: int) -> int:
    """chia's ``v1_cut_off_height``: from here no v1 proof is valid at all."""
    return fork_height + PHASE_OUT_EPOCHS * EPOCH_BLOCKS


def zero_height(fork_height: int) -> int:
    """The first height where a v1 plot's weight is 0 (one epoch before the cut-off)."""
    return cut_off_height(fork_height) - EPOCH_BLOCKS + 1
