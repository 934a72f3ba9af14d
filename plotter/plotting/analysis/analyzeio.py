"""The edge of ``plot-manager analyze`` (parser in :mod:`plotter.cli.plot`): reads the jobs table
and the logs in ``log_dir``, prints."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from common.errors import UsageError
from plotter.plotting import logs
from plotter.plotting.analysis.analyze import PlotRecord, job_records, log_records, render, summarize, to_csv
from plotter.plotting.jobdb import JobRow, db_path, opened

if TYPE_CHECKING:
    from plotter.config import PlotterConfig

log = logging.getLogger(__name__)


def run(cfg: PlotterConfig, args: argparse.Namespace) -> int:
    records = collect(cfg.plotter.state_dir, cfg.plotting.settings.log_dir)
    if args.csv:
        sys.stdout.write(to_csv(records))
    elif args.json:
        print(json.dumps(summarize(records), indent=2))
    else:
        print(render(summarize(records)))
    return 0


def collect(state_dir: Path, log_dir: Path) -> list[PlotRecord]:
    """Every job row's plot(s), then those of the ``*.log`` files in ``log_dir`` that no row names."""
    rows = _rows(state_dir)
    records = [record for row in rows for record in job_records(row, _lines(Path(row.log)) if row.log else [])]
    known = {Path(row.log).resolve() for row in rows if row.log}
    for path in sorted(log_dir.glob("*.log")) if log_dir.is_dir() else []:
        if path.resolve() not in known:
            records += log_records(_lines(path))
    return records


def _rows(state_dir: Path) -> list[JobRow]:
    if not db_path(state_dir).exists():  # nothing was ever plotted here: do not create the database
        return []
    with opened(state_dir) as db:
        return db.all()


def _lines(path: Path) -> list[str]:
    """A log's lines; none if it is gone (logs may be cleaned up while their job rows stay)."""
    try:
        return logs.split_lines(path.read_bytes())
    except FileNotFoundError:
        log.debug("log %s is gone", path)
        return []
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
