"""A job's meta group is kept on its row; a jobs table from before placements gains the column."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from plotter.plotting.jobdb import JobState, db_path, opened

OLD_TABLE = """CREATE TABLE plot_jobs (
    id INTEGER PRIMARY KEY,
    job TEXT NOT NULL, backend TEXT NOT NULL, k INTEGER NOT NULL, compression INTEGER NOT NULL,
    tmp_dir TEXT, tmp2_dir TEXT, dst_dir TEXT NOT NULL, log TEXT NOT NULL, status_file TEXT NOT NULL,
    pid INTEGER, proc_start INTEGER, started_at REAL NOT NULL, state TEXT NOT NULL,
    phase TEXT NOT NULL DEFAULT '0:0', plot_id TEXT, plot_path TEXT, plot_bytes INTEGER,
    tmp_peak INTEGER NOT NULL DEFAULT 0, returncode INTEGER, ended_at REAL, reason TEXT)"""


def row_values(job: str) -> dict[str, object]:
    return {"job": job, "backend": "pos2", "k": 18, "compression": 0, "dst_dir": "/d", "log": "",
            "status_file": "", "started_at": 1.0}


def test_an_old_jobs_table_gains_the_meta_group_column(tmp_path: Path) -> None:
    conn = sqlite3.connect(db_path(tmp_path))
    conn.execute(OLD_TABLE)
    conn.execute("INSERT INTO plot_jobs (job, backend, k, compression, dst_dir, log, status_file, started_at, state)"
                 " VALUES ('old', 'chia', 32, 0, '/d', '', '', 1.0, 'done')")
    conn.commit()
    conn.close()
    with opened(tmp_path) as db:
        db.insert(state=JobState.RUNNING, meta_group=7, **row_values("new"))
    with opened(tmp_path) as db:  # a scheduler started again
        assert [(r.job, r.meta_group) for r in db.all()] == [("old", None), ("new", 7)]
