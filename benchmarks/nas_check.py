"""NAS check benchmark: ``check`` and ``status --json`` on 60 drives x 100 plots, SMART cached.

Drives are plain directories (require_mount = false); plots are sparse files with
valid names and a k32 size (nothing reads their contents). Each drive has a
[drive] section with a device, and a fresh SMART reading sits in the cache, as
after the cron ``check`` of a minute ago. Figures: in-process time of one call
(median of ``--repeat``) and wall time of the command as cron runs it (a new
Python process each time).

    python benchmarks/nas_check.py [--drives 60] [--plots 100] [--repeat 5]

``--pos2`` makes every plot a 1 GB k28 ``.gplot`` instead (sparse, a valid 51-byte header: its
group size and meta group are all the NAS reads), the replot's files: at 18 TB a drive, about
18,000 of them (``--drives 20 --plots 18000 --pos2``). ``--drop-caches`` (root) empties the page
cache before each call, as on a NAS whose memory went to the plots it received meanwhile.

With ``--cold-sas SECONDS`` it measures instead the SMART refresh from a cold cache:
every drive is the recorded SAS disk (tests/data/smart/sas_hdd, replayed by
tests/nas/fake_smartctl.py, each call taking SECONDS), and ``check`` runs as a
command, back to back, until every disk has been read once. Figures per run:
wall time, disks read, smartctl calls per disk, most calls at the same moment.

    python benchmarks/nas_check.py --cold-sas 2 [--drives 60] [--plots 0]
"""

from __future__ import annotations

import argparse
import io
import logging
import secrets
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nas import config as nas_config  # noqa: E402
from nas.cli.commands import run  # noqa: E402
from nas.drives.smart import cache_key  # noqa: E402
from nas.model import SmartInfo, SmartStatus  # noqa: E402
from nas.monitor.check import collect, run_check  # noqa: E402
from nas.monitor.status import to_json  # noqa: E402
from nas.state import Store  # noqa: E402

FAKE_SMARTCTL = ROOT / "tests" / "nas" / "fake_smartctl.py"
SMART_DATA = ROOT / "tests" / "data" / "smart"

PLOT_SIZE = 108_837_150_720  # a typical k32 file; sparse here
GPLOT_SIZE = 1_000_000_000  # a k28 group of one plot, as measured from a real one
TIMEOUT = 300


def build(root: Path, drives: int, plots: int, smart: str = "", pos2: bool = False) -> Path:
    sections = []
    for i in range(drives):
        drive = root / "enclosure0" / f"column{i // 15}" / f"drive{i}"
        drive.mkdir(parents=True)
        for n in range(plots):
            if pos2:
                _gplot(drive, n % 256)
                continue
            with open(drive / f"plot-k32-2023-05-01-10-00-{secrets.token_hex(32)}.plot", "wb") as handle:
                handle.truncate(PLOT_SIZE)
        sections.append(f"[drive {drive}]\ndevice = /dev/sd{_letters(i)}\nsmart_type = {'scsi' if smart else 'sat'}\n")
    ini = root / "nas.ini"
    ini.write_text(f"[nas]\ndrive_globs = {root}/enclosure0/*/drive*\nrequire_mount = false\n"
                   f"state_dir = {root / 'state'}\nreserve = 0\n[smart]\n{smart or 'interval = 1d'}\n"
                   "[alerts]\nlow_water_plots = 0\nno_plot_hours = 0\n" + "".join(sections))
    return ini


def _gplot(drive: Path, meta_group: int) -> None:
    group_id = secrets.token_bytes(32)
    head = b"PoS2" + bytes([2]) + group_id + bytes([28, 2]) + struct.pack("<HBQ", 1, meta_group, GPLOT_SIZE - 64)
    with open(drive / f"plot-k28-{group_id.hex()}.gplot", "wb") as handle:
        handle.write(head + bytes([0]))
        handle.truncate(GPLOT_SIZE)


