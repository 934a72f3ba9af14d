"""Replotting: which plots to delete so that an incoming plot fits.

:func:`fewest` and :func:`plan_drive` are pure. :func:`candidates` lists the
plots of a drive that the ``[replace] match`` rule allows to delete (reading
at most their 512-byte headers, cached in the state); :func:`delete` removes a
plan's plots and records each. Only :mod:`nas.replace.room` calls :func:`delete`, under the
drive's lock, one plot at a time as a real incoming plot's bytes need its room.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from common.errors import PlotFileError
from common.fsync import fsync_path
from common.plotformat.plotfile import parse_name, read_header
from nas.drives.listing import plots_on
from nas.replace.rules import PlotFacts, Rule, created_from_name, describe, matches, needs_header
from nas.state import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Candidate:
    path: Path
    freed: int  # bytes its deletion gives back
    created: float


@dataclass(frozen=True)
class Plan:
    mountpoint: Path
    victims: tuple[Candidate, ...]
    need: int  # bytes missing before the deletions

    @property
    def freed(self) -> int:
        return sum(v.freed for v in self.victims)


def fewest(cands: Sequence[Candidate], need: int) -> tuple[Candidate, ...] | None:
    """The fewest candidates freeing ``need`` bytes, preferring the oldest; None if all do not suffice."""
    if need <= 0:
        return ()
    count = _min_count([c.freed for c in cands], need)
    if count is None:
        return None
    chosen: list[Candidate] = []
    pool = sorted(cands, key=lambda c: (c.created, c.path.name))
    for cand in list(pool):
        slots = count - len(chosen)
        if slots == 0:
            break
        pool.remove(cand)
        helpers = sorted((c.freed for c in pool), reverse=True)[:slots - 1]
        if cand.freed + sum(helpers) >= need:
            chosen.append(cand)
            need -= cand.freed
    return tuple(chosen)


def _min_count(sizes: list[int], need: int) -> int | None:
    total = 0
    for count, size in enumerate(sorted(sizes, reverse=True), start=1):
        total += size
        if total >= need:
            return count
    return None


def plan_drive(mountpoint: Path, free: int, reserve: int, size: int, cands: Sequence[Candidate]) -> Plan | None:
    need = size + reserve - free
    victims = fewest(cands, need)
    return None if victims is None else Plan(mountpoint, victims, max(0, need))


def best_plans(plans: Sequence[Plan | None]) -> list[Plan]:
    """Fewest deletions first; ties keep the given (policy) order."""
    return sorted((p for p in plans if p is not None), key=lambda p: len(p.victims))


def candidates(store: Store, rule: Rule, mountpoint: Path) -> list[Candidate]:
    found = []
    for entry in plots_on(mountpoint):
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if st.st_nlink > 1:
            continue  # another name keeps the data: deleting this one frees nothing
        facts = _facts(store, rule, Path(entry.path), st)
        if matches(rule, facts):
            found.append(Candidate(Path(entry.path), min(st.st_size, st.st_blocks * 512), facts.created))
    return found


def _facts(store: Store, rule: Rule, path: Path, st: os.stat_result) -> PlotFacts:
    name = parse_name(path.name)
    created = created_from_name(name)
    version, level = _header(store, path, st) if needs_header(rule) else (None, None)
    return PlotFacts(name=name, version=version, level=level,
                     created=st.st_mtime if created is None else created)


def _header(store: Store, path: Path, st: os.stat_result) -> tuple[int | None, int | None]:
    cached = store.header(path, st.st_size, st.st_mtime_ns)
    if cached is not None:
        return cached
    try:
        header = read_header(path)
        facts: tuple[int | None, int | None] = (header.version, header.level)
    except PlotFileError as exc:
        log.warning("%s: %s; never replaced", path, exc)
        facts = (None, None)
    store.put_header(path, st.st_size, st.st_mtime_ns, *facts)
    return facts


def delete(store: Store, plan: Plan, rule: Rule, incoming: str) -> int:
    """Delete the plan's plots (logged and recorded); returns the bytes freed."""
    freed = 0
    for victim in plan.victims:
        try:
            os.unlink(victim.path)
        except FileNotFoundError:
            continue
        freed += victim.freed
        log.warning("replacement: deleted %s (%d bytes, matches '%s') to make room for %s",
                    victim.path, victim.freed, describe(rule), incoming)
        store.add_deletion(victim.path, plan.mountpoint, victim.freed, describe(rule), incoming)
    _fsync_dir(plan.mountpoint)
    return freed


def _fsync_dir(path: Path) -> None:
    try:
        fsync_path(path)
    except OSError:
        pass  # the unlinks happened; durability of the directory entry is best effort
