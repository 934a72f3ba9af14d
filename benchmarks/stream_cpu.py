"""The byte stream alone: wall seconds and CPU-seconds per GB of each end, against plain copies.

Each end runs in its own process over 127.0.0.1 (a file on ``--dir``, /dev/shm by default, so
neither disk nor page-cache misses are measured): ``ours`` is :func:`common.transfer.stream.send_file`
into :func:`common.transfer.sink.receive_to_fd`; ``plain`` is the same path without hash or
threads (os.sendfile in, recv_into + write out); ``nc`` is netcat on both ends. CPU is
user + system of each process (getrusage) over the transfer alone, not interpreter start-up;
wall is the receiver's, from accept to the last byte written and fsynced. Median of the runs.
``--before DIR`` adds another checkout's ``ours`` (method ``before``) to the same rounds.

    git archive main | tar -x -C /tmp/before
    python benchmarks/stream_cpu.py --sizes 1GiB,3GiB --repeat 5 --before /tmp/before
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common.confvalues import TB, parse_size
from common.transfer.sink import open_for_receive, receive_to_fd
from common.transfer.stream import hash_file, send_file
from tests.sshd import is_listening

TIMEOUT = 300.0
BLOCK = 64 * 2**20
METHODS = ("ours", "before", "plain", "nc")
RELATIVE = "benchmarks/stream_cpu.py"


@dataclass
class Run:
    method: str
    wall: float
    send_cpu: float
    recv_cpu: float
    ok: bool
    gb: float  # moved in this run


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def _plain_send(sock: socket.socket, path: str, size: int, last: bool) -> str:
    sock.settimeout(None)  # os.sendfile wants a blocking socket
    with open(path, "rb", buffering=0) as source:
        done = 0
        while done < size:
            done += os.sendfile(sock.fileno(), source.fileno(), done, min(BLOCK, size - done))
    if last:
        sock.shutdown(socket.SHUT_WR)
    return ""


def _plain_receive(sock: socket.socket, fd: int, size: int) -> str:
    sock.settimeout(None)
    buf = bytearray(8 * 2**20)
    view = memoryview(buf)
    done = 0
    while done < size:
        n = sock.recv_into(view, min(len(buf), size - done))
        if not n:
            raise SystemExit("stream ended early")
        os.write(fd, view[:n])
        done += n
    return ""


def _in_a_row() -> bool:
    """Whether this checkout's stream can carry plots in a row on one connection."""
    return "close" in inspect.signature(send_file).parameters


def _send_one(method: str, sock: socket.socket, path: str, size: int, last: bool) -> str:
    if method == "plain":
        return _plain_send(sock, path, size, last)
    if _in_a_row():
        return send_file(sock, path, size, close=last)  # type: ignore[call-arg, unused-ignore]
    return send_file(sock, path, size)


def _receive_one(method: str, sock: socket.socket, fd: int, size: int, direct: bool, last: bool) -> str:
    if method == "plain":
        return _plain_receive(sock, fd, size)
    if _in_a_row():
        return receive_to_fd(sock, fd, size, direct=direct, expect_eof=last)  # type: ignore[call-arg, unused-ignore]
    return receive_to_fd(sock, fd, size, direct=direct)


def role_send(method: str, path: str, size: int, port: int, row: int) -> None:
    """``row`` times the file: on one connection, or one each where the stream cannot carry more."""
    cpu, digests = 0.0, []
    sock = None
    for i in range(row):
        if sock is None:
            sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        cpu0 = _cpu()
        digests.append(_send_one(method, sock, path, size, i == row - 1 or not _in_a_row()))
        cpu += _cpu() - cpu0
        if i == row - 1 or not _in_a_row():
            sock.close()
            sock = None
    print(json.dumps({"cpu": cpu, "digests": digests}), flush=True)


def role_recv(method: str, path: str, size: int, row: int) -> None:
    cpu = wall = 0.0
    digests = []
    with socket.create_server(("127.0.0.1", 0)) as listener:
        print(listener.getsockname()[1], flush=True)
        listener.settimeout(TIMEOUT)
        conn = None
        for i in range(row):
            if conn is None:
                conn = listener.accept()[0]
                conn.settimeout(TIMEOUT)
            last = i == row - 1 or not _in_a_row()
            Path(path).unlink(missing_ok=True)  # the plot before (not counted)
            fd, direct = open_for_receive(path, method == "ours")  # plain: the page cache, as dd and nc
            cpu0, t0 = _cpu(), time.monotonic()
            try:
                digests.append(_receive_one(method, conn, fd, size, direct, last))
                os.fsync(fd)
            finally:
                os.close(fd)
            wall, cpu = wall + time.monotonic() - t0, cpu + _cpu() - cpu0
            if last:
                conn.close()
                conn = None
    print(json.dumps({"cpu": cpu, "wall": wall, "digests": digests}), flush=True)


def _role(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, script, "--role", *args], stdout=subprocess.PIPE, text=True)


