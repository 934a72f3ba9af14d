"""What every plotter backend shares: the job description and the backend interface.

A backend turns a :class:`JobSpec` into an argv (never a shell string), names the executable,
says which k sizes and compression levels the plotter accepts, and knows how the plotter names
its temporary files and its final plot, so that a killed job's leftovers can be found and removed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

BACKEND_NAMES = ("chia", "madmax", "bladebit", "bladebit-disk", "bladebit-cuda", "pos2", "xchplot2")
_KEY_RE = re.compile(r"(?:0x)?[0-9a-fA-F]{96}")  # a BLS G1 public key, 48 bytes
_PLOT_ID_RE = re.compile(r"[0-9a-f]{64}")

# PoS2 (v2) plots: chia's consensus takes strengths MIN_PLOT_STRENGTH..MAX_PLOT_STRENGTH (2..17,
# chia/consensus/default_constants.py); each step doubles the plotting time. k is even, 18..32, and
# only k28 (PLOT_SIZE_V2) is planned for mainnet. A meta group is one byte; a group size a u16.
STRENGTHS = range(2, 18)
V2_K_VALUES = range(18, 33, 2)
V2_MAINNET_K = 28
META_GROUPS = range(0, 256)
GROUP_SIZES = range(1, 65536)

# The test suite's stand-ins make k18.. plots in seconds, under backends whose real plotter refuses
# such sizes. This variable (read once, at import) lets every backend take k18 and up; it is for the
# test suite only (README, Development), never for a farm: real plotters refuse those jobs.
TEST_SIZES_ENV = "PLOTYARD_TEST_SIZES"
TEST_K_MIN = 18
TEST_SIZES = os.environ.get(TEST_SIZES_ENV) == "1"


@dataclass(frozen=True)
class JobSpec:
    """One plot job; ``None`` leaves a setting to the plotter's own default."""

    backend: str
    dst_dir: Path
    farmer_key: str
    pool_key: str | None = None
    pool_contract: str | None = None
    k: int = 32
    tmp_dir: Path | None = None
    tmp2_dir: Path | None = None
    executable: str | None = None  # None: the backend's default name, looked up on PATH
    threads: int | None = None
    buckets: int | None = None
    buffer_mib: int | None = None  # chia's -b (sort buffer); the others size memory themselves
    compression: int = 0
    extra_args: tuple[str, ...] = ()
    # PoS2 (v2) backends only: strength, meta group (None: not fixed, the plotter's own choice or a
    # placement's) and plots per group file.
    strength: int = STRENGTHS[0]
    meta_group: int | None = None
    group_size: int = 1


def keyless(backend: str, k: int, dst: str, tmp: str | None, tmp2: str | None, compression: int = 0) -> JobSpec:
    """Enough of a job's description for its file names and room (keys play no part in them),
    from dirs as text: a job's database row, a plotter's command line."""
    return JobSpec(backend=backend, dst_dir=Path(dst), farmer_key="", k=k, tmp_dir=None if tmp is None else Path(tmp),
                   tmp2_dir=None if tmp2 is None else Path(tmp2), compression=compression)


