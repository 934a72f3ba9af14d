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


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def _plain_send(sock: socket.socket, path: str, size: int) -> str:
    sock.settimeout(None)  # os.sendfile wants a blocking socket
    with open(path, "rb", buffering=0) as source:
        done = 0
        while done < size:
            done += os.sendfile(sock.fileno(), source.fileno(), done, min(BLOCK, size - done))
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


def role_send(method: str, path: str, size: int, port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        cpu0 = _cpu()
        digest = send_file(sock, path, size) if method == "ours" else _plain_send(sock, path, size)
        cpu = _cpu() - cpu0
    print(json.dumps({"cpu": cpu, "digest": digest}), flush=True)


def role_recv(method: str, path: str, size: int) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        print(listener.getsockname()[1], flush=True)
        listener.settimeout(TIMEOUT)
        conn, _ = listener.accept()
    with conn:
        conn.settimeout(TIMEOUT)
        fd, direct = open_for_receive(path, True)
        cpu0, t0 = _cpu(), time.monotonic()
        try:
            if method == "ours":
                digest = receive_to_fd(conn, fd, size, direct=direct)
            else:
                digest = _plain_receive(conn, fd, size)
            os.fsync(fd)
        finally:
            os.close(fd)
        wall, cpu = time.monotonic() - t0, _cpu() - cpu0
    print(json.dumps({"cpu": cpu, "wall": wall, "digest": digest}), flush=True)


def _role(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, script, "--role", *args], stdout=subprocess.PIPE, text=True)


def run_python(method: str, source: Path, target: Path, size: int, script: str) -> tuple[float, float, float]:
    recv = _role(script, "recv", method, str(target), str(size))
    assert recv.stdout is not None
    port = recv.stdout.readline().strip()
    send = _role(script, "send", method, str(source), str(size), port)
    sent, _ = send.communicate(timeout=TIMEOUT)
    got, _ = recv.communicate(timeout=TIMEOUT)
    if send.returncode or recv.returncode:
        raise SystemExit(f"{method}: an end failed ({send.returncode}, {recv.returncode})")
    s, r = json.loads(sent), json.loads(got)
    if s["digest"] != r["digest"]:
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


def measure(method: str, source: Path, size: int, expected: str, before: str) -> Run:
    target = source.parent / f"target-{method}"
    try:
        if method == "nc":
            wall, s_cpu, r_cpu = run_nc(source, target)
        elif method == "before":  # the other checkout's ends, run by its own copy of this script
            wall, s_cpu, r_cpu = run_python("ours", source, target, size, str(Path(before) / RELATIVE))
        else:
            wall, s_cpu, r_cpu = run_python(method, source, target, size, __file__)
        ok = hash_file(str(target)) == expected
    finally:
        target.unlink(missing_ok=True)
    return Run(method, wall, s_cpu, r_cpu, ok)


def report(runs: list[Run], size: int) -> None:
    gb = size / 1e9
    print(f"\n{size / 2**30:.2f} GiB, median of {len(runs) // len({r.method for r in runs})} runs; "
          f"load {Path('/proc/loadavg').read_text().split()[:3]}")
    print(f"{'method':<8}{'wall s/GB':>10}{'GB/s':>7}{'send CPU-s/GB':>15}{'recv CPU-s/GB':>15}  identical")
    for method in dict.fromkeys(r.method for r in runs):
        mine = [r for r in runs if r.method == method]
        wall = statistics.median(r.wall for r in mine)
        send = statistics.median(r.send_cpu for r in mine)
        recv = statistics.median(r.recv_cpu for r in mine)
        ok = "yes" if all(r.ok for r in mine) else "NO"
        print(f"{method:<8}{wall / gb:>10.3f}{gb / wall:>7.2f}{send / gb:>15.3f}{recv / gb:>15.3f}  {ok}", flush=True)


def run_size(size: int, methods: list[str], repeat: int, directory: str, before: str) -> None:
    work = Path(tempfile.mkdtemp(prefix="stream-cpu-", dir=directory))
    try:
        source = make_source(work, size)
        expected = hash_file(str(source))
        runs = []
        for _ in range(repeat):  # rounds interleave the methods
            for method in methods:
                runs.append(r := measure(method, source, size, expected, before))
                print(f"  {method:<6} {r.wall:6.2f} s  send {r.send_cpu:5.2f}  recv {r.recv_cpu:5.2f} CPU-s",
                      file=sys.stderr, flush=True)
        report(runs, size)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def role(argv: list[str]) -> None:
    kind, method, path, size, *port = argv
    if kind == "send":
        role_send(method, path, int(size), int(port[0]))
    else:
        role_recv(method, path, int(size))


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--role":
        role(sys.argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1GiB,3GiB")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", default="/dev/shm")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--before", default="", help="another checkout of plotyard (e.g. `git archive` of main): "
                        "its ends run as method 'before', in the same rounds")
    args = parser.parse_args()
    methods = [m for m in args.methods.split(",") if m in METHODS and (m != "nc" or shutil.which("nc"))
               and (m != "before" or (Path(args.before) / RELATIVE).is_file())]
    for size in (parse_size(s, low=1, high=TB) for s in args.sizes.split(",")):
        run_size(size, methods, args.repeat, args.dir, args.before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
