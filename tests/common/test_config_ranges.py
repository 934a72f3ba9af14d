"""Every number in plotter.ini and nas.ini has a range, checked when the file is read.

The sweep finds the numeric keys by watching which keys the real loaders read with a numeric
getter (and with which range) from configs that set every section, then feeds each one values
out of its range: one ConfigError naming file, section and key for each. The reported cases run
through the real CLI: one line on stderr, exit 3, no traceback.
"""

from __future__ import annotations

import codecs
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from common.config import Section
from common.errors import ConfigError
from nas import config as nas_config
from plotter import config as plotter_config
from plotter.plotting.phase import Phase
from tests.helpers import make_nas, make_plotter, popen_cli, read_stderr_until, run_cli, wait_for
from tests.plotter.plotting.conftest import FARMER, POOL

Sections = dict[str, dict[str, str]]
HUGE = "1" + "0" * 400
CLI_TIMEOUT = 60


def plotter_sections(root: Path) -> Sections:
    return {
        "plotter": {"plot_dirs": f"{root}/dst", "state_dir": f"{root}/state", "min_plot_age": "60",
                    "max_parallel": "2", "bwlimit": "100MiB", "poll_interval": "5"},
        "nas nas01": {"transport": "local", "host": "127.0.0.1", "port": "22", "command": "drive-manager",
                      "data_host": "localhost", "connect_timeout": "15"},
        "alerts": {"dir_critical_percent": "95", "failed_transfers": "3"},
        "plotting": {"max_jobs": "4", "max_phase1": "2", "stagger": "30m", "poll_interval": "20s",
                     "max_waiting_plots": "8"},
        "job a": {"backend": "chia", "executable": sys.executable, "k": "32", "tmp_dirs": "/mnt/t0, /mnt/t1",
                  "farmer_key": FARMER, "pool_key": POOL, "threads": "4", "buckets": "128", "buffer": "3389",
                  "max_plots": "10", "max_jobs": "2", "max_phase1": "1", "tmp_max_jobs": "1",
                  "tmp_stagger_phase": "2:1", "stagger": "1h", "initial_delay": "5m", "retry_delay": "5m",
                  "start_early_phase": "4:0", "nice": "10", "cpu_affinity": "0-3, 6"},
        **common_sections(),
    }


def nas_sections(root: Path) -> Sections:
    return {
        "nas": {"drive_globs": f"{root}/drive*", "require_mount": "false", "data_bind": "127.0.0.1",
                "data_ports": "4040-4059", "state_dir": f"{root}/state", "reserve": "1GiB", "accept_timeout": "30",
                "buffer_size": "8MiB"},
        f"drive {root}/drive1": {"quota": "2TiB"},
        "smart": {"interval": "10m", "parallel": "8"},
        "alerts": {"low_water_plots": "10", "temperature_limit": "50", "no_plot_hours": "12"},
        **common_sections(),
    }


def common_sections() -> Sections:
    return {
        "notify": {"repeat": "24h", "timeout": "10"},
        "email": {"host": "smtp.example.com", "port": "587", "from": "farm@example.com", "to": "me@example.com"},
        "metrics": {"bind": "127.0.0.1", "port": "9842"},
    }


ROLES: dict[str, tuple[Callable[[Path], Sections], Callable[[Path], object]]] = {
    "plotter": (plotter_sections, plotter_config.load),
    "nas": (nas_sections, nas_config.load),
}

# Every numeric key the two files have (the sweep covers whatever else the loaders read too).
EXPECTED = {
    "plotter": {
        ("plotter", "min_plot_age"), ("plotter", "max_parallel"), ("plotter", "bwlimit"),
        ("plotter", "poll_interval"), ("nas nas01", "port"), ("nas nas01", "connect_timeout"),
        ("alerts", "dir_critical_percent"), ("alerts", "failed_transfers"),
        *(("plotting", key) for key in ("max_jobs", "max_phase1", "stagger", "poll_interval", "max_waiting_plots")),
        *(("job a", key) for key in ("k", "threads", "buckets", "buffer", "compression", "max_plots", "max_jobs",
                                     "max_phase1", "tmp_max_jobs", "stagger", "initial_delay", "retry_delay",
                                     "start_early_max_jobs", "nice")),
        ("notify", "repeat"), ("notify", "timeout"), ("email", "port"), ("metrics", "port"),
    },
    "nas": {
        ("nas", "reserve"), ("nas", "accept_timeout"), ("nas", "buffer_size"), ("drive {root}/drive1", "quota"),
        ("smart", "interval"), ("smart", "parallel"),
        ("alerts", "low_water_plots"), ("alerts", "temperature_limit"), ("alerts", "no_plot_hours"),
        ("notify", "repeat"), ("notify", "timeout"), ("email", "port"), ("metrics", "port"),
    },
}
# Keys whose own range is narrower and checked by the plotter backend (its k sizes, its levels).
BACKEND_RANGES = {("job a", "k"), ("job a", "compression")}


