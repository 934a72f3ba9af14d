"""Preallocation while replacement makes room just in time (root: a loop-mounted ext4 drive).

A drive full of old "plots" (files with plot names, ``[replace] match = k = 32``) and a
little free space receives one plot that needs several of them gone. Three ways, each
on a fresh filesystem, the plot streamed over a local socket into the real receive loop
(:func:`common.transfer.sink.receive_to_fd`, O_DIRECT where the filesystem allows):

    upfront   the old way: delete every planned plot, then preallocate the whole plot
    stepwise  just in time, preallocating what is free now and extending after each deletion
    none      just in time, no preallocation

Figures: receive time, extents of the received file (filefrag), plots deleted.

    python benchmarks/replace_prealloc.py [--plot-mib 100] [--incoming-mib 250] [--plots 10]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common.transfer.sink import open_for_receive, receive_to_fd
from nas import config as nas_config
from nas.drives.listing import part_path
from nas.drives.select import reserve_drive
from nas.receive.commit import fallocate

MIB = 2**20
MODES = ("upfront", "stepwise", "none")


def run(cmd: list[str]) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120).stdout


def make_drive(root: Path, args: argparse.Namespace) -> Path:
    image, mnt = root / "drive.img", root / "drive1"
    mnt.mkdir()
    with open(image, "wb") as handle:
        handle.truncate((args.plots * args.plot_mib + args.plot_mib // 2 + 64) * MIB)
    run(["mkfs.ext4", "-q", "-F", "-m", "0", str(image)])
    run(["mount", "-o", "loop", str(image), str(mnt)])
    block = os.urandom(MIB)
    for i in range(args.plots):
        with open(mnt / f"plot-k32-2021-01-{i + 1:02d}-00-00-{i:064x}.plot", "wb") as handle:
            for _ in range(args.plot_mib):
                handle.write(block)
    os.sync()
    return mnt


def config(root: Path, drive: Path) -> nas_config.NasConfig:
    ini = root / "nas.ini"
    ini.write_text(f"[nas]\ndrive_globs = {drive}\nrequire_mount = true\nreserve = 0\nstate_dir = {root / 'state'}\n"
                   "[replace]\nenabled = true\nmatch = k = 32\n")
    return nas_config.load(ini)


def receive(cfg: nas_config.NasConfig, drive: Path, size: int, mode: str) -> tuple[float, int, int]:
    name = f"plot-k32-2024-01-01-00-00-{'ab' * 32}.plot"
    res = reserve_drive(cfg, size, incoming=name, wait=0)
    part = part_path(drive, name)
    fd, direct = open_for_receive(str(part), True)
    sender, receiver = socket.socketpair()
    feeder = threading.Thread(target=_feed, args=(sender, size), daemon=True)
    try:
        room = res.room(cfg, fd, fallocate if mode == "stepwise" else None)
        assert room is not None, "the drive was not full"
        start = time.perf_counter()
        if mode == "upfront":
            room.ensure(size)
            fallocate(fd, size)
        elif mode == "stepwise":
            room.preallocate()
        feeder.start()
        receive_to_fd(receiver, fd, size, direct=direct, before_write=room.ensure)
        os.fsync(fd)
        elapsed = time.perf_counter() - start
        extents = int(re.findall(r": (\d+) extents? found", run(["filefrag", str(part)]))[0])
        return elapsed, extents, len(room.deleted)
    finally:
        feeder.join(timeout=60)
        sender.close()
        receiver.close()
        os.close(fd)
        part.unlink()
        res.release()


def _feed(sock: socket.socket, size: int) -> None:
    block = os.urandom(MIB)
    for offset in range(0, size, MIB):
        sock.sendall(block[:min(MIB, size - offset)])
    sock.shutdown(socket.SHUT_WR)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plot-mib", type=int, default=100)
    parser.add_argument("--incoming-mib", type=int, default=250)
    parser.add_argument("--plots", type=int, default=10)
    args = parser.parse_args()
    for mode in MODES:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            drive = make_drive(root, args)
            try:
                elapsed, extents, deleted = receive(config(root, drive), drive, args.incoming_mib * MIB, mode)
            finally:
                run(["umount", str(drive)])
            print(f"{mode:9s} {elapsed:6.2f} s  {args.incoming_mib / elapsed:7.1f} MiB/s  "
                  f"{extents:4d} extents  {deleted} plot(s) deleted")


if __name__ == "__main__":
    main()
