"""What the chia harvester on this NAS says it farms (I/O edge): its settings from the chia root's
``config/config.yaml`` and its RPC (``get_plots``, ``get_plot_directories``), with mutual TLS as
the harvester itself (``config/ssl/harvester/private_harvester.crt``/``.key``, the root's private CA)
through :mod:`nas.replot.node`'s client.

The rescan timing is chia-blockchain 2.7.5's (``chia/plotting/manager.py``, ``harvester.py``): the
plot manager rescans the ``plot_directories`` every ``plots_refresh_parameter.interval_seconds``
(default 120; the deprecated ``plot_loading_frequency_seconds`` is read first and the new section
wins) and retries a file that failed to open only after ``retry_invalid_seconds`` (default 1200).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from common.errors import ConfigError, ConnectError
from nas.replot.node import NodeError, answer, call, tls_context

DEFAULT_PORT = 8560
DEFAULT_INTERVAL = 120
DEFAULT_RETRY = 1200
MAX_ANSWER = 256 << 20  # get_plots of a large harvester: a few hundred bytes per plot
TIMEOUT = 30.0


class HarvesterUnreachable(ConnectError):
    """The harvester's RPC did not answer (not running, refused the TLS, odd answer)."""


@dataclass(frozen=True)
class HarvesterConf:
    host: str
    port: int
    interval: float  # seconds between rescans of the plot directories
    retry_invalid: float  # seconds before a plot that failed to open is tried again
    recursive: bool  # recursive_plot_scan: a drive below a plot directory is scanned too
    cert: Path
    key: Path
    ca: Path

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"


@dataclass(frozen=True)
class Harvest:
    """The harvester's answer: absolute paths as it reports them."""

    farmed: tuple[str, ...]
    failed: tuple[str, ...]  # failed_to_open_filenames
    no_key: tuple[str, ...]  # its get_plots says not_found_filenames: the plot manager's no_key_filenames
    directories: tuple[str, ...]


def read_conf(root: Path) -> HarvesterConf:
    """The harvester's RPC address and rescan timing; a bad config.yaml is a config error naming the key."""
    path = root / "config" / "config.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the chia config ([chia] root): {str(exc).splitlines()[0]}") from None
    top = data if isinstance(data, dict) else {}
    harvester = _section(path, top, "harvester")
    refresh = _section(path, harvester, "plots_refresh_parameter")
    legacy = _int(path, harvester, "plot_loading_frequency_seconds", DEFAULT_INTERVAL, "harvester", 1, 86400)
    ssl = _section(path, harvester, "ssl")
    ca = _section(path, top, "private_ssl_ca")
    return HarvesterConf(
        host=str(top.get("self_hostname") or "localhost"),
        port=_int(path, harvester, "rpc_port", DEFAULT_PORT, "harvester", 1, 65535),
        interval=_int(path, refresh, "interval_seconds", legacy, "harvester.plots_refresh_parameter", 1, 86400),
        retry_invalid=_int(path, refresh, "retry_invalid_seconds", DEFAULT_RETRY,
                           "harvester.plots_refresh_parameter", 0, 30 * 86400),
        recursive=harvester.get("recursive_plot_scan") is True,
        cert=Path(str(ssl.get("private_crt") or "config/ssl/harvester/private_harvester.crt")),
        key=Path(str(ssl.get("private_key") or "config/ssl/harvester/private_harvester.key")),
        ca=Path(str(ca.get("crt") or "config/ssl/ca/private_ca.crt")),
    )


def _section(path: Path, data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: {key} is not a mapping")
    return value


def _int(path: Path, data: dict[str, Any], key: str, default: int, where: str, low: int, high: int) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ConfigError(f"{path}: {where}.{key} = {str(value)[:20]!r} is not a whole number {low}-{high}")
    return value


def ask(root: Path, conf: HarvesterConf, timeout: float = TIMEOUT) -> Harvest:
    """``get_plots`` and ``get_plot_directories``; :class:`HarvesterUnreachable` says why not."""
    where = f"harvester {conf.url}"
    try:
        ctx = tls_context(root, conf.cert, conf.key, "harvester", conf.ca)
        plots = answer(where, call(where, conf.host, conf.port, "get_plots", ctx, {}, timeout, MAX_ANSWER))
        dirs = answer(where, call(where, conf.host, conf.port, "get_plot_directories", ctx, {}, timeout))
        return Harvest(farmed=tuple(_str(where, p.get("filename") if isinstance(p, dict) else None)
                                    for p in _list(where, plots, "plots")),
                       failed=tuple(_str(where, f) for f in _list(where, plots, "failed_to_open_filenames")),
                       no_key=tuple(_str(where, f) for f in _list(where, plots, "not_found_filenames")),
                       directories=tuple(_str(where, d) for d in _list(where, dirs, "directories")))
    except NodeError as exc:
        raise HarvesterUnreachable(exc.message) from None


def _list(where: str, data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise NodeError(f"{where}: no {key} list in its answer")
    return value


def _str(where: str, value: object) -> str:
    if not isinstance(value, str) or not value.startswith("/"):
        raise NodeError(f"{where}: {str(value)[:80]!r} is not an absolute path")
    return value
