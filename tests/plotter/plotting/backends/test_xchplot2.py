"""xchplot2 backend: argv against Jsewill/xchplot2 tools/xchplot2/cli.cpp (``plot`` mode), its
checks, names and room, the config's tmp-less job, and the stand-in taking exactly that argv."""

from __future__ import annotations

import fnmatch
import logging
import subprocess
from pathlib import Path

import pytest

from common.errors import ConfigError
from common.plotformat.plotfile import read_header
from plotter import config as plotter_config
from plotter.plotting.backends import JobSpec, command, get
from plotter.plotting.sizes import need
from tests.plotter.plotting.conftest import CONTRACT_BECH32M, CONTRACT_HASH, FARMER, POOL, Run, spec_for
from tests.plotter.plotting.standins.xchplot2_cli import SWITCHES, VALUE_OPTIONS

ID = "ab" * 32


def spec(**changes: object) -> JobSpec:
    values: dict[str, object] = {"backend": "xchplot2", "dst_dir": Path("/plots"), "farmer_key": FARMER,
                                 "pool_key": POOL, "k": 28}
    values.update(changes)
    return JobSpec(**values)  # type: ignore[arg-type]


def test_argv_is_the_plot_mode_of_cli_cpp() -> None:
    # cli.cpp "plot": -k, -n, -f/--farmer-pk, -p/--pool-pk | -c/--pool-contract-address, -s/--strength,
    # -o/--out, -g/--meta-group, -v (names each plot written), --progress (the "[batch] progress:" line).
    assert command(spec()) == ["xchplot2", "plot", "-k", "28", "-n", "1", "-f", FARMER, "-p", POOL, "-s", "2",
                               "-o", "/plots", "-v", "--progress"]
    argv = command(spec(pool_key=None, pool_contract=CONTRACT_BECH32M, strength=4, meta_group=0,
                        extra_args=("--tier", "minimal")))
    assert argv[8:] == ["-c", CONTRACT_BECH32M, "-s", "4", "-o", "/plots", "-g", "0", "-v", "--progress",
                        "--tier", "minimal"]


def test_every_word_of_the_argv_is_an_option_of_cli_cpp() -> None:
    argv = command(spec(pool_key=None, pool_contract=CONTRACT_BECH32M, meta_group=9))
    words = argv[2:]
    options = [w for w in words if w.startswith("-")]
    assert all(o in VALUE_OPTIONS or o in SWITCHES for o in options), options
    assert sum(1 for o in options if o in VALUE_OPTIONS) * 2 + sum(1 for o in options if o in SWITCHES) == len(words)


