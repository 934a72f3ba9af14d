"""Prometheus metrics: one list of families, two outputs.

:func:`write_textfile` renders the text exposition format itself (no import of
prometheus_client on the cron path) and replaces the file atomically, as
node_exporter's textfile collector expects; :func:`serve` exposes the same
families over HTTP with prometheus_client.
"""

from __future__ import annotations

import math
import os
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.config import Section

# The default ports of ``metrics serve``, one per role: the example configs, the units and the CLI use these.
NAS_PORT = 9841
PLOTTER_PORT = 9842


@dataclass(frozen=True)
class MetricsConfig:
    textfile: Path | None = None
    bind: str = "0.0.0.0"
    port: int | None = None  # None: the role's default


def parse_metrics(sec: Section) -> MetricsConfig:
    textfile = sec.opt_path("textfile")
    if textfile is not None and not textfile.name.endswith(".prom"):
        raise sec.error("textfile", "must end in .prom (node_exporter's textfile collector reads only those)")
    port = sec.get_int("port", 0, low=1, high=65535, zero="the role's default")
    cfg = MetricsConfig(textfile=textfile, bind=sec.get_host("bind", "0.0.0.0"), port=port or None)
    sec.finish()
    return cfg


@dataclass(frozen=True)
class Sample:
    labels: tuple[tuple[str, str], ...]
    value: float


@dataclass(frozen=True)
class Family:
    """A metric family; counters are named without ``_total`` (added on output)."""

    name: str
    help: str
    type: str = "gauge"  # gauge | counter
    samples: tuple[Sample, ...] = field(default=())

    @property
    def sample_name(self) -> str:
        return f"{self.name}_total" if self.type == "counter" else self.name


def gauge(name: str, help_text: str, samples: Sequence[tuple[dict[str, str], float | None]]) -> Family:
    """A gauge family; samples whose value is None (unknown) are left out."""
    return Family(name, help_text, "gauge", _samples(samples))


def counter(name: str, help_text: str, samples: Sequence[tuple[dict[str, str], float | None]]) -> Family:
    return Family(name, help_text, "counter", _samples(samples))


def _samples(samples: Sequence[tuple[dict[str, str], float | None]]) -> tuple[Sample, ...]:
    return tuple(Sample(tuple(sorted(labels.items())), float(value)) for labels, value in samples
                 if value is not None)


def render(families: Sequence[Family]) -> str:
    """Text exposition format 0.0.4. Pure."""
    lines: list[str] = []
    for fam in families:
        name = fam.sample_name
        lines.append(f"# HELP {name} {_escape_help(fam.help)}")
        lines.append(f"# TYPE {name} {fam.type}")
        for sample in fam.samples:
            labels = ",".join(f'{k}="{_escape_label(v)}"' for k, v in sample.labels)
            value = _number(sample.value)
            lines.append(f"{name}{{{labels}}} {value}" if labels else f"{name} {value}")
    return "\n".join(lines) + "\n"


def _escape_help(text: str) -> str:
    return text.replace("\\", r"\\").replace("\n", r"\n")


def _escape_label(text: str) -> str:
    return text.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


def write_textfile(path: Path, families: Sequence[Family]) -> None:
    """Replace ``path`` atomically: a scrape never sees a half-written file."""
    data = render(families).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # node_exporter usually runs as another user
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass  # already renamed or never created
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def serve(bind: str, port: int, collect: Callable[[], Sequence[Family]], stop: threading.Event) -> int:
    """Serve ``collect()`` (called on every scrape) until ``stop`` is set."""
    from prometheus_client import CollectorRegistry, start_http_server

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(collect))
    server, thread = start_http_server(port, addr=bind, registry=registry)
    try:
        stop.wait()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    return 0


class _Collector:
    def __init__(self, collect: Callable[[], Sequence[Family]]) -> None:
        self._collect = collect

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        for fam in self._collect():
            kind = CounterMetricFamily if fam.type == "counter" else GaugeMetricFamily
            names = [k for k, _ in fam.samples[0].labels] if fam.samples else []
            out = kind(fam.name, fam.help, labels=names)
            for sample in fam.samples:
                out.add_metric([v for _, v in sample.labels], sample.value)
            yield out