@dataclass(frozen=True)
class Numeric:
    section: str
    key: str
    kind: str  # int | size | duration
    low: float
    high: float
    zero: str | None


def render(sections: Sections) -> str:
    return "".join(f"[{name}]\n" + "".join(f"{key} = {value}\n" for key, value in keys.items()) + "\n"
                   for name, keys in sections.items())


def write(path: Path, sections: Sections, section: str | None = None, key: str = "", value: str = "") -> Path:
    changed = {name: dict(keys) for name, keys in sections.items()}
    if section is not None:
        changed[section][key] = value
    path.write_text(render(changed))
    return path


@pytest.fixture
def numeric_keys(monkeypatch: pytest.MonkeyPatch) -> list[Numeric]:
    """The numeric keys the real loaders read, with the range each states (observed, not replaced)."""
    seen: list[Numeric] = []

    def watch(kind: str) -> None:
        original = getattr(Section, f"get_{kind}")

        def recording(self: Section, key: str, default: Any = None, *, low: float, high: float,
                      zero: str | None = None) -> Any:
            seen.append(Numeric(self.name, key, kind, low, high, zero))
            return original(self, key, default, low=low, high=high, zero=zero)
        monkeypatch.setattr(Section, f"get_{kind}", recording)

    for kind in ("int", "size", "duration"):
        watch(kind)
    return seen


def discover(role: str, root: Path, seen: list[Numeric]) -> tuple[Sections, list[Numeric]]:
    make, load = ROLES[role]
    sections = make(root)
    seen.clear()
    load(write(root / f"{role}.ini", sections))
    return sections, list(dict.fromkeys(seen))


def number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def out_of_range(n: Numeric) -> list[str]:
    """Values the key must refuse: huge, negative, not finite, just above and just below its range."""
    values = [HUGE, "-1" if n.low >= 0 else number(n.low - 1), "nan", "inf", "-inf", "1e400", number(n.high + 1)]
    below = n.low - 1 if n.kind != "duration" else n.low / 2
    if n.low > 0 and not (below == 0 and n.zero is not None):
        values.append(number(below))
    return values


@pytest.mark.parametrize("role", ["plotter", "nas"])
def test_every_numeric_key_refuses_values_out_of_its_range(tmp_path: Path, numeric_keys: list[Numeric],
                                                          role: str) -> None:
    sections, found = discover(role, tmp_path, numeric_keys)
    expected = {(section.replace("{root}", str(tmp_path)), key) for section, key in EXPECTED[role]}
    assert expected <= {(n.section, n.key) for n in found}
    load = ROLES[role][1]
    for n in found:
        assert n.low <= n.high and n.high < 10**16, n  # a range, and no size beyond 10 PB
        for bad in out_of_range(n):
            path = write(tmp_path / f"{role}.ini", sections, n.section, n.key, bad)
            with pytest.raises(ConfigError) as caught:
                load(path)
            message = str(caught.value)
            assert message.startswith(f"{path}: [{n.section}] {n.key}: "), (bad, message)
            assert "\n" not in message and len(message) < 300, message


@pytest.mark.parametrize("role", ["plotter", "nas"])
def test_the_ends_of_every_range_are_accepted(tmp_path: Path, numeric_keys: list[Numeric], role: str) -> None:
    sections, found = discover(role, tmp_path, numeric_keys)
    load = ROLES[role][1]
    for n in found:
        if (n.section, n.key) in BACKEND_RANGES:
            continue
        for good in ([number(n.low), number(n.high)] + (["0"] if n.zero else [])):
            load(write(tmp_path / f"{role}.ini", sections, n.section, n.key, good))


def test_durations_fit_the_waits_they_become(tmp_path: Path, numeric_keys: list[Numeric]) -> None:
    """Each duration ends up in an Event.wait, a socket timeout or (accept_timeout) a poll() in
    milliseconds, a C int: the largest allowed must fit them all."""
    found = [n for role in ROLES for n in discover(role, tmp_path, numeric_keys)[1] if n.kind == "duration"]
    assert {n.key for n in found} >= {"accept_timeout", "poll_interval", "connect_timeout", "timeout"}
    for n in found:
        assert n.high <= 366 * 86400 < threading.TIMEOUT_MAX, n
        if n.key == "accept_timeout":
            assert n.high * 1000 < 2**31, n


