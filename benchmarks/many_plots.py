"""Many-plots benchmark (issue 18): this project's ``send --once`` against madMAx's
``chia_plot_copy -d`` -> ``chia_plot_sink``, the original ssh + nc flow, and ``dd conv=fsync``.

One run, rounds interleaved (each round runs every method on every workload), each method's
time ending after ``sync``. Plot dir and NAS "drives" live under ``--dir`` (default /dev/shm,
a tmpfs: the disk is out of the way). Workloads: ``--plots`` PoS2 stand-ins of ``--size``
(a valid ``PoS2`` group header under a ``.gplot`` name, its group size making the size plausible,
then random bytes), ``--k18`` real chiapos
k18 plots (made once, cached), and one file per ``--large`` size (the stream-rate reference
for the fixed cost per plot). ``--before DIR`` adds method ``before-ssh``: another checkout's plotter
and NAS (``git archive REV | tar -x -C DIR``), over the same sshd, in the same rounds. Method
``ours-watch`` is ``send --watch`` with its session already open, as a GPU plotter's is (and as the
sink's daemon is already running): its clock runs from the plots' appearing to their sources' deletion.

    python benchmarks/many_plots.py --size 1GB --plots 5 --k18 50 --large 3GiB --rounds 2

The sink is built from its source (never part of this repository) into the cache dir:
``--sink-src DIR`` or ``PLOTYARD_BENCH_SINK_SRC``, a checkout of
https://github.com/madMAx43v3r/chia-plot-sink (``git clone`` it; needs cmake, g++, OpenMP).
Without it the sink method is skipped, and said so.
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.benchfiles import build_sink, k18_plots, pos2_standin
from benchmarks.benchtable import Run, markdown, rows
from common.confvalues import PB, parse_size
from common.transfer.stream import hash_file
from tests.sshd import LocalSshd, free_port, is_listening, start_sshd

TIMEOUT = 900
METHODS = ("ours-local", "ours-ssh", "ours-watch", "before-ssh", "sink", "nc-ssh", "dd")
WARM_SIZE = 32 * 2**20  # ours-watch's warm-up plot: it opens the session before the clock starts
BLOCK = 64 * 2**20


@dataclass
class Bench:
    work: Path
    plot_dir: Path
    drives: list[Path]
    parallel: int
    sshd: LocalSshd | None
    sink_bin: Path | None
    preallocate: bool = True
    before: Path | None = None  # another checkout of plotyard: method before-ssh runs its ends

    def cpu_log(self) -> Path:
        return self.work / "recv-cpu.log"


def _wait4(proc: subprocess.Popen[bytes]) -> float:
    """Wait for ``proc`` and return its CPU seconds (its reaped descendants included)."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime


def _run(argv: list[str], **kw: object) -> float:
    proc = subprocess.Popen(argv, **kw)  # type: ignore[call-overload]
    cpu = _wait4(proc)
    if proc.returncode:
        raise RuntimeError(f"{argv[0]} exited {proc.returncode}")
    return cpu


