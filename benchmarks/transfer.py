"""Transfer benchmark: this project's verified stream against nc, cp, rsync and mbuffer.

All in one run, on this machine, over loopback, with the same multi-GiB file (random
bytes behind a valid plot header). Every method's time includes an fsync of the copy
(ours fsyncs by itself), and CPU-seconds per GB count both ends. ``dd oflag=direct``
(no network, no hash, one write in flight) shows what the destination disk does.

    python benchmarks/transfer.py --size 8GiB --repeat 5 --dir /var/tmp

Ours pays a fixed cost per plot (starting the NAS-side process, handshake, fsync of
the directory: about 0.3 s here). That is a tenth of a 4 GiB run but under half a
percent of a k32 plot's transfer, so sizes of 8 GiB and up show the steady rate.

Ours runs the product path: ``send_once`` with the local transport, i.e. a real
``drive-manager receive`` subprocess, token, xxh3_128 on both ends, .part + rename.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common.confvalues import PB, parse_size
from common.fsync import fsync_path
from common.plotformat.plotgen import make_plot
from common.transfer.stream import hash_file
from tests.sshd import free_port, is_listening, start_sshd

TIMEOUT = 900
OURS = "ours (xxh3 both ends)"


@dataclass
class Result:
    method: str
    seconds: float
    cpu: float
    ok: bool
    note: str = ""


def _cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def make_source(work: Path, size: int) -> Path:
    """Random data of ``size`` bytes whose first 4 KiB are a real k18 plot's header."""
    real = make_plot(work / "seed", 18)
    header = real.read_bytes()[:4096]
    source = work / "src" / real.name
    source.parent.mkdir(parents=True)
    with open(source, "wb") as out:
        out.write(header)
        left = size - len(header)
        while left > 0:
            n = min(left, 64 * 2**20)
            out.write(os.urandom(n))
            left -= n
    shutil.rmtree(work / "seed")
    return source


def timed(method: str, run: Callable[[], Path], check: Callable[[Path], bool]) -> Result:
    subprocess.run(["sync"], check=True, timeout=TIMEOUT)
    cpu0, t0 = _cpu(), time.monotonic()
    out = run()
    fsync_path(out)
    seconds, cpu = time.monotonic() - t0, _cpu() - cpu0
    ok = check(out)
    out.unlink()
    return Result(method, seconds, cpu, ok)


def run_nc(source: Path, dest: Path) -> Path:
    port = free_port()
    out = dest / "nc.out"
    with open(out, "wb") as sink:
        listener = subprocess.Popen(["nc", "-l", "127.0.0.1", str(port)], stdout=sink)
        _wait_port(port)
        with open(source, "rb") as src:
            subprocess.run(["nc", "-N", "127.0.0.1", str(port)], stdin=src, check=True, timeout=TIMEOUT)
        listener.wait(timeout=TIMEOUT)
    return out


def run_mbuffer(source: Path, dest: Path) -> Path:
    port = free_port()
    out = dest / "mbuffer.out"
    opts = ["-q", "-m", "256M", "-s", "1M"]
    listener = subprocess.Popen(["mbuffer", *opts, "-I", f"127.0.0.1:{port}", "-o", str(out)])
    _wait_port(port)
    subprocess.run(["mbuffer", *opts, "-i", str(source), "-O", f"127.0.0.1:{port}"], check=True, timeout=TIMEOUT)
    listener.wait(timeout=TIMEOUT)
    return out


def run_dd(source: Path, dest: Path) -> Path:
    """No network, no hash: the destination disk's O_DIRECT write speed with one write in
    flight (ours keeps two in flight into a preallocated file, so it can beat this)."""
    out = dest / "dd.out"
    subprocess.run(["dd", f"if={source}", f"of={out}", "bs=8M", "oflag=direct", "conv=fsync", "status=none"],
                   check=True, timeout=TIMEOUT)
    return out


def run_cp(source: Path, dest: Path) -> Path:
    out = dest / "cp.out"
    subprocess.run(["cp", str(source), str(out)], check=True, timeout=TIMEOUT)
    return out


def run_rsync(source: Path, dest: Path, work: Path) -> Path:
    server = start_sshd(Path(tempfile.mkdtemp(prefix="sshd-", dir=work)))
    try:
        out = dest / "rsync.out"
        ssh = " ".join(server.ssh_argv())
        subprocess.run(["rsync", "-e", ssh, str(source), f"127.0.0.1:{out}"], check=True, timeout=TIMEOUT)
        return out
    finally:
        server.stop()


