"""``install cron|systemd``: the shipped examples are install's own output for the default paths,
and what it writes for a real config passes ``systemd-analyze verify`` and runs."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from common.assets import asset_dir
from common.assets.install import (
    command_path,
    cron_files,
    default_target,
    make_target,
    outermost,
    static_prefix,
    systemd_files,
)
from common.errors import UsageError
from nas import config as nas_config
from nas.cli import install as nas_install
from plotter import config as plotter_config
from plotter.cli import install as plotter_install
from tests.helpers import ROOT, make_nas, run_cli


def example_paths(role: str, tmp_path: Path) -> object:
    ini = tmp_path / f"{role}.ini"
    if role == "plotter":
        ini.write_text(plotter_config.EXAMPLE)
        return plotter_install.write_paths(plotter_config.load(ini))
    ini.write_text(nas_config.EXAMPLE)
    return nas_install.write_paths(nas_config.load(ini))


@pytest.mark.parametrize("role", ["plotter", "nas"])
def test_shipped_files_are_what_install_prints_for_default_paths(role: str, tmp_path: Path) -> None:
    paths = example_paths(role, tmp_path)
    units = systemd_files(default_target(role), paths)  # type: ignore[arg-type]
    shipped = sorted(p.name for p in (ROOT / "systemd").glob(f"plotyard-{role}-*"))
    assert sorted(units) == shipped and len(shipped) >= 3
    for name, text in units.items():
        assert text == (ROOT / "systemd" / name).read_text(), name
    (name, text), = cron_files(default_target(role)).items()
    assert name == f"plotyard-{role}" and text == (ROOT / "cron" / name).read_text()


def test_assets_are_found_through_the_package() -> None:
    for kind in ("templates", "cron", "systemd", "grafana"):
        assert any(asset_dir(kind).iterdir()), kind
    assert (asset_dir("grafana") / "plotyard.json").is_file()


def test_glob_prefixes_and_nesting() -> None:
    assert static_prefix("/mnt/enclosure*/*/column*/drive*") == "/mnt"
    assert static_prefix("/srv/chia/drive[0-9]") == "/srv/chia"
    assert static_prefix("/mnt/drive7") == "/mnt/drive7"
    assert static_prefix("/*") == "/"
    assert outermost(["/mnt/a/b", "/mnt/a", "/mnt/ab", "/var/lib/plotyard/"]) == ["/mnt/a", "/mnt/ab",
                                                                                  "/var/lib/plotyard"]


def test_paths_that_cron_or_systemd_would_misread_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="without spaces"):
        make_target("nas", tmp_path / "my configs" / "nas.ini", "chia", None)
    with pytest.raises(UsageError, match="not a valid user"):
        make_target("nas", tmp_path / "nas.ini", "chia; rm -rf /", None)


def test_command_path_is_the_script_that_runs(tmp_path: Path) -> None:
    script = tmp_path / "bin" / "drive-manager"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    assert command_path("nas", str(script)) == str(script)
    found = command_path("nas", "/nowhere/python")
    assert found.endswith("/drive-manager") or found.endswith(" -m nas")
    assert found.startswith("/")


def plotter_ini(tmp_path: Path) -> Path:
    ini = tmp_path / "plotter.ini"
    ini.write_text(f"[plotter]\nplot_dirs = {tmp_path}/dst0, {tmp_path}/dst1\nstate_dir = {tmp_path}/state\n"
                   f"[nas nas01]\ntransport = local\ncommand = drive-manager\n"
                   f"[metrics]\ntextfile = {tmp_path}/prom/plotyard.prom\n")
    return ini


def systemd_verify(directory: Path) -> subprocess.CompletedProcess[str]:
    if shutil.which("systemd-analyze") is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is missing: .ci/run must install the systemd package")
        pytest.skip("systemd-analyze not installed")
    files = sorted(str(p) for p in directory.iterdir())
    return subprocess.run(["systemd-analyze", "verify", *files], capture_output=True, text=True, timeout=120)


def test_install_systemd_for_a_plotter_passes_systemd_analyze(tmp_path: Path) -> None:
    ini = plotter_ini(tmp_path)
    out = tmp_path / "units"
    result = run_cli("plotter", "install", "systemd", "--config", str(ini), "--write", str(out), "--user", "farmer")
    assert result.returncode == 0, result.stderr
    verify = systemd_verify(out)
    assert verify.returncode == 0 and verify.stderr == "", verify.stderr
    send = (out / "plotyard-plotter-send.service").read_text()
    exec_start = next(line for line in send.splitlines() if line.startswith("ExecStart="))
    words = exec_start.removeprefix("ExecStart=").split()
    assert os.access(words[0], os.X_OK) and os.path.isabs(words[0])
    assert words[-4:] == ["--config", str(ini), "send", "--watch"]
    assert "User=farmer" in send and "Group=farmer" in send
    assert (f"ReadWritePaths={tmp_path}/state -{tmp_path}/dst0 -{tmp_path}/dst1 -{tmp_path}/prom"
            in send.splitlines())
    metrics = (out / "plotyard-plotter-metrics.service").read_text()
    assert f"ReadWritePaths={tmp_path}/state" in metrics.splitlines()


def test_install_systemd_for_a_nas_makes_the_drives_writable_for_check(tmp_path: Path) -> None:
    nas = make_nas(tmp_path / "nas", drives=2)
    ini = tmp_path / "nas.ini"
    ini.write_text(nas.ini.read_text().replace(
        next(line for line in nas.ini.read_text().splitlines() if line.startswith("drive_globs")),
        f"drive_globs = {tmp_path}/nas/drives/drive*"))
    out = tmp_path / "units"
    result = run_cli("nas", "--config", str(ini), "install", "systemd", "--write", str(out))
    assert result.returncode == 0, result.stderr
    assert systemd_verify(out).returncode == 0
    check = (out / "plotyard-nas-check.service").read_text().splitlines()
    assert f"ReadWritePaths={nas.state} -{tmp_path}/nas/drives" in check
    assert "User=chia" in check


def test_install_cron_lines_run_as_written(tmp_path: Path) -> None:
    nas = make_nas(tmp_path / "nas", drives=1)
    result = run_cli("nas", "install", "cron", "--config", str(nas.ini), "--user", "farmer")
    assert result.returncode == 0, result.stderr
    jobs = [line for line in result.stdout.splitlines() if line and not line.startswith(("#", "SHELL", "PATH"))]
    assert [job.split()[:6] for job in jobs] == [["*"] * 5 + ["farmer"], ["2", "0", "*", "*", "*", "farmer"]]
    check = shlex.split(jobs[0])[6:]
    assert os.path.isabs(check[0]) and check[1:] == ["--config", str(nas.ini), "-q", "check"]
    ran = subprocess.run(check, capture_output=True, text=True, timeout=120, cwd=tmp_path,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})  # cron's bare environment
    assert ran.returncode == 0, ran.stderr
    assert (nas.state / "drive-manager.sqlite").is_file()  # check really ran against this config


def test_the_plotter_crontab_plots_and_sends_as_written(tmp_path: Path) -> None:
    ini = plotter_ini(tmp_path)
    for dst in ("dst0", "dst1"):
        (tmp_path / dst).mkdir()
    result = run_cli("plotter", "install", "cron", "--config", str(ini), "--user", "farmer")
    assert result.returncode == 0, result.stderr
    jobs = [line for line in result.stdout.splitlines() if line and not line.startswith(("#", "SHELL", "PATH"))]
    assert [job.split()[:6] for job in jobs] == [["*/5", "*", "*", "*", "*", "farmer"], ["*"] * 5 + ["farmer"]]
    for job, words in zip(jobs, (["send", "--once"], ["plot", "--once"]), strict=True):
        argv = shlex.split(job)[6:]
        assert os.path.isabs(argv[0]) and argv[1:] == ["--config", str(ini), "-q", *words]
        ran = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=tmp_path,
                             env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})  # cron's bare environment
        assert (ran.returncode, ran.stdout, ran.stderr) == (0, "", ""), ran  # nothing to do: no mail from cron


def test_install_needs_a_config(tmp_path: Path) -> None:
    result = run_cli("plotter", "install", "cron", "--config", str(tmp_path / "missing.ini"))
    assert result.returncode == 3 and "config file not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_plot_unit_may_write_the_jobs_dirs_and_spares_the_jobs_on_stop(tmp_path: Path) -> None:
    from tests.plotter.plotting.conftest import FARMER, POOL

    ini = plotter_ini(tmp_path)
    ini.write_text(ini.read_text() + f"[plotting]\nlog_dir = {tmp_path}/logs\n[job a]\nbackend = chia\nk = 32\n"
                   f"executable = {shutil.which('true')}\n"
                   f"tmp_dirs = {tmp_path}/nvme0, {tmp_path}/nvme1\ntmp2_dir = {tmp_path}/ram\n"
                   f"farmer_key = {FARMER}\npool_key = {POOL}\n")
    out = tmp_path / "units"
    result = run_cli("plotter", "install", "systemd", "--config", str(ini), "--write", str(out))
    assert result.returncode == 0, result.stderr
    assert systemd_verify(out).returncode == 0
    unit = (out / "plotyard-plotter-plot.service").read_text().splitlines()
    home = plotter_install.user_home("chia")  # a chia job: chia's root and keyring (the unit's user is chia)
    assert (f"ReadWritePaths={tmp_path}/state -{home}/.chia/mainnet -{home}/.chia_keys -{tmp_path}/dst0 "
            f"-{tmp_path}/dst1 -{tmp_path}/logs -{tmp_path}/nvme0 -{tmp_path}/nvme1 -{tmp_path}/ram") in unit
    assert "KillMode=process" in unit  # a restart of the scheduler leaves its plot jobs running
    assert any(line.endswith(f"--config {ini} plot") for line in unit if line.startswith("ExecStart="))


def test_only_chia_writes_outside_its_dirs_and_its_home_comes_from_the_user_database() -> None:
    import pwd

    home = Path(pwd.getpwuid(0).pw_dir)
    assert plotter_install.plotter_writes({"chia", "madmax"}, pwd.getpwuid(0).pw_name) == [
        home / ".chia" / "mainnet", home / ".chia_keys"]
    assert plotter_install.plotter_writes({"madmax", "bladebit", "bladebit-disk", "bladebit-cuda"}, "root") == []
    assert plotter_install.user_home("no-such-user-here") == Path("/home/no-such-user-here")