@pytest.mark.parametrize(("changes", "message"), [
    ({"k": 27}, r"cannot make k27 plots \(it accepts k18..k32, even\)"),
    ({"k": 16}, "cannot make k16"),
    ({"k": 34}, "cannot make k34"),
    ({"tmp_dir": Path("/t")}, "takes no temporary directory"),
    ({"strength": 1}, "strength 1 is out of range 2..17"),
    ({"strength": 18}, "strength 18 is out of range 2..17"),
    ({"meta_group": 256}, "meta group 256 is out of range 0..255"),
    ({"group_size": 128}, "makes groups of 1..1 plots, not group size 128"),
    ({"threads": 8}, "no threads option"),
    ({"compression": 1}, "compression level 1"),
    ({"pool_key": None}, "exactly one of a pool key"),
])
def test_refused_jobs(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        command(spec(**changes))


def test_k18_to_k32_even_are_made() -> None:
    assert [k for k in range(10, 40) if _accepted(k)] == [18, 20, 22, 24, 26, 28, 30, 32]


def _accepted(k: int) -> bool:
    try:
        command(spec(k=k))
    except ValueError:
        return False
    return True


def test_temp_and_final_names() -> None:
    backend = get("xchplot2")
    final = f"plot-k28-{ID}.plot2"
    group = f"plot-k28-{ID}.gplot"
    (directory, pattern), = backend.temp_globs(spec(), ID)
    assert directory == Path("/plots")
    assert [n for n in (final, group, final + ".partial", group + ".partial") if fnmatch.fnmatch(n, pattern)] == [
        final + ".partial", group + ".partial"]
    names = (final, group, final + ".partial", group + ".partial", f"plot-k28-{'cd' * 32}.plot2")
    assert [n for n in names if fnmatch.fnmatch(n, backend.final_glob(ID))] == [final, group]
    orphans = backend.orphan_globs(spec())
    assert all(d == Path("/plots") for d, _ in orphans)
    assert [n for n in names if any(fnmatch.fnmatch(n, p) for _, p in orphans)] == [
        final + ".partial", group + ".partial"]
    assert get("chia").orphan_globs(spec(backend="chia")) == []  # others know their plot id early


def test_room_is_one_pos2_plot_in_the_dst_dir_and_no_temp() -> None:
    room = need("xchplot2", 28, 0, has_tmp2=False, uses_tmp=False)
    assert room.tmp == room.tmp2 == 0
    # k28: 2^28 entries of k + 2 = 30 bits is 1.007e9 bytes; room allows 15 % more (1.16e9)
    assert 1.10e9 < room.dst < 1.20e9
    assert need("xchplot2", 18, 0, has_tmp2=False, uses_tmp=False).dst > 654_586  # a k18 made here


def _config(tmp_path: Path, job: str) -> Path:
    (tmp_path / "dst").mkdir(exist_ok=True)
    path = tmp_path / "plotter.ini"
    path.write_text(f"[plotter]\nplot_dirs = {tmp_path / 'dst'}\nstate_dir = {tmp_path / 'state'}\n\n"
                    f"[nas n]\ntransport = local\n\n[job g]\nbackend = xchplot2\nexecutable = /bin/true\n"
                    f"farmer_key = {FARMER}\npool_contract = {CONTRACT_BECH32M}\n{job}\n")
    return path


def test_config_takes_a_job_without_tmp_dirs_and_warns_below_k28(tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        cfg = plotter_config.load(_config(tmp_path, "k = 20\nstrength = 3\nmeta_group = 12"))
    job = cfg.plotting.jobs[0]
    assert job.tmp_dirs == () and (job.k, job.strength, job.meta_group, job.group_size) == (20, 3, 12, 1)
    assert "-g" in command(job.spec(None, job.dst_dirs[0]))
    assert "[job g] k: k20 PoS2 plots are not farmable on mainnet" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        job = plotter_config.load(_config(tmp_path, "k = 28\nmeta_group = auto")).plotting.jobs[0]
    assert job.meta_group is None and "-g" not in command(job.spec(None, job.dst_dirs[0]))
    assert "not farmable" not in caplog.text


@pytest.mark.parametrize(("job", "key", "words"), [
    ("k = 28\ntmp_dirs = /tmp", "tmp_dirs", "takes no temporary directory"),
    ("k = 29", "k", "cannot make k29"),
    ("k = 28\nmeta_group = 300", "meta_group", "0..255"),
    ("k = 28\nstrength = 1", "strength", "2..17"),
    ("k = 28\ngroup_size = 2", "group_size", "1..1 plot(s) per group file"),
])
def test_config_refuses_with_the_key_named(tmp_path: Path, job: str, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        plotter_config.load(_config(tmp_path, job))
    assert f"[job g] {key}" in caught.value.message and words in caught.value.message
    assert caught.value.exit_code == 3


def test_stand_in_run_makes_a_real_plot_from_the_argv(xchplot2_run: Run) -> None:
    assert xchplot2_run.returncode == 0, xchplot2_run.lines
    dst = xchplot2_run.spec.dst_dir
    (plot,) = dst.iterdir()  # renamed: no .partial left
    assert plot.name.endswith(".plot2")
    header = read_header(plot)
    assert header.k == 18 and plot.name == f"plot-k18-{header.plot_id}.plot2"
    # Today's xchplot2 writes pos2 version 1: magic, version, id (32), k, strength, index (u16), meta
    # group, memo length at 42, then the memo.
    raw = plot.read_bytes()[:43 + 112]
    assert raw[:5] == b"pos2\x01" and raw[38] == 2 and raw[41] == 7  # strength 2, meta group 7 (-g 7)
    memo = raw[43:43 + raw[42]]
    assert memo[:32] == CONTRACT_HASH and memo[32:80] == bytes.fromhex(FARMER)  # contract decoded, farmer key
    assert len(memo) == 112  # puzzle hash, farmer key, master secret: keygen-rs's PH-mode layout
    assert xchplot2_run.lines[-1] == f"{dst}/{plot.name}"  # stdout: each plot's path


def test_stand_in_refuses_an_unknown_option_like_cli_cpp(tmp_path: Path, standins: dict[str, Path]) -> None:
    job = spec_for("xchplot2", tmp_path, standins, "xchplot2", tmp_dir=None, threads=None,
                   extra_args=("--threads", "4"))
    done = subprocess.run(command(job), capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert done.stderr.startswith("Error: unknown argument: --threads\nUsage:")
    assert not (tmp_path / "dst").exists() or not list((tmp_path / "dst").iterdir())
