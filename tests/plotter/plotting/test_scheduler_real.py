"""The scheduler running the chia stand-in (real chiapos k18 plots): limits measured from what ran."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import pytest

from plotter.plotting import logs
from plotter.plotting.jobdb import JobRow
from plotter.plotting.loop import Scheduler
from plotter.plotting.phase import Phase
from tests.plotter.plotting.scheduling import make_config, overlap, run_until

PLOTS = 3


class PhaseWatch:
    """Reads every job's log every few ms while the scheduler runs: the phases that really were."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.samples: list[dict[str, Phase]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            sample = {}
            for path in self.log_dir.glob("*.log"):
                lines = logs.split_lines(path.read_bytes())
                sample[path.name] = logs.current_phase(lines, "chia")
            self.samples.append(sample)
            self.stop.wait(0.01)


@pytest.mark.slow
def test_limits_are_never_exceeded(tmp_path: Path, standins: dict[str, Path]) -> None:
    cfg = make_config(tmp_path, standins["chia"], plotting="max_jobs = 3\nmax_phase1 = 1\nstagger = 1s",
                      job=f"max_jobs = 3\ntmp_max_jobs = 1\nmax_plots = {PLOTS}")
    watch = PhaseWatch(cfg.plotting.settings.log_dir)
    cfg.plotting.settings.log_dir.mkdir(parents=True)
    watch.thread.start()
    try:
        found = run_until(Scheduler(cfg), lambda rs: len(rs) == PLOTS and all(not r.live for r in rs))
    finally:
        watch.stop.set()
        watch.thread.join(5)
    assert [r.state for r in found] == ["done"] * PLOTS
    assert len(list((tmp_path / "dst").glob("plot-k18-*.plot"))) == PLOTS
    starts = sorted(r.started_at for r in found)
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(starts)), starts  # stagger
    for i, a in enumerate(found):
        others = [b for b in found[i + 1:] if overlap(a, b)]
        assert len(others) < 3  # max_jobs (3 at once at most)
        assert not [b for b in others if b.tmp_dir == a.tmp_dir], "tmp_max_jobs = 1 per tmp dir"
    in_phase1 = [sum(1 for p in sample.values() if p.major <= 1 and p < Phase(5, 0)) for sample in watch.samples]
    assert max(in_phase1) == 1  # max_phase1 held, and the watch did see phase 1
    assert len(watch.samples) > 50
    _report(found)


def _report(found: list[JobRow]) -> None:
    t0 = found[0].started_at
    for r in found:
        assert r.ended_at is not None
        print(f"job {r.id} tmp {Path(r.tmp_dir or '-').name}: start +{r.started_at - t0:.2f} s, "
              f"end +{r.ended_at - t0:.2f} s, {r.plot_bytes} bytes, tmp peak {r.tmp_peak}")


def test_a_failing_plotter_is_failed_never_made(tmp_path: Path, standins: dict[str, Path]) -> None:
    cfg = make_config(tmp_path, standins["chia"], job="extra_args = --no-such-flag\nmax_plots = 1\nretry_delay = 1h")
    found = run_until(Scheduler(cfg), lambda rs: len(rs) == 1 and not rs[0].live)
    assert found[0].state == "failed" and found[0].returncode == 2
    # the plotter's own last error line says why (the chia stand-in answers like click)
    assert found[0].reason == "exit code 2 (Error: unrecognized arguments: --no-such-flag)"
    decision, _ = Scheduler(cfg).run_pass(dry_run=True)
    # not max_plots (a failure is not a plot made) but the pause after a failure, so no crash loop
    assert decision.start is None and decision.waits["a"].startswith("retry_delay after a failed job: ")
    assert "No such option" in Path(found[0].log).read_text() or "unrecognized" in Path(found[0].log).read_text()
    assert time.time() - found[0].started_at < 60
