"""The PoS2 keys of a ``[job NAME]`` section: ``strength``, ``meta_group`` and ``group_size``, for the
backends making PoS2 plots (``Backend.v2``) and refused for the others; a warning for a k below
mainnet's. Called by :mod:`plotter.plotting.config` for each job section.
"""

from __future__ import annotations

import logging
from typing import Any

from common.config import Section
from common.confvalues import parse_int
from plotter.plotting.backends import BACKENDS
from plotter.plotting.backends import get as get_backend
from plotter.plotting.backends.base import META_GROUPS, STRENGTHS, V2_MAINNET_K, Backend

log = logging.getLogger(__name__)

V2_KEYS = ("strength", "meta_group", "group_size")


def v2_keys(sec: Section, backend: Backend) -> dict[str, Any]:
    """strength, meta_group and group_size: a PoS2 backend's, refused for any other."""
    if not backend.v2:
        v2_names = ", ".join(name for name, found in BACKENDS.items() if found.v2)
        for key in V2_KEYS:
            if sec.opt_str(key) is not None:
                raise sec.error(key, f"only PoS2 backends ({v2_names}) take it; {backend.name} makes v1 plots")
        return {}
    sizes = backend.group_sizes
    group_size = sec.get_int("group_size", 1, low=1, high=65535)
    if group_size not in sizes:
        raise sec.error("group_size", f"{backend.name} makes {sizes[0]}..{sizes[-1]} plot(s) per group file, "
                                      f"not {group_size}")
    return {"strength": sec.get_int("strength", STRENGTHS[0], low=STRENGTHS[0], high=STRENGTHS[-1]),
            "meta_group": meta_group(sec), "group_size": group_size}


def meta_group(sec: Section) -> int | None:
    """``auto`` (None: placed before the job starts) or 0..255."""
    raw = sec.opt_str("meta_group")
    if raw is None or raw.lower() == "auto":
        return None
    try:
        return parse_int(raw, low=META_GROUPS[0], high=META_GROUPS[-1])
    except ValueError as exc:
        raise sec.error("meta_group", f"{exc} (or auto)") from None


def warn_small_k(sec: Section, backend: str, k: int) -> None:
    if get_backend(backend).v2 and k < V2_MAINNET_K:
        log.warning("%s [%s] k: k%d PoS2 plots are not farmable on mainnet (k%d is its size); fine for tests "
                    "and testnets", sec.path, sec.name, k, V2_MAINNET_K)
