"""The pure scheduling decision: limits, stagger, start-early, tmp choice, space and backpressure."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from plotter.plotting.config import JobConfig, PlottingConfig, PlottingSettings
from plotter.plotting.phase import Phase
from plotter.plotting.schedule import Running, State, decide
from plotter.plotting.sizes import GIB, Measured, Need, final_size, need
from plotter.plotting.space import DirRoom, Placement
from tests.plotter.plotting.conftest import FARMER, POOL

T0, T1, D0, D1 = Path("/t0"), Path("/t1"), Path("/d0"), Path("/d1")
BIG = 10**15


def job(**changes: object) -> JobConfig:
    base = JobConfig(name="a", backend="chia", k=32, tmp_dirs=(T0, T1), dst_dirs=(D0, D1), farmer_key=FARMER,
                     pool_key=POOL, max_jobs=10)
    return replace(base, **changes)  # type: ignore[arg-type]


def config(*jobs: JobConfig, **settings: object) -> PlottingConfig:
    values: dict[str, object] = {"max_jobs": 10, "max_waiting_plots": 100}
    values.update(settings)
    return PlottingConfig(PlottingSettings(**values), tuple(jobs))  # type: ignore[arg-type]


def rooms(free: int = BIG, **per_dir: int) -> dict[Path, DirRoom]:
    out = {d: DirRoom(i, free) for i, d in enumerate((T0, T1, D0, D1))}
    for name, value in per_dir.items():
        d = Path("/" + name)
        out[d] = DirRoom(out[d].dev, value)
    return out


def running(i: int, phase: Phase, started: float, tmp: Path = T0, dst: Path = D0, name: str = "a",
            used: dict[Path, int] | None = None) -> Running:
    size = need("chia", 32, 0, False)
    return Running(i, name, phase, started, Placement(tmp, None, dst, size, used or {}))


def state(*jobs: Running, now: float = 1000.0, **changes: object) -> State:
    base = State(now=now, started=0.0, running=jobs, rooms=rooms(),
                 last_start={"a": max((j.started_at for j in jobs), default=float("-inf"))})
    return replace(base, **changes)  # type: ignore[arg-type]


def test_starts_on_an_idle_tmp_and_dst() -> None:
    decision = decide(config(job()), state())
    assert decision.start is not None and decision.start.tmp_dir == T0 and decision.start.dst_dir == D0
    assert decision.waits == {}


def test_global_limits_and_stagger() -> None:
    one = running(1, Phase(3, 1), 900.0)
    assert "max_jobs: 1 jobs running (limit 1)" in decide(config(job(), max_jobs=1), state(one)).waits["a"]
    early = running(1, Phase(1, 3), 900.0)
    assert "max_phase1: 1 jobs in phase 1" in decide(config(job(), max_phase1=1), state(early)).waits["a"]
    waits = decide(config(job(), stagger=300), state(one)).waits["a"]
    assert waits.startswith("stagger: 100 s since the last start, waits 200 s more")
    assert decide(config(job(), stagger=100), state(one)).start is not None


def test_job_limits() -> None:
    one = running(1, Phase(1, 2), 900.0)
    assert "max_plots reached: 2 made, 1 running" in decide(
        config(job(max_plots=3)), state(one, made={"a": 2})).waits["a"]
    assert "initial_delay" in decide(config(job(initial_delay=2000)), state()).waits["a"]
    assert "job stagger" in decide(config(job(stagger=200)), state(one)).waits["a"]
    assert "max_jobs: 1 of this job" in decide(config(job(max_jobs=1)), state(one)).waits["a"]
    assert "max_phase1: 1 of this job" in decide(config(job(max_phase1=1)), state(one)).waits["a"]


def test_start_early_phase_frees_a_slot_up_to_the_cap() -> None:
    cfg = config(job(max_jobs=1, start_early_phase=Phase(4, 0), start_early_max_jobs=2))
    assert "before phase 4:0" in decide(cfg, state(running(1, Phase(3, 6), 900.0))).waits["a"]
    assert decide(cfg, state(running(1, Phase(4, 0), 900.0))).start is not None
    two = (running(1, Phase(4, 1), 800.0), running(2, Phase(5, 0), 900.0))
    assert "start_early_max_jobs: 2" in decide(cfg, state(*two)).waits["a"]


def test_tmp_max_jobs_and_plotmans_furthest_along_rule() -> None:
    jobs = (running(1, Phase(2, 1), 800.0, tmp=T0), running(2, Phase(1, 5), 900.0, tmp=T1))
    cfg = config(job())
    # neither dir is idle: T0's youngest job (2:1) is further along than T1's (1:5)
    assert decide(cfg, state(*jobs)).start.tmp_dir == T0  # type: ignore[union-attr]
    limited = config(job(tmp_max_jobs=1))
    assert "tmp_max_jobs: 1 of this job on /t0 (limit 1)" in decide(limited, state(*jobs)).waits["a"]
    assert decide(limited, state(jobs[0])).start.tmp_dir == T1  # type: ignore[union-attr]
    staggered = config(job(tmp_stagger_phase=Phase(3, 0)))
    assert "tmp_stagger_phase: the youngest job on /t0 is at 2:1" in decide(staggered, state(*jobs)).waits["a"]


def test_bladebit_disk_gets_a_tmp_dir_of_its_own() -> None:
    disk = job(backend="bladebit-disk", name="a")
    other = running(1, Phase(1, 1), 900.0, tmp=T0, name="b")
    decision = decide(config(disk), state(other))
    assert decision.start is not None and decision.start.tmp_dir == T1


def test_dst_without_room_never_gets_the_job() -> None:
    plot = final_size("chia", 32, 0)
    # D0 holds less than one plot; D1 is free but a running job there will still write most of its plot
    cfg = config(job(dst_dirs=(D0,)))
    decision = decide(cfg, state(rooms=rooms(d0=plot - 1)))
    assert decision.start is None and decision.waits["a"].startswith("dst space: /d0 has 108.9 GB free")  # decimal
    writing = running(1, Phase(3, 1), 900.0, dst=D1, used={D1: 10 * GIB})
    two = config(job(dst_dirs=(D1,)))
    tight = rooms(d1=plot + 50 * GIB)
    assert "held for running jobs" in decide(two, state(writing, rooms=tight)).waits["a"]
    roomy = rooms(d1=2 * plot)
    assert decide(two, state(writing, rooms=roomy)).start is not None


def test_tmp_and_dst_on_one_device_add_up() -> None:
    n = need("chia", 32, 0, False)
    shared = {T0: DirRoom(7, n.tmp + n.dst - 1), D0: DirRoom(7, n.tmp + n.dst - 1)}
    cfg = config(job(tmp_dirs=(T0,), dst_dirs=(D0,)))
    assert decide(cfg, state(rooms=shared)).start is None
    shared = {T0: DirRoom(7, n.tmp + n.dst), D0: DirRoom(7, n.tmp + n.dst)}
    assert decide(cfg, state(rooms=shared)).start is not None


def test_backpressure_pauses_with_its_reason() -> None:
    decision = decide(config(job(), max_waiting_plots=3), state(waiting_plots=3))
    assert decision.start is None and decision.paused is not None
    assert decision.waits["a"].startswith("backpressure: 3 finished plots wait to be sent")
    assert decide(config(job(), max_waiting_plots=3), state(waiting_plots=2)).paused is None


def test_sections_take_turns() -> None:
    cfg = config(job(name="a"), job(name="b"))
    decision = decide(cfg, state(last_start={"a": 10.0, "b": 5.0}))
    assert decision.start is not None and decision.start.job == "b"
    assert decision.waits["a"] == "another job (b) starts first"


def test_measured_sizes_replace_smaller_figures() -> None:
    published = need("chia", 18, 0, False)
    assert published.dst == final_size("chia", 18, 0)
    measured = need("chia", 18, 0, False, measured={("chia", 18, 0): Measured(final=published.dst + 5, tmp_peak=1)})
    assert measured.dst == published.dst + 5 and measured.tmp == published.tmp
    assert need("bladebit", 32, 7, False) == Need(0, 0, int(78.0 * GIB))
    assert 3.7e6 < final_size("chia", 18, 0) < 3.9e6  # chiapos k18 measured 3812243 bytes here