def _wait_port(port: int) -> None:
    deadline = time.monotonic() + 10
    while not is_listening(port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing listens on {port}")
        time.sleep(0.01)


def _logged_cpu(log: Path) -> float:
    """The sum of ``user sys`` lines GNU time appended for each NAS-side process."""
    if not log.exists():
        return 0.0
    total = sum(float(w) for line in log.read_text().splitlines() for w in line.split()[:2]
                if line and line[0].isdigit())
    log.unlink()
    return total


def _without_chia_rs(b: Bench, code: Path | None = None) -> str:
    """A PYTHONPATH that hides chia_rs from plotyard's processes. The PoS2 stand-ins are random bytes
    behind a real group header, which chia_rs cannot decode: hidden, the checks are the header and
    size checks, as on a NAS without chia_rs (plotformat.library)."""
    shim = b.work / "no-chia-rs" / "chia_rs"
    shim.mkdir(parents=True, exist_ok=True)
    (shim / "__init__.py").write_text('raise ImportError("hidden by benchmarks/many_plots.py")\n')
    return os.pathsep.join(filter(None, [str(shim.parent), str(code or ""), os.environ.get("PYTHONPATH")]))


def _timed_nas_command(b: Bench, code: Path | None) -> str:
    return (f"/usr/bin/env PYTHONPATH={_without_chia_rs(b, code)} "
            f"/usr/bin/time -a -o {b.cpu_log()} -f '%U %S' "
            f"{sys.executable} -m nas --config {b.work / 'nas.ini'}")


def _write_configs(b: Bench, ssh: bool, code: Path | None, poll: float = 5.0) -> None:
    """A fresh NAS (the same names again) and a plotter sending to it."""
    for d in ("nas-state", "plotter-state"):
        shutil.rmtree(b.work / d, ignore_errors=True)  # a fresh NAS: the same names again
    low = free_port()
    (b.work / "nas.ini").write_text(
        f"[nas]\ndrive_globs = {', '.join(map(str, b.drives))}\nrequire_mount = false\ndata_bind = 127.0.0.1\n"
        f"data_ports = {low}-{low + 20}\nstate_dir = {b.work / 'nas-state'}\nreserve = 0\n"
        f"preallocate = {'true' if b.preallocate else 'false'}\n")
    if ssh:
        assert b.sshd is not None
        nas = (f"transport = ssh\nhost = 127.0.0.1\nport = {b.sshd.port}\nuser = {b.sshd.user}\n"
               f"identity_file = {b.sshd.client_key}\nknown_hosts = {b.sshd.known_hosts}\n")
    else:
        nas = "transport = local\n"
    (b.work / "plotter.ini").write_text(
        f"[plotter]\nplot_dirs = {b.plot_dir}\nstate_dir = {b.work / 'plotter-state'}\nmin_plot_age = 0\n"
        f"max_parallel = {b.parallel}\npoll_interval = {poll}\n\n[nas bench]\n{nas}"
        f"command = {_timed_nas_command(b, code)}\n")


def run_ours(b: Bench, sources: list[Path], ssh: bool, code: Path | None = None) -> tuple[float, float | None]:
    """This checkout's ``send --once``; ``code``: another checkout's plotter and NAS instead."""
    _write_configs(b, ssh, code)
    log_path = b.work / "ours.log"  # this run's only
    with open(log_path, "wb") as log:
        try:
            both = _run([sys.executable, "-m", "plotter", "--config", str(b.work / "plotter.ini"),
                         "send", "--once"],
                        stdout=log, stderr=log, env=dict(os.environ, PYTHONPATH=_without_chia_rs(b, code)),
                        cwd=code)  # python -m looks in the working directory first
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}: {_tail(log_path)}") from None
    recv = _logged_cpu(b.cpu_log())
    if any(s.exists() for s in sources):  # send --once leaves what it did not send
        raise RuntimeError(f"send --once left {sum(s.exists() for s in sources)} plots: {_tail(log_path)}")
    return (both if ssh else both - recv), recv  # local: the receivers are the sender's children


