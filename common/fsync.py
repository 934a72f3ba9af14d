"""fsync by path: a file's data, or a directory's entries after a rename or an unlink."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_path(path: Path | str) -> None:
    """fsync ``path`` (a file or a directory); raises OSError as open and fsync do."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
