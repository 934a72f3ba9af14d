"""NAS check benchmark: ``check`` and ``status --json`` on 60 drives x 100 plots, SMART cached.

Drives are plain directories (require_mount = false); plots are sparse files with
valid names and a k32 size (nothing reads their contents). Each drive has a
[drive] section with a device, and a fresh SMART reading sits in the cache, as
after the cron ``check`` of a minute ago. Figures: in-process time of one call
(median of ``--repeat``) and wall time of the command as cron runs it (a new
Python process each time).

    python benchmarks/nas_check.py [--drives 60] [--plots 100] [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import logging
import secrets
import statistics
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
from nas.check import collect, run_check  # noqa: E402
from nas.commands import run  # noqa: E402
from nas.model import SMART_OK, SmartInfo  # noqa: E402
from nas.smart import cache_key  # noqa: E402
from nas.state import Store  # noqa: E402
from nas.status import to_json  # noqa: E402

PLOT_SIZE = 108_837_150_720  # a typical k32 file; sparse here
TIMEOUT = 300


def build(root: Path, drives: int, plots: int) -> Path:
    sections = []
    for i in range(drives):
        drive = root / "enclosure0" / f"column{i // 15}" / f"drive{i}"
        drive.mkdir(parents=True)
        for _ in range(plots):
            with open(drive / f"plot-k32-2023-05-01-10-00-{secrets.token_hex(32)}.plot", "wb") as handle:
                handle.truncate(PLOT_SIZE)
        sections.append(f"[drive {drive}]\ndevice = /dev/sd{_letters(i)}\nsmart_type = sat\n")
    ini = root / "nas.ini"
    ini.write_text(f"[nas]\ndrive_globs = {root}/enclosure0/*/drive*\nrequire_mount = false\n"
                   f"state_dir = {root / 'state'}\nreserve = 0\n[smart]\ninterval = 1d\n" + "".join(sections))
    return ini


def _letters(i: int) -> str:
    return ("" if i < 26 else chr(ord("a") + i // 26 - 1)) + chr(ord("a") + i % 26)


def warm_smart_cache(cfg: nas_config.NasConfig) -> None:
    now = time.time()
    with Store(cfg.nas.state_dir) as store:
        for i, override in enumerate(cfg.drives):
            info = SmartInfo(device=override.device, status=SMART_OK, read_at=now, model="ST18000NM000J",
                             serial=f"ZR{i:06d}", capacity=18_000_207_937_536, interface="sat",
                             temperature=30 + i % 15, health="PASS", power_on_hours=12000,
                             reallocated=0, pending=0, offline_uncorrectable=0)
            store.put_smart(cache_key(override.device or "", override.smart_type), now, info)


def timed(call: Callable[[], object], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drives", type=int, default=60)
    parser.add_argument("--plots", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the check's own warnings (e.g. "all full") are not the point
    with tempfile.TemporaryDirectory(prefix="nas-check-bench-") as tmp:
        ini = build(Path(tmp), args.drives, args.plots)
        cfg = nas_config.load(ini)
        warm_smart_cache(cfg)
        run_check(cfg)  # the previous minute's check: state to compare with
        with redirect_stdout(io.StringIO()):  # the command handlers, exactly as the CLI calls them
            check = timed(lambda: run(cfg, argparse.Namespace(command="check")), args.repeat)
            status = timed(lambda: run(cfg, argparse.Namespace(command="status", json=True)), args.repeat)
        size = len(status_json(cfg))
        check_cli = timed(lambda: cli_seconds(ini, "check"), args.repeat)
        status_cli = timed(lambda: cli_seconds(ini, "status", "--json"), args.repeat)
    print(f"{args.drives} drives x {args.plots} plots, SMART cached (median of {args.repeat}):")
    print(f"  check          in-process {check * 1000:7.1f} ms   as a command {check_cli * 1000:7.1f} ms")
    print(f"  status --json  in-process {status * 1000:7.1f} ms   as a command {status_cli * 1000:7.1f} ms"
          f"   ({size // 1024} KiB of JSON)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
