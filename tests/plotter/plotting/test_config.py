"""[plotting] and [job NAME] in plotter.ini: names, defaults, backend checks, errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import ConfigError
from plotter import config as plotter_config
from plotter.plotting.phase import Phase
from tests.plotter.plotting.conftest import CONTRACT, FARMER, POOL


def write(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "plotter.ini"
    path.write_text(f"""[plotter]
plot_dirs = {tmp_path}/dst0, {tmp_path}/dst1
state_dir = {tmp_path}/state

[nas n1]
transport = local
{extra}""")
    return path


def test_full_job_section(tmp_path: Path, standins: dict[str, Path]) -> None:
    cfg = plotter_config.load(write(tmp_path, f"""
[plotting]
max_jobs = 4
max_phase1 = 2
stagger = 30m
poll_interval = 20s

[job fast]
backend = madmax
executable = {standins['chia_plot']}
k = 32
tmp_dirs = /mnt/nvme0, /mnt/nvme1
tmp2_dir = /mnt/ram
dst_dirs = {tmp_path}/dst1
farmer_key = {FARMER}
pool_contract = {CONTRACT}
threads = 8
buckets = 256
max_plots = 10
max_jobs = 2
max_phase1 = 1
tmp_max_jobs = 1
tmp_stagger_phase = 2:1
stagger = 1h
initial_delay = 5m
start_early_phase = 4:0
nice = 10
cpu_affinity = 0-3, 6
extra_args = --foo "a b"
"""))
    plotting = cfg.plotting
    assert plotting.settings.max_jobs == 4 and plotting.settings.max_phase1 == 2
    assert plotting.settings.stagger == 1800 and plotting.settings.poll_interval == 20
    assert plotting.settings.log_dir == tmp_path / "state" / "plot-logs"
    assert plotting.settings.max_waiting_plots == 8
    job = plotting.jobs[0]
    assert job.name == "fast" and job.backend == "madmax" and job.tmp_dirs == (Path("/mnt/nvme0"), Path("/mnt/nvme1"))
    assert job.dst_dirs == (tmp_path / "dst1",) and job.tmp2_dir == Path("/mnt/ram")
    assert job.start_early_phase == Phase(4, 0) and job.start_early_max_jobs == 3
    assert job.tmp_stagger_phase == Phase(2, 1)
    assert job.cpu_affinity == (0, 1, 2, 3, 6) and job.extra_args == ("--foo", "a b")
    assert job.stagger == 3600 and job.initial_delay == 300 and job.nice == 10


def test_dst_defaults_to_plot_dirs(tmp_path: Path, standins: dict[str, Path]) -> None:
    cfg = plotter_config.load(write(tmp_path, f"""
