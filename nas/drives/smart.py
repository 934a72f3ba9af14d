"""SMART readings through pySMART, never waking a sleeping disk (the cache and its
spread refresh are :mod:`nas.drives.smart_refresh`).

Every smartctl call gets ``-n standby``: a disk in standby answers "Device is in
STANDBY mode" without spinning up, and no further call is made for it; its last
reading is kept, marked ``standby``. A disk whose SMART cannot be read is still
a drive: its reading is ``unknown`` with the reason.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import time
import warnings
from dataclasses import replace
from typing import Any

from nas.model import SmartInfo, SmartStatus, unknown_smart
from nas.settings import SmartSettings

log = logging.getLogger(__name__)

SMARTCTL_TIMEOUT = 20.0  # per call; a healthy disk answers in well under a second
# pySMART's names for what smartctl calls scsi and ata. Given "scsi", pySMART probes
# the disk again to tell SAS from SAT (-l sataphy, -l sasphy, a second --all: 8 calls
# per SAS disk instead of 2); given "ata", it asks -l sataphy. What it reads is the same.
PYSMART_NAME = {"scsi": "sas", "ata": "sata"}
SBIN_DIRS = ("/usr/sbin", "/usr/local/sbin", "/sbin")
STANDBY_RE = re.compile(r"Device is in (.+?) mode, exit\(")
# What smartctl says when it cannot do something: "Smartctl open device: /dev/sdq failed: No such device",
# "/dev/sdx: Unable to detect device type", "SMART support is: Unavailable - device lacks SMART capability".
# Not "error" alone: healthy output is full of "Error counter log", "No Errors Logged", "ATA Error Count: 0".
_PROBLEM_RE = re.compile(r"\b(failed|denied|unable|unavailable|lacks|not supported|no such|"
                         r"not permitted|timed? ?out)\b", re.I)
_NOISE_RE = re.compile(r"^(smartctl \d+\.\d+|Copyright \(C\)|Use smartctl -h|Please specify device type|=== )", re.I)
# smartctl's exit status bits 0-2 (man smartctl, EXIT STATUS).
_EXIT_BITS = ("its command line did not parse", "the device could not be opened",
              "a SMART or other command to the disk failed")

Disk = tuple[str, str | None]  # (device, smartctl -d type)


def cache_key(device: str, smart_type: str | None) -> str:
    """Disks behind one RAID controller share a device path and differ by type."""
    return device if not smart_type else f"{device} -d {smart_type}"


def find_smartctl(settings: SmartSettings) -> str | None:
    if settings.smartctl is not None:
        return str(settings.smartctl) if settings.smartctl.is_file() else None
    found = shutil.which("smartctl") or shutil.which("smartctl", path=":".join(SBIN_DIRS))
    return found


def _recorder(path: str, deadline: float | None) -> Any:
    """A pySMART ``Smartctl`` that adds ``-n standby``, times out (by ``deadline`` on the monotonic
    clock at the latest), stops at a sleeping disk, and asks the same question only once."""
    from pySMART.smartctl import Smartctl

    class StandbyAwareSmartctl(Smartctl):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(smartctl_path=path, options=[])
            self.standby: str | None = None
            self.answers: dict[tuple[str, ...], tuple[list[str], int]] = {}  # arguments -> (output lines, exit)

        def _exec(self, cmd: list[str]) -> tuple[list[str], int]:
            if self.standby is not None:
                return [], 1  # asleep: ask nothing more that could wake it
            if (asked := tuple(cmd[1:])) in self.answers:
                return list(self.answers[asked][0]), self.answers[asked][1]
            timeout = SMARTCTL_TIMEOUT if deadline is None else \
                max(1.0, min(SMARTCTL_TIMEOUT, deadline - time.monotonic()))
            proc = subprocess.run([cmd[0], "-n", "standby", *cmd[1:]], capture_output=True,
                                  timeout=timeout, check=False, stdin=subprocess.DEVNULL)
            lines: list[str] = self._decode_output(proc.stdout + proc.stderr)
            if match := STANDBY_RE.search("\n".join(lines)):
                self.standby = match.group(1)
            self.answers[asked] = (list(lines), proc.returncode)
            return lines, proc.returncode

        def main_answer(self) -> tuple[list[str], int]:
            """The answer to the call that identifies the disk (--all, --info, else -d test),
            not to whatever pySMART asked last."""
            asked = next((a for a in self.answers if "--all" in a or "--info" in a), None)
            asked = asked or next(iter(self.answers), None)
            return self.answers[asked] if asked is not None else ([], 0)

    return StandbyAwareSmartctl()


def _detect(recorder: Any, device: str) -> str | None:
    """smartctl's device type (``-d test``), as pySMART finds it when not given one."""
    lines, _ = recorder.generic_call(["-d", "test", device])
    opened = [line for line in lines if "opened" in line and line.count("'") >= 2]
    return opened[-1].split("'")[1] if opened else None


