"""bladebit ``diskplot`` logs.

The disk plotter (src/plotdisk/DiskPlotter.cpp) has three phases, each announced ("Running Phase
N") and ended ("Finished Phase N in"). Within them: "Table 1: F1 generation" and "Table N"
(src/plotdisk/k32/DiskPlotBounded.cpp), "Sorting F7 & Writing C Tables", "Finished marking table N"
(DiskPlotPhase2.cpp; N is the 0-based TableId, 6 down to 2, and minor counts the tables marked),
"Compressing tables N and N+1." and "Writing P7 parks." (DiskPlotPhase3.cpp; the P7 parks are
chiapos's phase 4 work, reported here as phase 4). After phase 3: "Waiting for plot file to complete
pending writes...", "Finished writing plot <name>." and the plot writer's rename.
"""

from __future__ import annotations

import re

from plotter.plotting.logs.bladebit import HEADER, RENAME
from plotter.plotting.logs.rules import LogFormat, at, major_from, rule, signatures, step

FORMAT = LogFormat(
    name="bladebit-disk",
    rules=(
        rule(r"Running Phase ([1-3])", major_from(0, high=3)),
        rule(r"Table 1: F1 generation", at(1, 1)),
        rule(r"(?:^|\s)Table (\d)$", step(1, lambda table: table)),
        rule(r"Sorting F7 & Writing C Tables", at(1, 7)),
        rule(r"Finished marking table (\d)", step(2, lambda table: 7 - table, high=5)),  # tables 6..2
        rule(r"Compressing tables (\d) and \d", step(3, lambda table: table, high=6)),
        rule(r"Writing P7 parks", at(4, 1)),
        rule(r"Finished Phase 3 in", at(5, 0)),
        rule(r"Waiting for plot file to complete pending writes", at(5, 1)),
        rule(r"Finished writing plot ", at(5, 2)),
        rule(RENAME, at(5, 2)),
    ),
    signatures=signatures(
        *HEADER,
        r"\[Bladebit Disk Plotter\]",
        r"Table 1: F1 generation",
        r"Finished marking table \d",
        r"Sorting F7 & Writing C Tables",
        r"Writing P7 parks",
        r"Started plot\.$",
    ),
    plot_id=re.compile(r"Generating plot \d+(?: / \d+)?: ([0-9a-f]{64})"),
)
