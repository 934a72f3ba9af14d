"""The plotter backends by their contract names: chia | madmax | bladebit | bladebit-disk | bladebit-cuda | pos2 |
xchplot2."""

from __future__ import annotations

from plotter.plotting.backends import bladebit, chia, madmax, pos2, xchplot2
from plotter.plotting.backends.base import BACKEND_NAMES, Backend, JobSpec, keyless

BACKENDS: dict[str, Backend] = {
    backend.name: backend for backend in (chia.BACKEND, madmax.BACKEND, bladebit.RAM, bladebit.DISK, bladebit.CUDA,
                                      pos2.BACKEND, xchplot2.BACKEND)
}
assert tuple(BACKENDS) == BACKEND_NAMES


def get(name: str) -> Backend:
    try:
        return BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown plotter backend {name!r} (known: {', '.join(BACKEND_NAMES)})") from None


def command(spec: JobSpec) -> list[str]:
    return get(spec.backend).command(spec)


__all__ = ["BACKENDS", "BACKEND_NAMES", "Backend", "JobSpec", "command", "get", "keyless"]