class WarmWatch:
    """Method ours-watch: a ``send --watch`` whose session is open before the clock starts, as the
    sink's daemon is: a GPU plotter's plots arrive every few seconds, so its session stays warm.
    One warm-up plot opens it; the timed plots then appear at once, and the time ends when the
    last source is gone (deleted after the NAS confirmed its copy). CPU includes the warm-up."""

    def __init__(self, b: Bench) -> None:
        self.b = b
        self.log = b.work / "watch.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        _write_configs(self.b, True, None, poll=0.1)
        warm = pos2_standin(self.b.work, WARM_SIZE, os.urandom(2**20))
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "plotter", "--config", str(self.b.work / "plotter.ini"),
                 "send", "--watch"],
                stdout=log, stderr=log, env=dict(os.environ, PYTHONPATH=_without_chia_rs(self.b)))
        os.rename(warm, self.b.plot_dir / warm.name)
        self.wait_gone([self.b.plot_dir / warm.name])

    def wait_gone(self, sources: list[Path]) -> float:
        assert self.proc is not None
        deadline = time.monotonic() + TIMEOUT
        while any(s.exists() for s in sources):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"send --watch did not send them: {_tail(self.log)}")
            time.sleep(0.002)
        return 0.0

    def stop(self) -> tuple[float, float | None]:
        """Its CPU seconds: the plotter's, and the NAS end's once it has exited (None if it did not)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return 0.0, None
        proc.terminate()
        send = _wait4(proc)
        deadline = time.monotonic() + 10  # the NAS end exits when its session closes
        while not (self.b.cpu_log().exists() and self.b.cpu_log().read_text().strip()):
            if time.monotonic() > deadline:
                return send, None
            time.sleep(0.01)
        return send, _logged_cpu(self.b.cpu_log())


def _tail(log: Path) -> str:
    """The log's last three lines, on one line."""
    return " / ".join(log.read_text(errors="replace").splitlines()[-3:])


def run_sink(b: Bench, sources: list[Path]) -> tuple[float, float | None]:
    assert b.sink_bin is not None
    port = free_port()
    with open(b.work / "sink.log", "ab") as log:
        sink = subprocess.Popen([str(b.sink_bin / "chia_plot_sink"), "-B", "127.0.0.1", "-p",
                                 str(port), "--", *map(str, b.drives)], stdout=log, stderr=log)
        try:
            _wait_port(port)  # starting the daemon is not part of a transfer: it runs all day
            t0 = time.monotonic()
            send = _run([str(b.sink_bin / "chia_plot_copy"), "-t", "127.0.0.1", "-p", str(port),
                         "-d", "--", *map(str, sources)], stdout=log, stderr=log)
            names = {s.name for s in sources}
            while not names <= {p.name for d in b.drives for p in d.iterdir()}:
                if time.monotonic() - t0 > TIMEOUT:
                    raise RuntimeError("the sink did not finish its copies")
                time.sleep(0.002)
        finally:
            sink.terminate()
            recv = _wait4(sink)
    return send, recv


def run_nc_ssh(b: Bench, sources: list[Path]) -> tuple[float, float | None]:
    """The original flow: ssh starts ``nc -l`` on the NAS, nc streams, ssh compares sizes."""
    assert b.sshd is not None
    ssh, send = [*b.sshd.ssh_argv(), "127.0.0.1"], 0.0
    for i, src in enumerate(sources):
        port, out = free_port(), b.drives[i % len(b.drives)] / src.name
        listen = subprocess.Popen([*ssh, f"/usr/bin/time -a -o {b.cpu_log()} -f '%U %S' "
                                   f"nc -l 127.0.0.1 {port} > {out}"], stdin=subprocess.DEVNULL)
        _wait_port(port)
        with open(src, "rb") as data:
            send += _run(["nc", "-N", "127.0.0.1", str(port)], stdin=data)
        send += _wait4(listen)
        size = subprocess.run([*ssh, f"stat -c %s {out}"], capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL, check=True).stdout
        if int(size) != src.stat().st_size:
            raise RuntimeError(f"{out}: size differs")
    return send, _logged_cpu(b.cpu_log())


def run_dd(b: Bench, sources: list[Path]) -> tuple[float, float | None]:
    cpu = 0.0
    for i, src in enumerate(sources):
        out = b.drives[i % len(b.drives)] / src.name
        cpu += _run(["dd", f"if={src}", f"of={out}", "bs=8M", "conv=fsync", "status=none"])
    return cpu, None