def one_line_exit_3(result: Any, path: Path, where: str) -> None:
    assert result.returncode == 3, (result.returncode, result.stderr)
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert f"{path}: {where}: " in result.stderr and "Traceback" not in result.stderr, result.stderr


# The reported cases, each through the command that met it.
PLOTTER_CASES = [
    ("[plotter] bwlimit", "bwlimit", HUGE, ("send", "--once")),
    ("[plotter] poll_interval", "poll_interval", "99999999999999", ("send", "--watch")),
    ("[plotter] min_plot_age", "min_plot_age", "9" * 400, ("send", "--once")),
]


def set_key(ini: Path, section: str, key: str, value: str) -> None:
    """``key = value`` as the first line of ``[section]``, instead of the helper's own line for it."""
    lines = [line for line in ini.read_text().splitlines() if not line.startswith(f"{key} = ")]
    at = lines.index(f"[{section}]") + 1
    ini.write_text("\n".join([*lines[:at], f"{key} = {value}", *lines[at:]]) + "\n")


@pytest.mark.parametrize(("where", "key", "value", "command"), PLOTTER_CASES)
def test_reported_plotter_values_are_one_line(tmp_path: Path, where: str, key: str, value: str,
                                              command: tuple[str, ...]) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    set_key(plotter.ini, "plotter", key, value)
    result = run_cli("plotter", "--config", str(plotter.ini), *command, timeout=CLI_TIMEOUT)
    one_line_exit_3(result, plotter.ini, where)


JOB = f"[job a]\nbackend = madmax\nexecutable = {sys.executable}\ntmp_dirs = /mnt/t0\nfarmer_key = {FARMER}\n" \
      f"pool_key = {POOL}\n"


@pytest.mark.parametrize(("where", "text"), [
    ("[plotting] poll_interval", "[plotting]\npoll_interval = 99999999999999\n"),
    ("[job a] start_early_phase", JOB + "start_early_phase = 9:9\n"),
    ("[job a] tmp_stagger_phase", JOB + "tmp_stagger_phase = 7:0\n"),
    ("[job a] nice", JOB + "nice = -21\n"),
    ("[job a] cpu_affinity", JOB + f"cpu_affinity = 0-{HUGE}\n"),
])
def test_reported_plotting_values_are_one_line(tmp_path: Path, where: str, text: str) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None, more_nas=text)
    result = run_cli("plotter", "--config", str(plotter.ini), "plot", timeout=CLI_TIMEOUT)
    one_line_exit_3(result, plotter.ini, where)


@pytest.mark.parametrize(("where", "key", "value", "command"), [
    ("[nas] reserve", "reserve", HUGE, ("status",)),
    ("[nas] accept_timeout", "accept_timeout", "99999999999999", ("receive",)),
    ("[nas] data_bind", "data_bind", "999.1.1.1", ("receive",)),
    ("[nas] buffer_size", "buffer_size", "2GiB", ("receive",)),
])
def test_reported_nas_values_are_one_line(tmp_path: Path, where: str, key: str, value: str,
                                          command: tuple[str, ...]) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    set_key(nas.ini, "nas", key, value)
    result = run_cli("nas", "--config", str(nas.ini), *command, timeout=CLI_TIMEOUT)
    one_line_exit_3(result, nas.ini, where)


@pytest.mark.parametrize(("where", "sections", "command"), [
    ("[drive {drive}] quota", f"[drive {{drive}}]\nquota = {HUGE}\n", ("status",)),
    ("[smart] interval", "[smart]\ninterval = nan\n", ("check",)),
    ("[alerts] no_plot_hours", "[alerts]\nno_plot_hours = 99999999999999\n", ("check",)),
    ("[notify] repeat", "[notify]\nrepeat = inf\n", ("check",)),
    ("[metrics] port", "[metrics]\nport = 70000\n", ("metrics", "serve")),
    ("[replace] match", f"[replace]\nenabled = true\nmatch = v1, k = {HUGE}\n", ("check",)),
    ("[replace] match", "[replace]\nenabled = true\nmatch = level < 99\n", ("check",)),
])
def test_nas_sections_values_are_one_line(tmp_path: Path, where: str, sections: str,
                                          command: tuple[str, ...]) -> None:
    drive = tmp_path / "nas" / "drives" / "drive1"
    nas = make_nas(tmp_path / "nas", drives=1, drive_sections=sections.replace("{drive}", str(drive)))
    result = run_cli("nas", "--config", str(nas.ini), *command, timeout=CLI_TIMEOUT)
    one_line_exit_3(result, nas.ini, where.replace("{drive}", str(drive)))


