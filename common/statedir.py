"""The state dir (sqlite databases, lock files): usable, or one line saying why not.

A state dir on a read-only filesystem, owned by another user, or below a regular
file used to end in a long traceback from whichever module touched it first; now
every role checks it up front and each failure names the path and the reason.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from common.errors import StateDirError


def ensure_state_dir(path: Path, what: str = "state_dir") -> Path:
    """Create ``path`` if missing and prove it writable by creating a file in it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        # A real probe, not os.access: it also catches what access(2) misses (some ACLs, FUSE, quotas).
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise state_dir_error(path, exc, what) from None
    return path


def state_dir_error(path: Path, exc: OSError, what: str = "state_dir") -> StateDirError:
    """One line naming ``path`` and the reason it cannot be used. Pure but for stat calls."""
    if exc.errno == errno.EROFS:
        why = "is on a read-only filesystem"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        why = f"is not writable by this user (uid {os.getuid()})"
    elif exc.errno in (errno.ENOTDIR, errno.EEXIST):
        why = f"cannot be created: {blocking_file(path)} is not a directory"
    else:
        why = f"cannot be used: {exc.strerror or exc}"
    return StateDirError(f"{what} {path} {why}")


def blocking_file(path: Path) -> Path:
    """The first of ``path`` and its parents that exists but is not a directory."""
    for candidate in (path, *path.parents):
        if candidate.exists() and not candidate.is_dir():
            return candidate
    return path