[job a]
backend = chia
executable = {standins['chia']}
k = 18
tmp_dirs = /mnt/t
farmer_key = {FARMER}
pool_key = {POOL}
"""))
    assert cfg.plotting.jobs[0].dst_dirs == (tmp_path / "dst0", tmp_path / "dst1")
    assert cfg.plotting.settings.max_jobs == 1


@pytest.mark.parametrize(("body", "message"), [
    ("backend = chia\ntmp_dirs = /t\nfarmer_key = {F}\npool_key = {P}\nmax_job = 2\n", "[job a] max_job: unknown key"),
    ("backend = chia\nk = 17\ntmp_dirs = /t\nfarmer_key = {F}\npool_key = {P}\n", "[job a] k: chia cannot make k17"),
    ("backend = bladebit\nk = 32\ncompression = 8\nfarmer_key = {F}\npool_key = {P}\n", "[job a] compression:"),
    ("backend = chia\ntmp_dirs = /t\nfarmer_key = abc\npool_key = {P}\n", "[job a] farmer_key: the farmer key"),
    ("backend = chia\ntmp_dirs = /t\nfarmer_key = {F}\n", "[job a] pool_key: give exactly one"),
    ("backend = chia\nfarmer_key = {F}\npool_key = {P}\n", "[job a] tmp_dirs: missing"),
    ("backend = chia\ntmp_dirs = /t\ndst_dirs = /elsewhere\nfarmer_key = {F}\npool_key = {P}\n",
     "[job a] dst_dirs: /elsewhere is not one of [plotter] plot_dirs"),
    ("backend = chia\ntmp_dirs = /t\nfarmer_key = {F}\npool_key = {P}\ncpu_affinity = 3-1\n",
     "[job a] cpu_affinity: not a CPU list"),
    ("backend = chia\ntmp_dirs = /t\nfarmer_key = {F}\npool_key = {P}\nstart_early_phase = 4\n",
     "[job a] start_early_phase: not a phase"),
    ("backend = plotz\n", "[job a] backend: 'plotz' is not one of"),
    ("backend = bladebit-cuda\nk = 32\ntmp_dirs = /t\nfarmer_key = {F}\npool_key = {P}\n",
     "[job a] extra_args: bladebit-cuda uses temp directories only in a hybrid"),
])
def test_bad_job_names_file_section_and_key(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path, "[job a]\n" + body.replace("{F}", FARMER).replace("{P}", POOL))
    with pytest.raises(ConfigError) as caught:
        plotter_config.load(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_unknown_plotting_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[plotting\] max_jobz: unknown key"):
        plotter_config.load(write(tmp_path, "[plotting]\nmax_jobz = 3\n"))


def test_generated_example_mentions_every_key() -> None:
    from plotter.plotting.config import EXAMPLE

    for key in ("max_jobs", "max_phase1", "stagger", "log_dir", "poll_interval", "tmp_dirs", "tmp2_dir", "dst_dirs",
                "farmer_key", "pool_contract", "pool_key", "threads", "max_plots", "tmp_max_jobs", "start_early_phase",
                "initial_delay", "buckets", "compression", "nice", "cpu_affinity", "extra_args", "stall_after"):
        assert f"# {key} = " in EXAMPLE
    assert EXAMPLE in plotter_config.EXAMPLE


@pytest.mark.parametrize("name", ["(by hand)", "../up", "two words", "-x"])
def test_a_job_name_is_one_safe_word(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, f"[job {name}]\nbackend = chia\ntmp_dirs = /t\nfarmer_key = {FARMER}\npool_key = {POOL}\n")
    with pytest.raises(ConfigError, match="a job name is letters, digits"):
        plotter_config.load(path)


@pytest.mark.parametrize(("backend", "k", "extra", "accepted"), [
    ("chia", 24, "tmp_dirs = /t\n", "k25..k50"),  # chia/plotting/util.py validate_plot_size
    ("chia", 51, "tmp_dirs = /t\n", "k25..k50"),
    ("madmax", 35, "tmp_dirs = /t\n", "k18..k34"),  # madMAx src/chia_plot.cpp: k > KMAX || k < 16
    ("bladebit", 31, "", "k32..k32"),  # bladebit src/ChiaConsts.h: _K 32
    ("bladebit-cuda", 33, "", "k32..k32"),  # cuda/CudaPlotConfig.h: BBCU_K 32
])
def test_real_k_ranges_without_test_sizes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, standins: dict[str, Path],
                                          backend: str, k: int, extra: str, accepted: str) -> None:
    from plotter.plotting.backends import base

    monkeypatch.setattr(base, "TEST_SIZES", False)
    exe = standins["bladebit_cuda" if backend == "bladebit-cuda" else "chia" if backend == "chia" else "chia_plot"]
    path = write(tmp_path, f"[job a]\nbackend = {backend}\nexecutable = {exe}\nk = {k}\n{extra}"
                           f"farmer_key = {FARMER}\npool_key = {POOL}\n")
    with pytest.raises(ConfigError, match=rf"\[job a\] k: {backend} cannot make k{k} plots \(it accepts {accepted}\)"):
        plotter_config.load(path)


def test_chia_takes_k25_without_test_sizes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           standins: dict[str, Path]) -> None:
    from plotter.plotting.backends import base

    monkeypatch.setattr(base, "TEST_SIZES", False)
    path = write(tmp_path, f"[job a]\nbackend = chia\nexecutable = {standins['chia']}\nk = 25\ntmp_dirs = /t\n"
                           f"farmer_key = {FARMER}\npool_key = {POOL}\n")
    assert plotter_config.load(path).plotting.jobs[0].k == 25


@pytest.mark.parametrize(("executable", "message"), [
    ("{tmp}/no-such-plotter", "[job a] executable: {tmp}/no-such-plotter is not an executable file"),
    ("{tmp}/not-executable", "[job a] executable: {tmp}/not-executable is not an executable file"),
    ("{tmp}", "[job a] executable: {tmp} is not an executable file"),
    ("no-such-plotter-here", "[job a] executable: no-such-plotter-here is not on PATH"),
    (None, "[job a] executable: chia_plot (the madmax default) is not on PATH"),
])
def test_a_plotter_that_cannot_run_is_refused_at_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      executable: str | None, message: str) -> None:
    (tmp_path / "not-executable").write_text("#!/bin/sh\n")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    line = "" if executable is None else f"executable = {executable.format(tmp=tmp_path)}\n"
    path = write(tmp_path, f"[job a]\nbackend = madmax\n{line}k = 32\ntmp_dirs = /t\n"
                           f"farmer_key = {FARMER}\npool_key = {POOL}\n")
    with pytest.raises(ConfigError) as caught:
        plotter_config.load(path)
    assert str(caught.value) == f"{path}: " + message.format(tmp=tmp_path) + (
        ": install it or give its path" if "PATH" in message else "")


def test_the_default_plotter_is_found_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              standins: dict[str, Path]) -> None:
    monkeypatch.setenv("PATH", str(standins["chia_plot"].parent))
    path = write(tmp_path, f"[job a]\nbackend = madmax\nk = 34\ntmp_dirs = /t\nfarmer_key = {FARMER}\n"
                           f"pool_key = {POOL}\n")
    assert plotter_config.load(path).plotting.jobs[0].executable is None  # chia_plot_k34, the k34 default


@pytest.mark.parametrize(("value", "seconds"), [(None, 1800.0), ("10s", 10.0), ("2h", 7200.0), ("7d", 604800.0)])
def test_stall_after(tmp_path: Path, value: str | None, seconds: float) -> None:
    line = "" if value is None else f"stall_after = {value}\n"
    assert plotter_config.load(write(tmp_path, f"[plotting]\n{line}")).plotting.settings.stall_after == seconds


@pytest.mark.parametrize("value", ["9s", "8d", "0"])
def test_stall_after_out_of_range(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match=r"\[plotting\] stall_after: .* is out of range: allowed 10s\.\.7d"):
        plotter_config.load(write(tmp_path, f"[plotting]\nstall_after = {value}\n"))