def read_smart(smartctl: str | None, device: str, smart_type: str | None, now: float,
               deadline: float | None = None) -> SmartInfo:
    """Read one disk now (slow: runs smartctl: 1 call for ATA/SAT/NVMe, 2 for SAS, +1 without a type)."""
    if smartctl is None:
        return unknown_smart(device, "smartctl not found (install smartmontools or set [smart] smartctl)")
    from pySMART import Device

    warnings.filterwarnings("ignore", module=r"pySMART(\..*)?")
    recorder = _recorder(smartctl, deadline)
    try:
        kind = smart_type or _detect(recorder, device)
        dev = None if kind is None else Device(device, interface=PYSMART_NAME.get(kind, kind), smartctl=recorder)
    except subprocess.TimeoutExpired as exc:
        return unknown_smart(device, f"smartctl did not answer within {exc.timeout:.0f} s")
    except OSError as exc:
        return unknown_smart(device, f"cannot run {smartctl}: {exc.strerror}")
    except Exception as exc:  # pySMART parses whatever a disk says; a bad answer is not a crash
        return unknown_smart(device, f"cannot read SMART ({type(exc).__name__}: {exc})")
    if recorder.standby is not None:
        return SmartInfo(device=device, status=SmartStatus.STANDBY, reason=f"in {recorder.standby} mode")
    output, status = recorder.main_answer()
    if dev is None:
        return unknown_smart(device, problem(output, status))
    return _from_device(device, dev, kind, output, status, now)


def _from_device(device: str, dev: Any, kind: str | None, output: list[str], status: int, now: float) -> SmartInfo:
    if dev.model is None and dev.serial is None:
        return unknown_smart(device, problem(output, status))
    info = SmartInfo(device=device, status=SmartStatus.OK, read_at=now, model=dev.model, serial=dev.serial,
                     capacity=_capacity(dev), interface=kind, temperature=_temperature(dev),
                     health=dev.assessment)
    info = _with_counters(info, dev)
    if not dev.smart_capable or not dev.smart_enabled:
        return replace(info, status=SmartStatus.UNKNOWN, reason="SMART not available or not enabled on the device")
    return info


def problem(output: list[str], status: int) -> str:
    """Why smartctl gave no model or serial: its own words where it says what failed, else its exit status."""
    lines = [line.strip() for line in output if line.strip() and not _NOISE_RE.match(line.strip())]
    said = next((line for line in lines if _PROBLEM_RE.search(line)), None)
    if said is not None:
        return said
    bits = [why for bit, why in enumerate(_EXIT_BITS) if status & (1 << bit)]
    if bits:
        return f"smartctl exited with status {status}: {', '.join(bits)}"
    return "smartctl reported no model or serial number" if lines else "smartctl gave no answer"


def _capacity(dev: Any) -> int | None:
    try:
        size = int(dev.size)
    except (ValueError, TypeError, ImportError):
        return None
    return size or None


def _temperature(dev: Any) -> int | None:
    value = dev.temperature
    return value if isinstance(value, int) and value > 0 else None  # 0 C: the device has no sensor


def _with_counters(info: SmartInfo, dev: Any) -> SmartInfo:
    from pySMART.interface import AtaAttributes, NvmeAttributes, SCSIAttributes

    attrs = dev.if_attributes
    if isinstance(attrs, AtaAttributes):
        raw = [a.raw_int if a is not None else None for a in attrs.legacyAttributes]
        return replace(info, power_on_hours=raw[9], reallocated=raw[5], pending=raw[197],
                       offline_uncorrectable=raw[198])
    if isinstance(attrs, SCSIAttributes):
        diag = attrs.diagnostics
        return replace(info, power_on_hours=diag.Power_On_Hours, grown_defects=diag.Reallocated_Sector_Ct)
    if isinstance(attrs, NvmeAttributes):
        return replace(info, power_on_hours=attrs.powerOnHours, media_errors=attrs.integrityErrors,
                       percentage_used=attrs.percentageUsed)
    return info


def no_device(reason: str = "no block device behind this mount (set [drive ...] device)") -> SmartInfo:
    return unknown_smart(None, reason)
