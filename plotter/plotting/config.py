"""``[plotting]`` and ``[job NAME]`` sections of plotter.ini -> frozen dataclasses.

Loaded by :mod:`plotter.config` (the one reader of plotter.ini). Each job section is checked by
its backend: the argv it would build for every tmp dir is made once here, so a key the plotter
would refuse (a k it cannot make, a bad farmer key, a compression level it lacks) fails at load
time with file, section and key rather than hours later in a plotter's log.
"""

from __future__ import annotations

import configparser
import importlib.util
import re
import shlex
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from common.config import Section, sections_with_prefix
from common.confvalues import DAY, HOUR, clip, parse_int
from plotter.plotting.backends import BACKEND_NAMES, JobSpec
from plotter.plotting.backends import get as get_backend
from plotter.plotting.backends.base import STRENGTHS
from plotter.plotting.config_v2 import v2_keys, warn_small_k
from plotter.plotting.logs import format_for
from plotter.plotting.phase import Phase, describe

_JOB_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")

T = TypeVar("T")
DEFAULT_STATE_DIR = Path("/var/lib/plotyard")
MAX_CPU = 8191

EXAMPLE = """
# --- Plotting (optional): plot-manager plot starts plotter jobs; finished plots are sent at once.
# [plotting]
# max_jobs = 4              ; jobs running at once, all jobs together
# max_phase1 = 2            ; jobs in phase 1 at once, all together (0: no limit)
# stagger = 30m             ; least time between two job starts
# log_dir = /var/lib/plotyard/plot-logs   ; default <state_dir>/plot-logs
# poll_interval = 20s
# max_waiting_plots = 8     ; finished plots not yet sent (all dst dirs) that pause new jobs
#                           ; (backpressure; default twice max_jobs)
# stall_after = 30m         ; a job whose log and temp files do not change this long is stalled
#                           ; (plot_stalled alert; tmp or dst full): 10s..7d
#
# [job fast]                ; one section per kind of plot
# backend = madmax          ; chia | madmax | bladebit | bladebit-disk | bladebit-cuda | pos2
# executable = /usr/local/bin/chia_plot   ; default: the backend's usual name on PATH
# k = 32
# tmp_dirs = /mnt/nvme0, /mnt/nvme1
# tmp2_dir = /mnt/ram       ; optional
# dst_dirs = /mnt/dst0      ; default: [plotter] plot_dirs (must be among them)
# farmer_key = <96 hex digits>
# pool_contract = xch1...   ; pool plots; for solo plots instead:
# pool_key = <96 hex digits>
# threads = 8
# buckets = 256
# buffer = 3389            ; chia only: sort buffer in MiB
# compression = 0           ; bladebit / bladebit-cuda levels
# max_plots = 0             ; plots this job makes in all (0: no limit)
# max_jobs = 2              ; of this job at once
# max_phase1 = 1            ; of this job in phase 1 at once (0: no limit)
# tmp_max_jobs = 1          ; jobs of this section per tmp dir (0: no limit)
# tmp_stagger_phase = 2:1   ; a tmp dir takes a new job once its youngest job reached this phase
# stagger = 0               ; least time between two starts of this job
# initial_delay = 0         ; wait this long after the scheduler starts
# retry_delay = 5m          ; after a job of this section failed, wait this long before the next
# start_early_phase = 4:0   ; a job past this phase no longer counts against max_jobs ...
# start_early_max_jobs = 3  ; ... up to this many of this job at once (default max_jobs + 1)
# nice = 10                 ; process priority, -20..19
# cpu_affinity = 0-7        ; CPUs the plotter may run on
# extra_args = --some-flag  ; passed to the plotter as they are (shell-like quoting)
#
# PoS2 backends only (k even, 18..32; k28 is the mainnet size):
# strength = 2              ; 2..17, each step doubles the plotting time
# meta_group = auto         ; auto | 0..255: one meta group per plot group on a drive
# group_size = 1            ; plots per group file, where the backend makes groups
"""