def drop_caches() -> None:
    subprocess.run(["sync"], check=True, timeout=TIMEOUT)
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def _letters(i: int) -> str:
    return ("" if i < 26 else chr(ord("a") + i // 26 - 1)) + chr(ord("a") + i % 26)


def warm_smart_cache(cfg: nas_config.NasConfig) -> None:
    now = time.time()
    with Store(cfg.nas.state_dir) as store:
        for i, override in enumerate(cfg.drives):
            info = SmartInfo(device=override.device, status=SmartStatus.OK, read_at=now, model="ST18000NM000J",
                             serial=f"ZR{i:06d}", capacity=18_000_207_937_536, interface="sat",
                             temperature=30 + i % 15, health="PASS", power_on_hours=12000,
                             reallocated=0, pending=0, offline_uncorrectable=0)
            store.put_smart(cache_key(override.device or "", override.smart_type), now, info)


def timed(call: Callable[[], object], repeat: int, cold: bool = False) -> float:
    runs = []
    for _ in range(repeat):
        if cold:
            drop_caches()
        start = time.perf_counter()
        call()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def status_json(cfg: nas_config.NasConfig) -> str:
    with Store(cfg.nas.state_dir) as store:
        return to_json(collect(cfg, store, time.time(), store.load_check_state()))


def cli_seconds(ini: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "nas", "-q", "--config", str(ini), *args], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=TIMEOUT)


def fake_sas_smartctl(root: Path, drives: int) -> tuple[Path, Path]:
    """A smartctl replaying the recorded SAS disk for /dev/sda.. (the wrapper and its state dir)."""
    state = root / "smartctl-state"
    state.mkdir()
    (state / "aliases").write_text("".join(f"/dev/sd{_letters(i)} /dev/sdc\n" for i in range(drives)))
    wrapper = root / "smartctl"
    wrapper.write_text(f"#!/bin/sh\nFAKE_SMARTCTL_DATA='{SMART_DATA}' FAKE_SMARTCTL_STATE='{state}' "
                       f"exec '{sys.executable}' -I -S '{FAKE_SMARTCTL}' \"$@\"\n")
    wrapper.chmod(0o755)
    return wrapper, state


def most_at_once(spans: list[list[float]]) -> int:
    edges = sorted([(s[0], 1) for s in spans] + [(s[1], -1) for s in spans])
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


def cold_sas(drives: int, plots: int, delay: float) -> int:
    import json
    import os

    with tempfile.TemporaryDirectory(prefix="nas-check-cold-") as tmp:
        root = Path(tmp)
        smartctl, state = fake_sas_smartctl(root, drives)
        ini = build(root, drives, plots, smart=f"smartctl = {smartctl}\ninterval = 10m")
        env = {**os.environ, "FAKE_SMARTCTL_DELAY": str(delay)}
        print(f"{drives} SAS drives, cold SMART cache, smartctl {delay:g} s a call; check as a command, back to back:")
        seen: set[str] = set()
        for run in range(1, drives + 1):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "nas", "-q", "--config", str(ini), "check"], check=True,
                           cwd=ROOT, env=env, timeout=TIMEOUT)
            wall = time.perf_counter() - start
            calls = [json.loads(line) for line in (state / "calls.log").read_text().splitlines()]
            spans = [json.loads(line) for line in (state / "spans.log").read_text().splitlines()]
            (state / "calls.log").unlink()
            (state / "spans.log").unlink()
            per_disk = {c[-1]: sum(1 for d in calls if d[-1] == c[-1]) for c in calls}
            seen |= per_disk.keys()
            print(f"  run {run}: {wall:5.1f} s, {len(per_disk)} disks read, "
                  f"{len(calls) / max(1, len(per_disk)):.1f} smartctl calls per disk, "
                  f"{most_at_once(spans)} calls at once; {len(seen)}/{drives} disks read so far")
            if len(seen) >= drives:
                return 0
    return 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drives", type=int, default=60)
    parser.add_argument("--plots", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cold-sas", type=float, metavar="SECONDS", help="SMART cold-cache mode (see above)")
    parser.add_argument("--pos2", action="store_true", help="1 GB k28 .gplot files instead of k32 plots")
    parser.add_argument("--drop-caches", action="store_true", help="an empty page cache before each call (root)")
    args = parser.parse_args()
    if args.cold_sas is not None:
        return cold_sas(args.drives, args.plots, args.cold_sas)
    logging.basicConfig(level=logging.ERROR)  # the check's own warnings (e.g. "all full") are not the point
    with tempfile.TemporaryDirectory(prefix="nas-check-bench-") as tmp:
        made = time.perf_counter()
        ini = build(Path(tmp), args.drives, args.plots, pos2=args.pos2)
        made = time.perf_counter() - made
        cfg = nas_config.load(ini)
        warm_smart_cache(cfg)
        first = time.perf_counter()
        run_check(cfg)  # the previous minute's check: state to compare with
        first = time.perf_counter() - first
        cold = args.drop_caches
        with redirect_stdout(io.StringIO()):  # the command handlers, exactly as the CLI calls them
            check = timed(lambda: run(cfg, argparse.Namespace(command="check")), args.repeat, cold)
            status = timed(lambda: run(cfg, argparse.Namespace(command="status", json=True)), args.repeat, cold)
        size = len(status_json(cfg))
        check_cli = timed(lambda: cli_seconds(ini, "check"), args.repeat, cold)
        status_cli = timed(lambda: cli_seconds(ini, "status", "--json"), args.repeat, cold)
    kind = "1 GB .gplot files" if args.pos2 else "k32 plots"
    print(f"{args.drives} drives x {args.plots} {kind}, SMART cached, page cache "
          f"{'dropped before each call' if cold else 'warm'} (median of {args.repeat}; made in {made:.0f} s, "
          f"first check {first:.1f} s):")
    print(f"  check          in-process {check * 1000:7.1f} ms   as a command {check_cli * 1000:7.1f} ms")
    print(f"  status --json  in-process {status * 1000:7.1f} ms   as a command {status_cli * 1000:7.1f} ms"
          f"   ({size // 1024} KiB of JSON)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