def run_ours(source: Path, dest: Path, work: Path) -> Path:
    from plotter import config as plotter_config
    from plotter.send.runner import send_once

    drive, dst = dest / "drive1", work / "plotter-dst"
    drive.mkdir(exist_ok=True)
    dst.mkdir(exist_ok=True)
    os.link(source, dst / source.name)  # the sender deletes its source: give it a link
    low = free_port()
    (work / "nas.ini").write_text(
        f"[nas]\ndrive_globs = {drive}\nrequire_mount = false\ndata_bind = 127.0.0.1\n"
        f"data_ports = {low}-{low + 10}\nstate_dir = {work / 'nas-state'}\nreserve = 0\n")
    (work / "plotter.ini").write_text(
        f"[plotter]\nplot_dirs = {dst}\nstate_dir = {work / 'plotter-state'}\nmin_plot_age = 0\n\n"
        f"[nas bench]\ntransport = local\ncommand = {sys.executable} -m nas --config {work / 'nas.ini'}\n")
    result = send_once(plotter_config.load(work / "plotter.ini"))
    if result.sent != 1:
        raise RuntimeError("our transfer failed; run with -v")
    return drive / source.name


def _wait_port(port: int) -> None:
    deadline = time.monotonic() + 10
    while not is_listening(port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing listens on {port}")
        time.sleep(0.02)


def report(results: list[Result], size: int) -> None:
    """Median run per method (best-of flatters the noisiest tool, nc)."""
    gb = size / 1e9
    runs: dict[str, list[Result]] = {}
    for r in results:
        runs.setdefault(r.method, []).append(r)
    best = {m: sorted(rs, key=lambda r: r.seconds)[len(rs) // 2] for m, rs in runs.items()}
    best = dict(sorted(best.items(), key=lambda item: -item[1].seconds))
    rate = {m: gb / r.seconds for m, r in best.items()}
    bases = [m for m in ("nc", "mbuffer", "dd") if m in rate]
    print(f"\n{'method':<24}{'GB/s':>8}{'CPU-s/GB':>10}" + "".join(f"{'x ' + b:>11}" for b in bases)
          + "  copy identical")
    for method, r in best.items():
        ratios = "".join(f"{rate[method] / rate[b]:>11.2f}" for b in bases)
        print(f"{method:<24}{rate[method]:>8.2f}{r.cpu / gb:>10.2f}{ratios}  {'yes' if r.ok else 'NO'}")
    ours, nc = runs.get(OURS, []), runs.get("nc", [])
    if ours and len(ours) == len(nc):  # rounds interleave the methods: pair them
        paired = " ".join(f"{n.seconds / o.seconds:.2f}" for o, n in zip(ours, nc, strict=True))
        print(f"\n{OURS} x nc, round by round: {paired}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="2GiB")
    parser.add_argument("--dir", default=None, help="where source and copies live (default: a temp dir)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--only", default="nc,mbuffer,cp,dd,rsync,ours")
    args = parser.parse_args()
    size = parse_size(args.size, low=1, high=PB)
    work = Path(tempfile.mkdtemp(prefix="cpm-bench-", dir=args.dir))
    try:
        source = make_source(work, size)
        expected = hash_file(str(source))
        dest = work / "dest"
        dest.mkdir()

        def same(out: Path) -> bool:
            return hash_file(str(out)) == expected

        methods: dict[str, Callable[[], Path]] = {
            "nc": lambda: run_nc(source, dest),
            "mbuffer": lambda: run_mbuffer(source, dest),
            "cp": lambda: run_cp(source, dest),
            "dd": lambda: run_dd(source, dest),
            "rsync (ssh)": lambda: run_rsync(source, dest, work),
            OURS: lambda: run_ours(source, dest, work),
        }
        wanted = args.only.split(",")
        results = []
        for _ in range(args.repeat):
            for method, run in methods.items():
                tool = method.split(" ")[0]
                if tool not in wanted or (tool != "ours" and not shutil.which(tool)):
                    continue
                r = timed(method, run, same)
                print(f"{method:<24} {size / r.seconds / 1e9:6.2f} GB/s  cpu {r.cpu:6.2f} s  "
                      f"{'ok' if r.ok else 'MISMATCH'}", flush=True)
                results.append(r)
        print(f"\nfile: {size / 2**30:.2f} GiB random with a plot header, on {work} "
              f"({os.cpu_count()} CPUs); median of {args.repeat} runs")
        report(results, size)
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
