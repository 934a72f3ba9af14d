"""``chia plots create`` logs: chia's own logging lines around chiapos's progress output.

chiapos (src/plotter_disk.hpp) announces each phase ("Starting phase 1/4: Forward Propagation into
tmp files... <date>") and reports its end ("Time for phase 1 = ..."); within the phases:
"Computing table N" (phase1.hpp, tables 1-7), "Backpropagating on table N" (phase2.hpp /
b17phase2.hpp, tables 7 down to 2), "Compressing tables N and N+1" (phase3.hpp, 1-6),
"Starting to write C1 and C3 tables" / "Writing C2 table" (phase4.hpp), then "Renamed final file
from" or "Copied final file from" (plotter_disk.hpp). chia adds "Created a total of N new plots"
(chia/plotting/create_plots.py).
"""

from __future__ import annotations

import re

from plotter.plotting.logs.rules import LogFormat, at, major_from, rule, signatures, step

FORMAT = LogFormat(
    name="chia",
    rules=(
        rule(r"Starting phase (\d)/4", major_from(0)),
        rule(r"Computing table (\d)", step(1, lambda table: table)),
        rule(r"Backpropagating on table (\d)", step(2, lambda table: 8 - table, high=6)),
        rule(r"Compressing tables (\d) and \d", step(3, lambda table: table, high=6)),
        rule(r"Starting to write C1 and C3 tables", at(4, 1)),
        rule(r"Writing C2 table", at(4, 2)),
        rule(r"Time for phase 4 = ", at(5, 0)),
        rule(r"Copied final file from", at(5, 1)),
        rule(r"Renamed final file from", at(5, 2)),
        rule(r"Created a total of [1-9]\d* new plots", at(5, 2)),
    ),
    signatures=signatures(
        r"Starting plotting progress into temporary dirs",
        r"Starting phase \d/4",
        r"Computing table \d",
        r"Backpropagating on table \d",
        r"Time for phase \d = ",
        r"Progress update: \d",
        r"chia\.plotting\.create_plots",
    ),
    plot_id=re.compile(r"\bID: ([0-9a-f]{64})\b"),
)
