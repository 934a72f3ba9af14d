"""Stand-ins for the plotter executables (chia, chia_plot, chia_plot_k34, bladebit, bladebit_cuda, xchplot2).

:func:`install` writes small launchers into a directory; put it first on PATH (or pass the paths
as the job's executable) and the scheduler runs them like the real plotters.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
LAUNCHERS = {
    "chia": ("chia", "main"),
    "chia_plot": ("madmax", "main"),
    "chia_plot_k34": ("madmax", "main_k34"),
    "bladebit": ("bladebit", "main"),
    "bladebit_cuda": ("bladebit", "main_cuda"),
    "xchplot2": ("xchplot2", "main"),
}


def install(directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, (module, func) in LAUNCHERS.items():
        path = directory / name
        path.write_text(
            f"#!{sys.executable}\n"
            "import sys\n"
            f"sys.path.insert(0, {str(ROOT)!r})\n"
            f"from tests.plotter.plotting.standins.{module} import {func}\n"
            f"sys.exit({func}(sys.argv[1:]))\n"
        )
        path.chmod(0o755)
        paths[name] = path
    return paths