def one(b: Bench, method: str, workload: str, masters: list[Path], expected: str) -> Run:
    sources = [b.plot_dir / m.name for m in masters]
    watch = WarmWatch(b)
    runner: dict[str, Callable[[], tuple[float, float | None]]] = {
        "ours-local": lambda: run_ours(b, sources, False), "ours-ssh": lambda: run_ours(b, sources, True),
        "ours-watch": lambda: (watch.wait_gone(sources), None),  # its CPU when it stops
        "before-ssh": lambda: run_ours(b, sources, True, b.before),
        "sink": lambda: run_sink(b, sources), "nc-ssh": lambda: run_nc_ssh(b, sources),
        "dd": lambda: run_dd(b, sources)}
    b.cpu_log().unlink(missing_ok=True)  # a late line of an earlier method's NAS end is not this one's
    t0 = time.monotonic()
    try:
        if method == "ours-watch":
            watch.start()
        for m, s in zip(masters, sources, strict=True):
            os.link(m, s)  # the movers delete their source: give them a link
        os.sync()
        t0 = time.monotonic()
        send, recv = runner[method]()
        os.sync()
        seconds = time.monotonic() - t0
        if method == "ours-watch":
            send, recv = watch.stop()
        copies = {p.name: p for d in b.drives for p in d.iterdir()}
        ok = all(m.name in copies and copies[m.name].stat().st_size == m.stat().st_size for m in masters)
        ok = ok and hash_file(str(copies[masters[0].name])) == expected
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        print(f"{method} on {workload} failed: {exc}", file=sys.stderr)
        seconds, send, recv, ok = time.monotonic() - t0, 0.0, None, False
        watch.stop()
    for d in [b.plot_dir, *b.drives]:
        for p in d.iterdir():
            shutil.rmtree(p) if p.is_dir() else p.unlink()
    nbytes = sum(m.stat().st_size for m in masters)
    return Run(method, workload, len(masters), nbytes, seconds, send, recv, ok)


def workloads(args: argparse.Namespace) -> list[tuple[str, Callable[[Path], list[Path]]]]:
    """Each workload's name and maker of its master files (sources are hard links to them).
    One workload's files exist at a time: a tmpfs holds masters and copies."""
    block = os.urandom(min(BLOCK, max(args.size, *args.large, 1)))
    out: list[tuple[str, Callable[[Path], list[Path]]]] = []
    if args.plots:
        out.append((f"{args.plots} × {args.size / 1e9:.3g} GB PoS2",
                    lambda d: [pos2_standin(d, args.size, block) for _ in range(args.plots)]))
    if args.k18:
        out.append((f"{args.k18} × k18 (~4 MB)", lambda d: k18_plots(args.k18, d)))
    for size in args.large:
        out.append((large_name(size), functools.partial(_one_standin, size=size, block=block)))
    return out


def _one_standin(directory: Path, size: int, block: bytes) -> list[Path]:
    return [pos2_standin(directory, size, block)]


