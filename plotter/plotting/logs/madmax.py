"""madMAx ``chia_plot`` logs.

madMAx reports the end of tables and phases only (include/chia/phase1-4.hpp): "[P1] Table N took
...", "Phase 1 took ...", "[P2] Table N rewrite took ...", "[P3-2] Table N took ...", "[P4] Starting
to write C1 and C3 tables", "[P4] Writing C2 table", "Phase 4 took ...". So phase 1 begins right
after "Plot Name: ..." (src/chia_plot.cpp calls phase1::compute next) and each later phase right after
the previous one's "Phase N took" line. The final copy: "Started copy to", then "Copy to ... finished"
or "Renamed final plot to" (src/chia_plot.cpp).
"""

from __future__ import annotations

import re

from plotter.plotting.logs.rules import LogFormat, at, rule, signatures, step

FORMAT = LogFormat(
    name="madmax",
    rules=(
        rule(r"Plot Name: plot-", at(1, 1)),
        rule(r"\[P1\] Table (\d) took", step(1, lambda table: table + 1)),
        rule(r"Phase 1 took", at(2, 1)),
        rule(r"\[P2\] Table (\d) rewrite took", step(2, lambda table: 9 - table, high=6)),
        rule(r"Phase 2 took", at(3, 1)),
        rule(r"\[P3-2\] Table (\d) took", step(3, lambda table: table, high=6)),
        rule(r"Phase 3 took", at(4, 0)),
        rule(r"\[P4\] Starting to write C1 and C3 tables", at(4, 1)),
        rule(r"\[P4\] Writing C2 table", at(4, 2)),
        rule(r"Phase 4 took", at(5, 0)),
        rule(r"Started copy to ", at(5, 1)),
        rule(r"Copy to .* finished, took", at(5, 2)),
        rule(r"Renamed final plot to ", at(5, 2)),
    ),
    signatures=signatures(
        r"Multi-threaded pipelined Chia k\d+ plotter",
        r"Crafting plot \d+ out of",
        r"Number of Buckets P1:",
        r"\[P[1-4](?:-[12])?\] ",
        r"Phase \d took \d",
        r"Plot Name: plot-",
    ),
    plot_id=re.compile(r"Plot Name: plot-(?:mmx-)?k\d+-(?:\d+-)*([0-9a-f]{64})"),
)
