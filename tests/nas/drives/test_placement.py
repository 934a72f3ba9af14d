"""Placement before plotting on the NAS: the pure decision (:func:`choose`, :func:`prefer`), the
reservations in the sqlite state (kept across restarts, expired after ``placement_ttl``), the meta
groups read from real ``.gplot`` headers, and the ``placement_ttl`` key's range."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import ConfigError
from common.plotformat.plotgen import make_gplot
from nas import config as nas_config
from nas.drives.listing import Drive
from nas.drives.placement import Choice, choose, meta_groups_on, place, prefer
from nas.state import Placed, Store
from tests.helpers import make_nas

GIB = 2**30
A, B, C = Path("/mnt/a"), Path("/mnt/b"), Path("/mnt/c")


def drive(mountpoint: Path, free: int = 10 * GIB, offline: bool = False) -> Drive:
    return Drive(mountpoint, 20 * GIB, free, offline)


def placed(pid: int, where: Path, meta: int, size: int = GIB) -> Placed:
    return Placed(pid, where, meta, size, 1e12)


def test_the_lowest_meta_group_no_group_on_the_drive_uses() -> None:
    assert choose([drive(A)], GIB, 0, "fill", {A: {0, 1, 3}}, []) == Choice(A, 2)


def test_a_meta_group_reserved_on_the_drive_is_taken_and_one_reserved_elsewhere_avoided() -> None:
    assert choose([drive(A), drive(B)], GIB, 0, "fill", {}, [placed(1, A, 0), placed(2, B, 1)]) == Choice(A, 2)


def test_a_drive_whose_room_is_placed_already_is_passed_over() -> None:
    # 3 GiB free, two groups of 1.5 GiB placed there: the next goes to B
    drives = [drive(A, 3 * GIB), drive(B)]
    pending = [placed(1, A, 0, 3 * GIB // 2), placed(2, A, 1, 3 * GIB // 2)]
    assert choose(drives, GIB, 0, "fill", {}, pending) == Choice(B, 2)


def test_spread_takes_the_most_room_after_placements() -> None:
    assert choose([drive(A), drive(B)], GIB, 0, "spread", {}, [placed(1, A, 0)]) == Choice(B, 1)


def test_full_offline_and_exhausted_drives_are_not_chosen() -> None:
    drives = [drive(A, GIB // 2), drive(B, offline=True), drive(C)]
    assert choose(drives, GIB, 0, "fill", {C: set(range(256))}, []) is None
    assert choose(drives, GIB, GIB, "fill", {}, []) == Choice(C, 0)
    assert choose([drive(A, 2 * GIB)], GIB, GIB + 1, "fill", {}, []) is None  # the reserve counts


def test_an_offered_group_goes_to_its_placed_drive_else_where_its_meta_group_is_free() -> None:
    ranked = [drive(A), drive(B), drive(C)]
    assert [d.mountpoint for d in prefer(ranked, 5, [placed(1, C, 5)], {})] == [C, A, B]
    # placed drive gone (full): a drive where 5 is free before one where a group uses it
    assert [d.mountpoint for d in prefer(ranked, 5, [], {A: {5}})] == [B, C, A]
    assert [d.mountpoint for d in prefer(ranked, 5, [placed(1, A, 5)], {})] == [A, B, C]
    assert [d.mountpoint for d in prefer(ranked[:1], 5, [], {A: {5}})] == [A]  # never refused for it


def test_placements_survive_a_restart_and_expire(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        made = store.add_placement(A, 7, GIB, now=1000.0, ttl=60.0)
    with Store(tmp_path) as store:  # a new process
        assert store.placements(1059.0) == [made]
        assert store.placements(1060.0) == []
    with Store(tmp_path) as store:
        assert store.placements(0.0) == []  # expired ones are gone for good


def test_place_reads_the_drives_headers_and_reserves(tmp_path: Path) -> None:
    nas = make_nas(tmp_path / "nas", drives=2, extra_nas="placement_ttl = 10m\n")
    make_gplot(nas.drives[0], meta_group=0)
    make_gplot(nas.drives[0], meta_group=2)
    with Store(nas.state) as store:
        assert meta_groups_on(nas.drives[0], store) == {0, 2} and meta_groups_on(nas.drives[1], store) == set()
    cfg = nas_config.load(nas.ini)
    first, second = place(cfg, 10**6, now=1000.0), place(cfg, 10**6, now=1000.0)
    assert first is not None and second is not None
    assert [(p.drive, p.meta_group, p.expires) for p in (first, second)] == \
           [(nas.drives[0], 1, 1600.0), (nas.drives[0], 3, 1600.0)]
    again = place(cfg, 10**6, now=1600.0)  # both expired unused: meta group 1 is free again
    assert again is not None and (again.drive, again.meta_group) == (nas.drives[0], 1)


@pytest.mark.parametrize("value", ["10s", "31d", "soon"])
def test_placement_ttl_has_a_range(tmp_path: Path, value: str) -> None:
    nas = make_nas(tmp_path, drives=1, extra_nas=f"placement_ttl = {value}\n")
    with pytest.raises(ConfigError, match=r"nas\.ini: \[nas\] placement_ttl: "):
        nas_config.load(nas.ini)


def test_placement_ttl_default(tmp_path: Path) -> None:
    assert nas_config.load(make_nas(tmp_path, drives=1).ini).nas.placement_ttl == 6 * 3600


def test_each_header_is_read_once_and_forgotten_with_its_file(tmp_path: Path) -> None:
    """The meta groups are kept by name and inode: a file rewritten in place (same inode) is not read
    again, one put there under the same name (a new inode) is, and a deleted one's row goes."""
    drive = tmp_path / "drive"
    first, second = make_gplot(drive, meta_group=3), make_gplot(drive, meta_group=5)
    with Store(tmp_path / "state") as store:
        assert meta_groups_on(drive, store) == {3, 5}
        original = first.read_bytes()
        first.write_bytes(b"\0" * len(original))  # same inode: what was read stays
        assert meta_groups_on(drive, store) == {3, 5}
        first.unlink()
        other = make_gplot(tmp_path / "elsewhere", meta_group=7)
        other.rename(first)  # a new inode under the first name: read again
        assert meta_groups_on(drive, store) == {5, 7}
        second.unlink()
        assert meta_groups_on(drive, store) == {7}
        assert set(store.pos2_headers(drive)) == {first.name}


def test_a_file_that_cannot_be_read_yet_is_read_again(tmp_path: Path) -> None:
    drive = tmp_path / "drive"
    whole = make_gplot(tmp_path / "made", meta_group=9)
    arriving = drive / whole.name
    drive.mkdir()
    arriving.write_bytes(whole.read_bytes()[:10])  # a hand copy under way: no header yet
    with Store(tmp_path / "state") as store:
        assert meta_groups_on(drive, store) == set() and store.pos2_headers(drive) == {}
        with arriving.open("ab") as out:
            out.write(whole.read_bytes()[10:])
        assert meta_groups_on(drive, store) == {9}
