"""plotyard's own PoS2 plotter (:mod:`plotter.plotting.pos2.plotter`): every line starts ``pos2: ``.

The plotting is one chia_rs call that reports nothing until it returns, so phase 1 is all of it
("phase 1: plotting into ..." -> 1:0). What follows is after the plotting, so it counts as phase 5:
"checking: ..." (the file read back and its proofs validated) 5:0, "moving to ..." 5:1, "renamed final
plot to ..." 5:2. Phases 2-4 are never reached. The group id ("group id <hex>") names the plot.
"""

from __future__ import annotations

import re

from plotter.plotting.logs.rules import LogFormat, at, rule, signatures

FORMAT = LogFormat(
    name="pos2",
    rules=(
        rule(r"^pos2: phase 1: plotting into ", at(1, 0)),
        rule(r"^pos2: checking: ", at(5, 0)),
        rule(r"^pos2: moving to ", at(5, 1)),
        rule(r"^pos2: renamed final plot to ", at(5, 2)),
    ),
    signatures=signatures(
        r"^pos2: plotyard PoS2 plotter",
        r"^pos2: group \d+/\d+: k\d+",
        r"^pos2: phase 1",
        r"^pos2: check",
        r"^pos2: renamed final plot to ",
        r"^pos2: total time ",
    ),
    plot_id=re.compile(r"^pos2: group \d+/\d+: .*group id ([0-9a-f]{64})"),
)
