"""Tables for people: aligned plain text on a pipe and in mails, a rich table on a terminal.

Column widths always come from the cells, so a long device name (``/dev/nvme0n1``,
``/dev/loop10``) or serial widens its column instead of pushing the rest out of line.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TextIO


def text_table(rows: Sequence[Sequence[object]], right: Collection[int] = ()) -> list[str]:
    """``rows`` (the first is the header) as lines of aligned columns; ``right``: column indexes
    aligned right (numbers). Pure."""
    cells = [[str(c) for c in row] for row in rows]
    if not cells:
        return []
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    return ["  ".join(c.rjust(w) if i in right else c.ljust(w)
                      for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip() for row in cells]


def write_table(rows: Sequence[Sequence[str]], stream: TextIO, right: Collection[int] = (),
                terminal: bool | None = None) -> None:
    """Plain aligned text into a pipe, a rich table (header styled, fitted to the width) on a
    terminal. ``terminal`` None: ask the stream."""
    terminal = stream.isatty() if terminal is None else terminal
    if not terminal or not rows:
        stream.write("".join(f"{line}\n" for line in text_table(rows, right)))
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for i, title in enumerate(rows[0]):
        table.add_column(title, justify="right" if i in right else "left", no_wrap=True)
    for row in rows[1:]:
        table.add_row(*row)
    Console(file=stream).print(table)
