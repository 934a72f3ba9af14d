"""Files that ship with the code: mail templates, cron files, systemd units, the Grafana dashboard.

In the checkout they are the top-level ``templates/``, ``cron/``, ``systemd/`` and ``grafana/``
(the layout people read); ``setup.py`` maps each into this package as ``common/assets/<kind>/``,
so a wheel carries them into any venv, pipx or ``--user`` install. Read them only through
:func:`asset_dir`, never through ``sys.prefix`` or the current directory.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from common.errors import AssetError

KINDS = ("templates", "cron", "systemd", "grafana")


def asset_dir(kind: str) -> Path:
    """The directory of one kind of shipped file; a missing one is an :class:`AssetError`."""
    if kind not in KINDS:
        raise ValueError(kind)
    installed = files(__name__) / kind
    # An editable install or a plain checkout has them beside the packages, not inside.
    for candidate in (Path(str(installed)), Path(__file__).resolve().parents[2] / kind):
        if candidate.is_dir():
            return candidate
    raise AssetError(f"the {kind} shipped with plotyard are missing (looked in {installed}); "
                     f"reinstall plotyard")


def asset_file(kind: str, name: str) -> Path:
    path = asset_dir(kind) / name
    if not path.is_file():
        raise AssetError(f"{name} is missing from the {kind} shipped with plotyard ({path.parent}); "
                         f"reinstall plotyard")
    return path