class Backend:
    """Base of the backends; subclasses set the class attributes and :meth:`arguments`."""

    name: str = ""
    default_executable: str = ""
    k_values: range = range(0)
    levels: frozenset[int] = frozenset({0})
    needs_tmp: bool = True
    # True when temp file names do not carry the plot id (bladebit diskplot, cudaplot hybrid):
    # such a job needs a temp directory of its own so that its leftovers can be told apart.
    shared_temp_names: bool = False
    log_format: str = ""
    # True for backends making PoS2 plots (strength, meta group and group size apply to them); the
    # group sizes they can make in one file.
    v2: bool = False
    group_sizes: range = range(1, 2)
    final_suffix: str = ".plot"

    def arguments(self, spec: JobSpec) -> list[str]:
        raise NotImplementedError

    def accepted_k(self) -> range:
        """The k sizes a job of this backend may have: the real plotter's, or down to k18 for tests."""
        if TEST_SIZES:
            return range(min(TEST_K_MIN, self.k_values.start), self.k_values.stop, self.k_values.step)
        return self.k_values

    def executable(self, spec: JobSpec) -> str:
        return spec.executable or self.default_executable

    def command(self, spec: JobSpec) -> list[str]:
        """The job's argv; ValueError with a one-line reason when the plotter would refuse it."""
        self.check(spec)
        return [self.executable(spec), *self.arguments(spec)]

    def check(self, spec: JobSpec) -> None:
        if spec.backend != self.name:
            raise ValueError(f"job is for backend {spec.backend!r}, not {self.name!r}")
        sizes = self.accepted_k()
        if spec.k not in sizes:
            even = ", even" if sizes.step == 2 else ""
            raise ValueError(f"{self.name} cannot make k{spec.k} plots (it accepts k{sizes[0]}..k{sizes[-1]}{even})")
        if spec.compression not in self.levels:
            accepted = ", ".join(str(level) for level in sorted(self.levels))
            raise ValueError(f"{self.name} does not make compression level {spec.compression} plots "
                             f"(it accepts: {accepted})")
        _check_keys(spec)
        self.check_v2(spec)
        if self.needs_tmp and spec.tmp_dir is None:
            raise ValueError(f"{self.name} needs a temporary directory (tmp_dir)")
        for label, value in (("threads", spec.threads), ("buckets", spec.buckets), ("buffer", spec.buffer_mib)):
            if value is not None and value < 1:
                raise ValueError(f"{label} must be at least 1, not {value}")

    def check_v2(self, spec: JobSpec) -> None:
        """strength, meta group and group size: in range for a PoS2 backend, left alone otherwise."""
        if not self.v2:
            if (spec.strength, spec.meta_group, spec.group_size) != (STRENGTHS[0], None, 1):
                raise ValueError(f"{self.name} makes v1 plots: strength, meta group and group size are PoS2 settings")
            return
        if spec.strength not in STRENGTHS:
            raise ValueError(f"strength {spec.strength} is out of range {STRENGTHS[0]}..{STRENGTHS[-1]}")
        if spec.meta_group is not None and spec.meta_group not in META_GROUPS:
            raise ValueError(f"meta group {spec.meta_group} is out of range 0..255")
        if spec.group_size not in self.group_sizes:
            raise ValueError(f"{self.name} makes groups of {self.group_sizes[0]}..{self.group_sizes[-1]} plots, "
                             f"not group size {spec.group_size}")

    def temp_globs(self, spec: JobSpec, plot_id: str) -> list[tuple[Path, str]]:
        """(directory, glob) pairs matching a job's temporary files, including a final ``.tmp``
        in the destination. The scheduler globs and removes them; this stays pure."""
        _check_plot_id(plot_id)
        own = f"*{plot_id}*.tmp"
        temps = _unique([d for d in (spec.tmp_dir, spec.tmp2_dir) if d is not None])
        pairs = [(d, "*.tmp" if self.shared_temp_names else own) for d in temps]
        if spec.dst_dir not in temps or self.shared_temp_names:
            pairs.append((spec.dst_dir, own))
        return pairs

    def final_glob(self, plot_id: str) -> str:
        """The finished plot in ``dst_dir`` (its date part is only known once it exists)."""
        _check_plot_id(plot_id)
        return f"plot-k*-{plot_id}{self.final_suffix}"

    def orphan_globs(self, spec: JobSpec) -> list[tuple[Path, str]]:
        """Temp files a failed job may have left whose names the job's log cannot tie to it (the plot
        id is printed only after they are gone): removed only when no process has them open for writing."""
        return []


def pool_args(spec: JobSpec, key_flag: str = "-p", contract_flag: str = "-c") -> list[str]:
    if spec.pool_contract is not None:
        return [contract_flag, spec.pool_contract]
    assert spec.pool_key is not None  # check() made sure of it
    return [key_flag, spec.pool_key]


def optional(flag: str, value: object | None) -> list[str]:
    return [] if value is None else [flag, str(value)]


def _check_keys(spec: JobSpec) -> None:
    if not _KEY_RE.fullmatch(spec.farmer_key):
        raise ValueError("the farmer key must be 96 hex digits (48 bytes, see `chia keys show`)")
    if (spec.pool_key is None) == (spec.pool_contract is None):
        raise ValueError("give exactly one of a pool key (solo plots) or a pool contract address (pool plots)")
    if spec.pool_key is not None and not _KEY_RE.fullmatch(spec.pool_key):
        raise ValueError("the pool key must be 96 hex digits (48 bytes)")
    if spec.pool_contract is not None and not re.fullmatch(r"t?xch1[02-9ac-hj-np-z]{58}", spec.pool_contract):
        raise ValueError(f"not a pool contract address (xch1... 62 characters): {spec.pool_contract!r}")


def _check_plot_id(plot_id: str) -> None:
    if not _PLOT_ID_RE.fullmatch(plot_id):
        raise ValueError(f"not a plot id (64 lowercase hex digits): {plot_id!r}")


def _unique(paths: list[Path]) -> list[Path]:
    return list(dict.fromkeys(paths))