@dataclass(frozen=True)
class PlottingSettings:
    max_jobs: int = 1
    max_phase1: int = 0
    stagger: float = 0.0
    log_dir: Path = DEFAULT_STATE_DIR / "plot-logs"
    poll_interval: float = 20.0
    max_waiting_plots: int = 2
    stall_after: float = 1800.0


@dataclass(frozen=True)
class JobConfig:
    name: str
    backend: str
    k: int
    tmp_dirs: tuple[Path, ...]
    dst_dirs: tuple[Path, ...]
    farmer_key: str
    pool_key: str | None = None
    pool_contract: str | None = None
    tmp2_dir: Path | None = None
    executable: str | None = None
    threads: int | None = None
    buckets: int | None = None
    buffer_mib: int | None = None
    compression: int = 0
    max_plots: int = 0
    max_jobs: int = 1
    max_phase1: int = 0
    tmp_max_jobs: int = 0
    tmp_stagger_phase: Phase | None = None
    stagger: float = 0.0
    initial_delay: float = 0.0
    retry_delay: float = 300.0
    start_early_phase: Phase | None = None
    start_early_max_jobs: int = 0
    nice: int = 0
    cpu_affinity: tuple[int, ...] = ()
    extra_args: tuple[str, ...] = ()
    strength: int = STRENGTHS[0]
    meta_group: int | None = None  # None: ``auto``
    group_size: int = 1

    def spec(self, tmp_dir: Path | None, dst_dir: Path, meta_group: int | None = None) -> JobSpec:
        """The backend's job description for one run on ``tmp_dir`` -> ``dst_dir``; ``meta_group``
        (a placement's) stands in for the section's own when that is ``auto``."""
        return JobSpec(backend=self.backend, dst_dir=dst_dir, farmer_key=self.farmer_key, pool_key=self.pool_key,
                       pool_contract=self.pool_contract, k=self.k, tmp_dir=tmp_dir, tmp2_dir=self.tmp2_dir,
                       executable=self.executable, threads=self.threads, buckets=self.buckets,
                       buffer_mib=self.buffer_mib, compression=self.compression, extra_args=self.extra_args,
                       strength=self.strength, group_size=self.group_size,
                       meta_group=self.meta_group if self.meta_group is not None else meta_group)


@dataclass(frozen=True)
class PlottingConfig:
    settings: PlottingSettings = field(default_factory=PlottingSettings)
    jobs: tuple[JobConfig, ...] = ()

    def job(self, name: str) -> JobConfig | None:
        return next((job for job in self.jobs if job.name == name), None)

    @property
    def dirs(self) -> set[Path]:
        """Every tmp, tmp2 and dst dir of every job section."""
        found: set[Path] = set()
        for job in self.jobs:
            found.update(job.tmp_dirs, job.dst_dirs, [job.tmp2_dir] if job.tmp2_dir else [])
        return found


def load_plotting(path: Path, parser: configparser.ConfigParser, plot_dirs: tuple[Path, ...],
                  state_dir: Path) -> PlottingConfig:
    settings = _settings(Section(path, parser, "plotting"), state_dir)
    jobs: list[JobConfig] = []
    for section, name in sections_with_prefix(parser, "job"):
        sec = Section(path, parser, section)
        if not name:
            raise sec.error(None, "name the job: [job <name>]")
        if not _JOB_NAME.fullmatch(name):  # it goes into log file names, and "(by hand)" is taken
            raise sec.error(None, "a job name is letters, digits, '-', '_' and '.', starting with a letter or digit")
        if any(job.name == name for job in jobs):
            raise sec.error(None, "a second section of this name")
        jobs.append(_job(sec, name, plot_dirs))
    return PlottingConfig(settings=settings, jobs=tuple(jobs))