def run_python(method: str, setup: Setup, target: Path, script: str) -> tuple[float, float, float]:
    size, row = str(setup.size), str(setup.row)
    recv = _role(script, "recv", method, str(target), size, row)
    assert recv.stdout is not None
    port = recv.stdout.readline().strip()
    send = _role(script, "send", method, str(setup.source), size, row, port)
    sent, _ = send.communicate(timeout=TIMEOUT)
    got, _ = recv.communicate(timeout=TIMEOUT)
    if send.returncode or recv.returncode:
        raise SystemExit(f"{method}: an end failed ({send.returncode}, {recv.returncode})")
    s, r = json.loads(sent), json.loads(got)
    if s["digests"] != r["digests"]:
        raise SystemExit(f"{method}: the ends disagree on the hash")
    return r["wall"], s["cpu"], r["cpu"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_nc(source: Path, target: Path) -> tuple[float, float, float]:
    """netcat both ends; the wall includes starting them (a few ms), the CPU is theirs (wait4)."""
    port = _free_port()
    t0 = time.monotonic()
    with open(target, "wb") as out, open(source, "rb") as src:
        recv = subprocess.Popen(["nc", "-l", "127.0.0.1", str(port)], stdout=out)
        deadline = time.monotonic() + 10
        while not is_listening(port):
            if time.monotonic() > deadline:
                raise SystemExit("nc did not listen")
            time.sleep(0.005)
        send = subprocess.Popen(["nc", "-N", "127.0.0.1", str(port)], stdin=src)
        _, _, s_use = os.wait4(send.pid, 0)
        _, _, r_use = os.wait4(recv.pid, 0)
        os.fsync(out.fileno())
    return (time.monotonic() - t0, s_use.ru_utime + s_use.ru_stime, r_use.ru_utime + r_use.ru_stime)


def make_source(directory: Path, size: int) -> Path:
    """``size`` bytes: one random 64 MiB block repeated (nothing on the path compresses)."""
    block = os.urandom(BLOCK)
    path = directory / "source"
    with open(path, "wb") as out:
        left = size
        while left > 0:
            left -= out.write(block[:left])
    return path


@dataclass
class Setup:
    source: Path
    dest: Path  # where the copies go: the same tmpfs, or a disk (O_DIRECT where it allows)
    size: int
    expected: str
    before: str
    row: int  # plots per process (on one connection where the stream can carry more)


def measure(method: str, setup: Setup) -> Run:
    source, target = setup.source, setup.dest / f"target-{method}"
    try:
        if method == "nc":
            wall, s_cpu, r_cpu = run_nc(source, target)
        elif method == "before":  # the other checkout's ends, run by its own copy of this script
            wall, s_cpu, r_cpu = run_python("ours", setup, target, str(Path(setup.before) / RELATIVE))
        else:
            wall, s_cpu, r_cpu = run_python(method, setup, target, __file__)
        ok = hash_file(str(target)) == setup.expected
    finally:
        target.unlink(missing_ok=True)
    return Run(method, wall, s_cpu, r_cpu, ok, setup.size * (1 if method == "nc" else setup.row) / 1e9)


def report(runs: list[Run], size: int, row: int) -> None:
    print(f"\n{size / 2**30:.2f} GiB, {row} in a row per process (nc: 1), median of "
          f"{len(runs) // len({r.method for r in runs})} runs; load {Path('/proc/loadavg').read_text().split()[:3]}")
    print(f"{'method':<8}{'wall s/GB':>10}{'GB/s':>7}{'send CPU-s/GB':>15}{'recv CPU-s/GB':>15}  identical")
    for method in dict.fromkeys(r.method for r in runs):
        mine = [r for r in runs if r.method == method]
        wall = statistics.median(r.wall / r.gb for r in mine)
        send = statistics.median(r.send_cpu / r.gb for r in mine)
        recv = statistics.median(r.recv_cpu / r.gb for r in mine)
        ok = "yes" if all(r.ok for r in mine) else "NO"
        print(f"{method:<8}{wall:>10.3f}{1 / wall:>7.2f}{send:>15.3f}{recv:>15.3f}  {ok}", flush=True)


def run_size(size: int, methods: list[str], args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="stream-cpu-", dir=args.dir))
    dest = Path(tempfile.mkdtemp(prefix="stream-cpu-", dir=args.dest)) if args.dest else work
    try:
        source = make_source(work, size)
        setup = Setup(source, dest, size, hash_file(str(source)), args.before, args.row)
        runs = []
        for _ in range(args.repeat):  # rounds interleave the methods
            for method in methods:
                runs.append(r := measure(method, setup))
                print(f"  {method:<6} {r.wall:6.2f} s  send {r.send_cpu:5.2f}  recv {r.recv_cpu:5.2f} CPU-s",
                      file=sys.stderr, flush=True)
        report(runs, size, args.row)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(dest, ignore_errors=True)


def role(argv: list[str]) -> None:
    kind, method, path, size, row, *port = argv
    if kind == "send":
        role_send(method, path, int(size), int(port[0]), int(row))
    else:
        role_recv(method, path, int(size), int(row))


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--role":
        role(sys.argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1GiB,3GiB")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", default="/dev/shm", help="where the source is made")
    parser.add_argument("--dest", default="", help="where the copies go (default: --dir)")
    parser.add_argument("--row", type=int, default=1, help="plots in a row per process, as in a session")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--before", default="", help="another checkout of plotyard (e.g. `git archive` of main): "
                        "its ends run as method 'before', in the same rounds")
    args = parser.parse_args()
    methods = [m for m in args.methods.split(",") if m in METHODS and (m != "nc" or shutil.which("nc"))
               and (m != "before" or (Path(args.before) / RELATIVE).is_file())]
    for size in (parse_size(s, low=1, high=TB) for s in args.sizes.split(",")):
        run_size(size, methods, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
