"""bladebit RAM (``ramplot``) and GPU (``bladebit_cuda ... cudaplot``) logs.

Both start with the same global header (src/main.cpp: "Bladebit Chia Plotter", "Generating plot
1 / 1: <id>") and end with the plot writer's "<name>.plot.tmp -> <name>.plot" rename
(src/plotting/PlotWriter.cpp); their phase lines differ but never collide, so one parser reads both.

RAM (src/plotmem/MemPlotter.cpp, MemPhase1-4.cpp) announces phases: "Running Phase N", then
"Generating F1...", "Forward propagating to table N...", "Prunning table N...", "Compressing tables
N and N+1...", "Writing P7." / "Writing C1 table." / C2 / C3, "Finished Phase 4 in", "Writing final
plot tables to disk".

CUDA (cuda/CudaPlotter.cu, CudaPlotPhase2.cu, CudaPlotPhase3.cu) reports ends only and has three
phases: "Generating F1", "Finished F1 in", "Table N completed in", "Completed Phase 1 in" (phase 2
begins right after), "Marked Table N in" (N is the 0-based TableId: 6 is table 7; minor counts the
tables marked),
"Completed Phase 2 in", "Compressing Table(s) N and N+1...", "Serializing P7 entries" (the P7 park
writing, chiapos's phase 4 work, reported here as phase 4), "Completed Phase 3 in", "Completed
writing plot in".
"""

from __future__ import annotations

import re

from plotter.plotting.logs.rules import LogFormat, at, major_from, rule, signatures, step

HEADER = (r"Bladebit Chia Plotter", r"Generating plot \d+(?: / \d+)?: [0-9a-f]{64}")
RENAME = r"\.plot\.tmp -> .*\.plot$"
RAM, CUDA = "bladebit", "bladebit-cuda"  # lines only one of the two plotters writes

FORMAT = LogFormat(
    name="bladebit",
    rules=(
        rule(r"Running Phase ([1-4])", major_from(0), only=RAM),
        rule(r"Generating F1", at(1, 1)),
        rule(r"Finished F1 in", at(1, 2), only=CUDA),
        rule(r"Forward propagating to table (\d)", step(1, lambda table: table), only=RAM),
        rule(r"(?:^|\s)Table (\d) completed in", step(1, lambda table: table + 1), only=CUDA),
        rule(r"Completed Phase 1 in", at(2, 0), only=CUDA),
        rule(r"Prunning table (\d)", step(2, lambda table: 7 - table, high=6), only=RAM),
        rule(r"Marked Table (\d) in", step(2, lambda table: 7 - table, high=5), only=CUDA),  # tables 6..2
        rule(r"Completed Phase 2 in", at(3, 0), only=CUDA),
        rule(r"Compressing [Tt]ables? (\d) and \d", step(3, lambda table: table, high=6)),
        rule(r"Writing P7\.", at(4, 1), only=RAM),
        rule(r"Serializing P7 entries", at(4, 1), only=CUDA),
        rule(r"Writing C1 table", at(4, 2), only=RAM),
        rule(r"Writing C2 table", at(4, 3), only=RAM),
        rule(r"Writing C3 table", at(4, 4), only=RAM),
        rule(r"Finished Phase 4 in", at(5, 0), only=RAM),
        rule(r"Completed Phase 3 in", at(5, 0), only=CUDA),
        rule(r"Writing final plot tables to disk", at(5, 1), only=RAM),
        rule(RENAME, at(5, 2)),
        rule(r"Finished writing tables to disk", at(5, 2), only=RAM),
        rule(r"Plot .* finished writing to disk:", at(5, 2), only=RAM),  # bladebit 1.x (src/memplot/MemPlotter.cpp)
        rule(r"Completed writing plot in", at(5, 2), only=CUDA),
    ),
    signatures=signatures(
        *HEADER,
        r"\[Bladebit CUDA Plotter\]",
        r"Forward propagating to table \d",
        r"Prunning table \d",
        r"Running Phase 4",
        r"Completed Phase \d in",
        r"Marked Table \d in",
        r"Serializing P7 entries",
    ),
    plot_id=re.compile(r"Generating plot \d+(?: / \d+)?: ([0-9a-f]{64})"),
)