def _settings(sec: Section, state_dir: Path) -> PlottingSettings:
    max_jobs = sec.get_int("max_jobs", 1, low=1, high=1000)
    settings = PlottingSettings(
        max_jobs=max_jobs,
        max_phase1=sec.get_int("max_phase1", 0, low=0, high=1000),
        stagger=sec.get_duration("stagger", 0.0, low=0, high=30 * DAY),
        log_dir=sec.get_path("log_dir", state_dir / "plot-logs"),
        poll_interval=sec.get_duration("poll_interval", 20.0, low=0.1, high=HOUR),
        max_waiting_plots=sec.get_int("max_waiting_plots", 2 * max_jobs, low=1, high=100000),
        # 10 s at least lets tests see a stall without waiting long
        stall_after=sec.get_duration("stall_after", 1800.0, low=10, high=7 * DAY),
    )
    sec.finish()
    return settings


def _job(sec: Section, name: str, plot_dirs: tuple[Path, ...]) -> JobConfig:
    backend_name = sec.get_choice("backend", BACKEND_NAMES)
    backend = get_backend(backend_name)
    max_jobs = sec.get_int("max_jobs", 1, low=1, high=1000)
    start_early = _opt_phase(sec, "start_early_phase", backend_name)
    job: JobConfig = JobConfig(
        # k's own range is the backend's (checked below); this only keeps it a plot header's byte.
        name=name, backend=backend_name, k=sec.get_int("k", 32, low=1, high=255),
        tmp_dirs=_paths(sec, "tmp_dirs", required=backend.needs_tmp),
        dst_dirs=_dst_dirs(sec, plot_dirs), farmer_key=sec.get_str("farmer_key"),
        pool_key=sec.opt_str("pool_key"), pool_contract=sec.opt_str("pool_contract"),
        tmp2_dir=sec.opt_path("tmp2_dir"), executable=sec.opt_str("executable"),
        threads=_opt_int(sec, "threads", 4096), buckets=_opt_int(sec, "buckets", 65536),
        buffer_mib=_opt_int(sec, "buffer", 1024 * 1024),  # MiB: up to 1 TiB of sort buffer
        compression=sec.get_int("compression", 0, low=0, high=255),
        max_plots=sec.get_int("max_plots", 0, low=0, high=1_000_000), max_jobs=max_jobs,
        max_phase1=sec.get_int("max_phase1", 0, low=0, high=1000),
        tmp_max_jobs=sec.get_int("tmp_max_jobs", 0, low=0, high=1000),
        tmp_stagger_phase=_opt_phase(sec, "tmp_stagger_phase", backend_name),
        stagger=sec.get_duration("stagger", 0.0, low=0, high=30 * DAY),
        initial_delay=sec.get_duration("initial_delay", 0.0, low=0, high=30 * DAY),
        retry_delay=sec.get_duration("retry_delay", 300.0, low=0, high=30 * DAY),
        start_early_phase=start_early,
        start_early_max_jobs=sec.get_int("start_early_max_jobs", max_jobs + 1 if start_early else max_jobs,
                                         low=max_jobs, high=2000),
        nice=sec.get_int("nice", 0, low=-20, high=19),
        cpu_affinity=sec.convert("cpu_affinity", _cpu_list, ()),
        extra_args=sec.convert("extra_args", _split_args, ()),
    )
    job = replace(job, **v2_keys(sec, backend))
    sec.finish()
    _check_with_backend(sec, job)
    _check_executable(sec, job)
    warn_small_k(sec, job.backend, job.k)
    return job


def _opt_int(sec: Section, key: str, high: int) -> int | None:
    if sec.opt_str(key) is None:
        return None
    return sec.get_int(key, low=1, high=high)


