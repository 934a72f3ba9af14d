"""nas.ini -> frozen dataclasses. The only place that reads the NAS role's config."""

from __future__ import annotations

import configparser
from dataclasses import dataclass, field
from pathlib import Path

from common.config import Section, check_sections, read_ini, sections_with_prefix
from common.confvalues import GIB, HOUR, KIB, PB
from common.metrics import NAS_PORT
from common.notify.config import ALERTING_SECTIONS, NAS_KINDS, Alerting, example, load_alerting
from nas import settings as nas_settings
from nas.settings import AlertSettings, ChiaSettings, ReplaceSettings, ReplotSettings, SmartSettings

EXAMPLE = """\
# drive-manager (NAS role) configuration.
[nas]
# Drive mount points, comma or newline separated globs.
drive_globs = /mnt/enclosure*/*/column*/drive*
# true: a path that is not a mount point is never a drive (a missing disk must
# not turn into a folder on the root filesystem). false: plain directories count.
require_mount = true
# Where the receiver listens for plot data, and on which ports.
data_bind = 0.0.0.0
data_ports = 4040-4059
state_dir = /var/lib/plotyard
# Kept free on every drive.
reserve = 1GiB
# fill: one drive after the other in natural order; spread: most free first.
policy = fill
# Allocate the whole plot before receiving (no fragmentation, no ENOSPC mid-stream; not in RAM);
# while [replace] makes room, only the room that exists, extended as plots go.
preallocate = true
# Write with O_DIRECT where the filesystem allows (keeps the page cache for farming).
direct_io = true
# Seconds from offering the data port until the plotter's connection has sent its token: a hard
# limit, whatever else connects (the drive stays locked no longer).
accept_timeout = 30
# Size of each of the 4 receive buffers (a multiple of 4096; smaller for low-memory NAS boxes).
buffer_size = 8MiB
# How long a drive and meta group placed for a PoS2 group (meta_group = auto) stay reserved when
# the group does not arrive (60 s .. 30 days; e.g. 6h, 2d).
placement_ttl = 6h

# Optional per-drive settings, one section per mount point:
# [drive /mnt/enclosure1/front/column0/drive3]
# SMART device (default: from the mount table, partition stripped) and smartctl -d
# type for disks behind HBAs/RAID controllers (sat, scsi, nvme, megaraid,3, ...).
# device = /dev/sdd
# smart_type = sat
# Never receive on this drive (also: `drive-manager drive offline`, or a file
# named .plotyard-offline at the drive root).
# offline = false
# At most this many bytes of plots on this drive (for a disk shared with other data).
# quota = 2TiB
""" + nas_settings.EXAMPLE + example(NAS_KINDS, NAS_PORT)


@dataclass(frozen=True)
class DriveOverride:
    mountpoint: Path
    device: str | None
    smart_type: str | None
    offline: bool
    quota: int  # 0 = the whole filesystem


@dataclass(frozen=True)
class NasSettings:
    drive_globs: tuple[str, ...]
    require_mount: bool
    data_bind: str
    data_ports: tuple[int, int]
    state_dir: Path
    reserve: int
    policy: str
    preallocate: bool
    direct_io: bool
    accept_timeout: float
    buffer_size: int
    placement_ttl: float = 6 * HOUR


@dataclass(frozen=True)
class NasConfig:
    path: Path
    nas: NasSettings
    drives: tuple[DriveOverride, ...]
    smart: SmartSettings = field(default_factory=SmartSettings)
    replace: ReplaceSettings = field(default_factory=ReplaceSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    replot: ReplotSettings = field(default_factory=ReplotSettings)
    chia: ChiaSettings = field(default_factory=ChiaSettings)
    alerting: Alerting = field(default_factory=Alerting)  # [notify] [email] ... [sentry] [metrics]


KNOWN_SECTIONS = {"nas", "drive", "smart", "replace", "replot", "chia", "alerts", *ALERTING_SECTIONS}


def load(path: Path) -> NasConfig:
    parser = read_ini(path)
    check_sections(path, parser, KNOWN_SECTIONS)
    alerts_sec = Section(path, parser, "alerts")
    alerts = nas_settings.parse_alerts(alerts_sec)
    alerts_sec.finish()  # after every reader of [alerts]: an unknown key there is a typo
    chia_sec = Section(path, parser, "chia")
    chia = nas_settings.parse_chia(chia_sec)
    replot = nas_settings.with_chia_root(nas_settings.parse_replot(Section(path, parser, "replot")), chia,
                                         chia_sec.present)
    return NasConfig(path=path, nas=_nas(Section(path, parser, "nas")), drives=_drives(path, parser),
                     smart=nas_settings.parse_smart(Section(path, parser, "smart")),
                     replace=nas_settings.parse_replace(Section(path, parser, "replace")), alerts=alerts,
                     replot=replot, chia=chia,
                     alerting=load_alerting(path, parser, NAS_KINDS))


def _nas(sec: Section) -> NasSettings:
    if not sec.present:
        raise sec.error(None, "section missing (required)")
    settings = NasSettings(
        drive_globs=sec.get_list("drive_globs"),
        require_mount=sec.get_bool("require_mount", True),
        data_bind=sec.get_host("data_bind", "0.0.0.0"),
        data_ports=sec.get_ports("data_ports", (4040, 4059)),
        state_dir=sec.get_path("state_dir", Path("/var/lib/plotyard")),
        reserve=sec.get_size("reserve", GIB, low=0, high=PB),
        policy=sec.get_choice("policy", ("fill", "spread"), "fill"),
        preallocate=sec.get_bool("preallocate", True),
        direct_io=sec.get_bool("direct_io", True),
        accept_timeout=sec.get_duration("accept_timeout", 30.0, low=1, high=HOUR),
        buffer_size=sec.get_size("buffer_size", 8 * 1024**2, low=4 * KIB, high=GIB),
        placement_ttl=sec.get_duration("placement_ttl", 6 * HOUR, low=60, high=30 * 24 * HOUR),
    )
    if settings.buffer_size < 4096 or settings.buffer_size % 4096:
        raise sec.error("buffer_size", "must be a multiple of 4096 bytes (O_DIRECT alignment), e.g. 8MiB")
    sec.finish()
    return settings


def _drives(path: Path, parser: configparser.ConfigParser) -> tuple[DriveOverride, ...]:
    result = []
    for name, arg in sections_with_prefix(parser, "drive"):
        sec = Section(path, parser, name)
        if not arg.startswith("/"):
            raise sec.error(None, "a [drive ...] section must name an absolute mount point")
        result.append(DriveOverride(
            mountpoint=Path(arg),
            device=sec.opt_str("device"),
            smart_type=sec.opt_str("smart_type"),
            offline=sec.get_bool("offline", False),
            quota=sec.get_size("quota", 0, low=0, high=PB),
        ))
        sec.finish()
    return tuple(result)
