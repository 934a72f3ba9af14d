"""xchplot2 (GPU, PoS2) logs, as ``xchplot2 plot ... -v --progress`` writes them.

The lines (format strings in tools/xchplot2/cli.cpp and src/host/BatchPlotter.cpp; ``<w>`` is
the worker prefix ``[batch]``, ``[batch:gpuN]`` or ``[batch:cpu]``):
"[plot] prepared i/n <name>" (keys derived; the name prints empty: it is read after the entry was
moved), "[batch] preflight: <dir> has ... GB free, ...", "[strategy] picked work-queue — ...",
"<w> pool: storage=..." or "<w> streaming tier: ..." (GPU memory set up), "<w> producer finished GPU
for plot i in ... ms (T1=.. T2=.. T3=..)" (the GPU part is done; CPU compression and the write
follow), "<w> consumer wrote plot i: <path>" (or "<w> plot i done: <name>" on the CPU worker,
"[pipeline-plot] wrote <path> (...)"), "<w> progress: plot i/n done (..%, .. s/plot avg, ~XmYYs
left)", "[plot] wrote n plots in .. s (.. s/plot)" and, on stdout, each plot's path.

Phases (xchplot2 has no four-phase structure): 1:0 keys, 1:1 strategy, 1:2 GPU memory, 4:0 GPU
done and writing, 5:0 written (renamed from ``.partial``), 5:1 progress, 5:2 the run's summary.
The plot id is in the written plot's name (``.plot2``, or ``.gplot`` from group builds), so it
reaches the log only once that plot is complete.
"""

from __future__ import annotations

import re

from plotter.plotting.logs.rules import LogFormat, at, rule, signatures

WORKER = r"\[batch(?::(?:gpu\d+|cpu))?\]"

FORMAT = LogFormat(
    name="xchplot2",
    rules=(
        rule(r"\[plot\] prepared \d+/\d+", at(1, 0)),
        rule(r"\[strategy\] picked ", at(1, 1)),
        rule(WORKER + r" (?:pool: storage=|streaming tier: )", at(1, 2)),
        rule(WORKER + r" producer finished GPU for plot \d+ in", at(4, 0)),
        rule(WORKER + r" (?:consumer wrote plot \d+: |plot \d+ done: )", at(5, 0)),
        rule(r"\[pipeline-plot\] wrote ", at(5, 0)),
        rule(WORKER + r" progress: plot \d+/\d+ done \(", at(5, 1)),
        rule(r"\[plot\] wrote \d+ plots in ", at(5, 2)),
    ),
    signatures=signatures(
        r"\[plot\] prepared \d+/\d+",
        r"\[strategy\] picked ",
        WORKER + r" (?:producer finished GPU|consumer wrote plot|progress: plot \d+/\d+ done)",
        r"\[plot\] wrote \d+ plots in ",
        r"\[xchplot2\] cancel requested",
    ),
    plot_id=re.compile(r"plot-k\d+-([0-9a-f]{64})\.(?:plot2|gplot)(?![.\w])"),
)