def _opt_phase(sec: Section, key: str, backend: str) -> Phase | None:
    """A phase this backend's jobs really reach (its log format's phases): any other is never
    equalled, so it would silently act as the next phase that exists, or never."""
    phase = sec.convert(key, Phase.parse, None)
    reached = format_for(backend).phases(backend)
    if phase is not None and phase not in reached:
        raise sec.error(key, f"{clip(str(phase))} is not a phase a {backend} job reaches ({describe(reached)})")
    return phase




def _paths(sec: Section, key: str, required: bool) -> tuple[Path, ...]:
    values = sec.get_list(key, None if required else ())
    paths = tuple(Path(value).expanduser() for value in values)
    if len(set(paths)) != len(paths):
        raise sec.error(key, "lists a directory twice")
    return paths


def _dst_dirs(sec: Section, plot_dirs: tuple[Path, ...]) -> tuple[Path, ...]:
    dst = _paths(sec, "dst_dirs", required=False) or plot_dirs
    for directory in dst:
        if directory not in plot_dirs:
            raise sec.error("dst_dirs", f"{directory} is not one of [plotter] plot_dirs: its plots would never "
                                        "be sent")
    return dst


def _cpu_list(text: str) -> tuple[int, ...]:
    """``"0-3, 8"`` -> (0, 1, 2, 3, 8), the format of taskset --cpu-list."""
    cpus: list[int] = []
    for part in re.split(r"[,\s]+", text.strip()):
        match = re.fullmatch(r"([0-9]+)(?:-([0-9]+))?", part)
        if match is None:
            raise ValueError(f"not a CPU list: {clip(text)} (example: 0-3,8)")
        # Linux numbers at most 8192 CPUs (NR_CPUS); a bound also keeps the range from filling memory.
        first, last = (parse_int(number, low=0, high=MAX_CPU) for number in (match.group(1), match.group(2) or
                                                                            match.group(1)))
        if last < first:
            raise ValueError(f"not a CPU list: {clip(text)} (example: 0-3,8)")
        cpus += range(first, last + 1)
    return tuple(sorted(set(cpus)))


def _split_args(text: str) -> tuple[str, ...]:
    return tuple(shlex.split(text))


# Which key a backend's refusal is about, from words of its one-line reason.
_REASON_KEYS = (("takes no tmp2_dir", "tmp2_dir"), ("farmer key", "farmer_key"), ("pool key", "pool_key"),
                ("pool contract", "pool_contract"),
                ("compression", "compression"), ("hybrid", "extra_args"), ("--disk", "extra_args"),
                ("temporary directory", "tmp_dirs"), ("threads", "threads"), ("buckets", "buckets"),
                ("buffer", "buffer"), ("make k", "k"),
                ("strength", "strength"), ("meta group", "meta_group"), ("group size", "group_size"))


def _check_with_backend(sec: Section, job: JobConfig) -> None:
    for tmp_dir in job.tmp_dirs or (None,):
        try:
            get_backend(job.backend).command(job.spec(tmp_dir, job.dst_dirs[0]))
        except ValueError as exc:
            reason = str(exc)
            key = next((k for words, k in _REASON_KEYS if words in reason), "backend")
            raise sec.error(key, reason) from None


def _check_executable(sec: Section, job: JobConfig) -> None:
    """The plotter must be there now: a job that cannot start would otherwise say "would start" and
    fail with exit 127 on every pass."""
    if job.backend == "pos2" and job.executable is None and importlib.util.find_spec("chia_rs") is None:
        raise sec.error("backend", "pos2 plots with chia_rs, which is not installed: pip install 'plotyard[pos2]'")
    name = get_backend(job.backend).executable(job.spec(job.tmp_dirs[0] if job.tmp_dirs else None, job.dst_dirs[0]))
    if shutil.which(name) is not None:  # a path is checked as it is; a bare name is looked up on PATH
        return
    if "/" in name:
        raise sec.error("executable", f"{name} is not an executable file")
    given = "is not" if job.executable else f"(the {job.backend} default) is not"
    raise sec.error("executable", f"{name} {given} on PATH: install it or give its path")
