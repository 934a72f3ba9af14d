"""``plot-manager plot --once`` from cron while another scheduler holds the lock: the pass is
skipped without a word to cron's mail (-q) and exit 0; once the lock is free the pass runs."""

from __future__ import annotations

from pathlib import Path

from common.locking import FileLock
from plotter.plotting.process import procs
from tests.helpers import run_cli, wait_for
from tests.plotter.plotting.scheduling import make_config, rows


def test_a_pass_while_another_scheduler_runs_is_skipped_quietly(tmp_path: Path, standins: dict[str, Path]) -> None:
    cfg = make_config(tmp_path, standins["chia"], job="max_plots = 1")
    ini = str(tmp_path / "plotter.ini")
    with FileLock(cfg.plotter.state_dir / "plot-scheduler.lock"):
        quiet = run_cli("plotter", "--config", ini, "-q", "plot", "--once")
        assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
        told = run_cli("plotter", "--config", ini, "plot", "--once")
        assert told.returncode == 0 and "another scheduler holds" in told.stderr, told.stderr
        assert rows(cfg) == []  # neither pass started the job
    done = run_cli("plotter", "--config", ini, "-q", "plot", "--once")
    assert done.returncode == 0, done.stderr
    [row] = rows(cfg)
    assert row.pid is not None and row.proc_start is not None
    wait_for(lambda: not procs.alive(row.pid or 0, row.proc_start or 0), 120, "the k18 job's end")