def large_name(size: int) -> str:
    return f"1 × {size / 2**30:.3g} GiB PoS2"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1GB", help="size of each --plots file (default 1GB)")
    parser.add_argument("--plots", type=int, default=5, help="files of --size per round (0: none)")
    parser.add_argument("--k18", type=int, default=0, help="real k18 plots per round (0: none)")
    parser.add_argument("--large", default="", help="comma-separated sizes, one file each (e.g. 3GiB,8GiB)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=1,
                        help="rounds run first and not counted (default 1: on a VM the first writes into memory "
                             "the host has not backed yet cost several times more, whichever method runs first)")
    parser.add_argument("--drives", type=int, default=2, help="NAS drive dirs (default 2)")
    parser.add_argument("--parallel", type=int, default=1, help="ours' max_parallel (default 1, as shipped)")
    parser.add_argument("--dir", default="/dev/shm", help="a tmpfs for plot dir and drives (default /dev/shm)")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--preallocate", choices=("on", "off"), default="on",
                        help="ours' [nas] preallocate (default on, as shipped; the NAS never preallocates on a "
                             "tmpfs, so it matters with --dir on a disk)")
    parser.add_argument("--before", default="",
                        help="another checkout of plotyard (git archive REV | tar -x -C DIR): method before-ssh "
                             "runs its plotter and NAS over the same sshd, in the same rounds")
    parser.add_argument("--sink-src", default=os.environ.get("PLOTYARD_BENCH_SINK_SRC", ""),
                        help="chia-plot-sink source dir (or PLOTYARD_BENCH_SINK_SRC)")
    args = parser.parse_args(argv)
    args.size = parse_size(args.size, low=1, high=PB)
    args.large = [parse_size(s, low=1, high=PB) for s in args.large.split(",") if s]
    args.methods = [m for m in args.methods.split(",") if m]
    if unknown := set(args.methods) - set(METHODS):
        parser.error(f"unknown methods {sorted(unknown)}; known: {', '.join(METHODS)}")
    for name, low in (("plots", 0), ("k18", 0), ("rounds", 1), ("warmup", 0), ("drives", 1), ("parallel", 1)):
        if not low <= getattr(args, name) <= 1000:
            parser.error(f"--{name} must be {low}-1000")
    return args


def setup(args: argparse.Namespace, work: Path) -> Bench:
    methods: list[str] = args.methods
    sink_bin = None
    if "sink" in methods:
        if args.sink_src and (Path(args.sink_src) / "CMakeLists.txt").exists():
            sink_bin = build_sink(Path(args.sink_src))
        else:
            print("sink skipped: no source (git clone https://github.com/madMAx43v3r/chia-plot-sink, then "
                  "--sink-src DIR or PLOTYARD_BENCH_SINK_SRC=DIR)", file=sys.stderr)
            methods.remove("sink")
    before = Path(args.before).resolve() if args.before else None
    if "before-ssh" in methods and not (before and (before / "plotter" / "__main__.py").exists()):
        if args.before:
            print(f"before-ssh skipped: no plotyard checkout at {args.before}", file=sys.stderr)
        methods.remove("before-ssh")
    ssh_methods = {"ours-ssh", "ours-watch", "before-ssh", "nc-ssh"} & set(methods)
    sshd = start_sshd(work / "sshd") if ssh_methods else None
    drives = [work / "drives" / f"drive{i}" for i in range(1, args.drives + 1)]
    for d in [work / "dst", *drives]:
        d.mkdir(parents=True)
    return Bench(work, work / "dst", drives, args.parallel, sshd, sink_bin, args.preallocate == "on", before)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="plotyard-many-", dir=args.dir))
    bench = None
    try:
        bench = setup(args, work)
        results = []
        for name, make in workloads(args):
            master = work / "master"
            master.mkdir()
            files = make(master)
            expected = hash_file(str(files[0]))
            for round_no in range(1 - args.warmup, args.rounds + 1):  # rounds interleave the methods
                for method in args.methods:
                    r = one(bench, method, name, files, expected)
                    label = f"round {round_no}" if round_no > 0 else "warm-up"
                    print(f"{label:<8} {name:<22} {method:<11} {r.seconds:8.2f} s "
                          f"{r.nbytes / r.seconds / 1e6:7.0f} MB/s  {'ok' if r.ok else 'FAILED'}", flush=True)
                    if round_no > 0 or not r.ok:
                        results.append(r)
            shutil.rmtree(master)
        large = large_name(max(args.large)) if args.large else None
        print(f"\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, under {args.dir}, "
              f"{args.drives} drives, ours max_parallel {bench.parallel}, preallocate {args.preallocate}, "
              f"median of {args.rounds} rounds after {args.warmup} warm-up\n")
        print(markdown(rows(results, large)))
        return 0 if all(r.ok for r in results) else 1
    finally:
        if bench and bench.sshd:
            bench.sshd.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