def test_phases_name_the_ones_the_backend_has(tmp_path: Path) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None,
                           more_nas=JOB.replace("madmax", "bladebit-disk") + "start_early_phase = 4:0\n")
    with pytest.raises(ConfigError) as caught:
        plotter_config.load(plotter.ini)
    # bladebit diskplot has three phases; its P7 parks count as phase 4 work (4:1), 4:0 never comes.
    assert str(caught.value) == (f"{plotter.ini}: [job a] start_early_phase: 4:0 is not a phase a bladebit-disk job "
                                 "reaches (1:0..1:7, 2:0..2:5, 3:0..3:6, 4:1, 5:0..5:2)")


@pytest.mark.parametrize(("backend", "phase", "reached"), [
    ("chia", "1:0", True), ("madmax", "1:0", False), ("madmax", "4:0", True), ("bladebit-disk", "4:1", True),
    ("bladebit", "4:2", True), ("bladebit-cuda", "4:2", False), ("bladebit-cuda", "1:2", True),
    ("chia", "9:9", False), ("madmax", "7:0", False), ("chia", "0:0", False), ("chia", "5:2", True),
])
def test_a_phase_must_be_one_the_backends_jobs_reach(tmp_path: Path, backend: str, phase: str,
                                                     reached: bool) -> None:
    tmp = "" if backend in ("bladebit", "bladebit-cuda") else "tmp_dirs = /mnt/t0\n"
    job = (f"[job a]\nbackend = {backend}\nk = 32\nexecutable = {sys.executable}\n{tmp}farmer_key = {FARMER}\n"
           f"pool_key = {POOL}\ntmp_stagger_phase = {phase}\nstart_early_phase = {phase}\n")
    plotter = make_plotter(tmp_path / "plotter", make_nas(tmp_path / "nas", drives=1), None, more_nas=job)
    if reached:
        (loaded,) = plotter_config.load(plotter.ini).plotting.jobs
        assert loaded.tmp_stagger_phase == loaded.start_early_phase == Phase.parse(phase)
    else:
        with pytest.raises(ConfigError, match=f"phase: {phase} is not a phase a {backend} job reaches"):
            plotter_config.load(plotter.ini)


def test_a_byte_order_mark_is_accepted(tmp_path: Path, copy_plots: Callable[..., list[Path]]) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    plotter = make_plotter(tmp_path / "plotter", nas, None)
    for ini in (nas.ini, plotter.ini):
        ini.write_bytes(codecs.BOM_UTF8 + ini.read_bytes())
    assert nas_config.load(nas.ini).nas.data_bind == "127.0.0.1"
    (plot,) = copy_plots(plotter.dst, 1)
    result = run_cli("plotter", "--config", str(plotter.ini), "send", "--once", timeout=CLI_TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert [p.name for p in nas.plots()] == [plot.name]


def test_the_longest_waits_allowed_work(tmp_path: Path, copy_plots: Callable[..., list[Path]]) -> None:
    """accept_timeout and poll_interval at the top of their ranges: a plot is received at the first
    offer, and send --watch goes on waiting after its first round instead of crashing."""
    nas = make_nas(tmp_path / "nas", drives=1, extra_nas="accept_timeout = 1h")
    plotter = make_plotter(tmp_path / "plotter", nas, None, extra_plotter="poll_interval = 1h")
    (plot,) = copy_plots(plotter.dst, 1)
    watcher = popen_cli("plotter", "--config", str(plotter.ini), "-v", "send", "--watch")
    try:
        wait_for(lambda: [p.name for p in nas.plots()] == [plot.name], CLI_TIMEOUT, "the plot to arrive")
        read_stderr_until(watcher, lambda seen: "sent 1, failed 0" in seen, CLI_TIMEOUT)
        assert watcher.poll() is None, "send --watch ended after its first round"
    finally:
        watcher.send_signal(signal.SIGTERM)
        _, err = watcher.communicate(timeout=CLI_TIMEOUT)
    assert watcher.returncode == 0 and "Traceback" not in err, err


def test_replace_size_on_the_command_line_is_a_usage_error(tmp_path: Path) -> None:
    nas = make_nas(tmp_path / "nas", drives=1, drive_sections="[replace]\nenabled = true\nmatch = v1\n")
    result = run_cli("nas", "--config", str(nas.ini), "replace", "--dry-run", "--size", HUGE, timeout=CLI_TIMEOUT)
    assert result.returncode == 2 and result.stderr.strip().count("\n") == 0, result.stderr
    assert "--size: " in result.stderr and "is out of range: allowed 1..1PB" in result.stderr
