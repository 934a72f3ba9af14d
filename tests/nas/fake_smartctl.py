"""A stand-in ``smartctl`` that replays real recorded outputs (tests/data/smart).

Run through a wrapper script that sets:
  FAKE_SMARTCTL_DATA   directory of recorded cases (one folder per device)
  FAKE_SMARTCTL_STATE  directory with ``standby`` (device paths asleep, one a line),
                       ``aliases`` (optional: "device recorded-device" a line, so that
                       e.g. 60 device paths answer as the one recorded SAS disk),
                       ``calls.log`` (every invocation, as a JSON list per line) and
                       ``spans.log`` (per call: [start, end, device], wall clock)
and, optionally, in the caller's environment:
  FAKE_SMARTCTL_DELAY  seconds each call takes (a slow SAS expander), default 0

Outputs are looked up by their arguments the way pySMART's own test data is
named (``smartctl -d ata --all /dev/sdau`` -> ``_-d_ata_--all__dev_sdau``),
ignoring ``-n <mode>``. A sleeping disk answers ``-n standby`` as smartctl
does (message, exit 2); any other query wakes it, which the log records.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

BANNER = ("smartctl 7.3 2022-02-28 r5338 [x86_64-linux-6.1.0] (local build)\n"
          "Copyright (C) 2002-22, Bruce Allen, Christian Franke, www.smartmontools.org\n\n")
FAILPOWER = 2
FAILDEV = 2


def main(argv: list[str]) -> int:
    state = Path(os.environ["FAKE_SMARTCTL_STATE"])
    data = Path(os.environ["FAKE_SMARTCTL_DATA"])
    start = time.time()
    with open(state / "calls.log", "a", encoding="utf-8") as log:
        log.write(json.dumps(argv) + "\n")
    power, args = _split_power(argv)
    device = args[-1] if args else ""
    time.sleep(float(os.environ.get("FAKE_SMARTCTL_DELAY") or 0))
    try:
        return _answer(state, data, power, args, device)
    finally:
        with open(state / "spans.log", "a", encoding="utf-8") as log:
            log.write(json.dumps([start, time.time(), device]) + "\n")


def _answer(state: Path, data: Path, power: str | None, args: list[str], device: str) -> int:
    asleep = _standby(state)
    if device in asleep and "test" not in args:
        if power == "standby":
            sys.stdout.write(BANNER + "Device is in STANDBY mode, exit(2)\n")
            return FAILPOWER
        _wake(state, asleep, device)
    recorded = _aliases(state).get(device, device)
    return _replay(data, [*args[:-1], recorded] if args else args, recorded)


def _aliases(state: Path) -> dict[str, str]:
    try:
        pairs = [line.split() for line in (state / "aliases").read_text().splitlines() if line.strip()]
    except FileNotFoundError:
        return {}
    return {alias: recorded for alias, recorded in pairs}


def _split_power(argv: list[str]) -> tuple[str | None, list[str]]:
    args, power, i = [], None, 0
    while i < len(argv):
        if argv[i] == "-n" and i + 1 < len(argv):
            power, i = argv[i + 1].split(",")[0], i + 2
            continue
        args.append(argv[i])
        i += 1
    return power, args


def _standby(state: Path) -> set[str]:
    try:
        return {line.strip() for line in (state / "standby").read_text().splitlines() if line.strip()}
    except FileNotFoundError:
        return set()


def _wake(state: Path, asleep: set[str], device: str) -> None:
    (state / "standby").write_text("".join(f"{d}\n" for d in sorted(asleep - {device})))
    with open(state / "woken.log", "a", encoding="utf-8") as log:
        log.write(device + "\n")


def _replay(data: Path, args: list[str], device: str) -> int:
    name = re.sub(r"[/\\:]", "_", "_" + "_".join(args))
    for case in sorted(p for p in data.iterdir() if p.is_dir()):
        recorded = case / name
        if recorded.is_file():
            sys.stdout.write(recorded.read_text(encoding="utf-8", errors="replace"))
            return 0
    sys.stdout.write(BANNER + f"Smartctl open device: {device} failed: No such device\n")
    return FAILDEV


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
