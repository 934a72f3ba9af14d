"""The referee NAS of a plot name: rendezvous (highest-random-weight) hashing. Pure.

Every NAS gets a weight for the name, ``blake2b(nas + NUL + name)`` read as a 64-bit number;
the heaviest NAS is the name's referee (ties, which need a 64-bit collision, go to the larger
NAS name). It depends only on the set of NAS names and the plot name, not on the order of the
``[nas …]`` sections, the plotter, the time or any NAS's free space: two senders that know the
same NAS always pick the same referee, so the referee's name claim is one lock for the farm.
Adding or removing a NAS moves only the names whose referee it is or becomes (about 1/n).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def weight(nas: str, plot: str) -> int:
    """The weight of ``nas`` for ``plot``: stable across machines, Python versions and runs."""
    digest = hashlib.blake2b(f"{nas}\0{plot}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def referee(nas_names: Iterable[str], plot: str) -> str:
    """The NAS (of ``nas_names``) whose name claim decides where ``plot`` is stored."""
    names = set(nas_names)
    if not names:
        raise ValueError("no NAS to choose a referee from")
    return max(names, key=lambda nas: (weight(nas, plot), nas))
