"""What the analytic snapshot holds on one firm for 企业尽调: its dated records (the list fields of
graph/schema/firm_history.py, decoded from the snapshot's list columns), its legacy expansion figures
(近两年融资额, 近两年新设分支机构数, 营收增速), its projects with stage, dates and place as of a date, its customers
that are 链主, and the 地级市 ("home") that local / elsewhere is measured against.

A project's stage as of a date is the last transition of its stage history on or before that date; a project
whose first transition is after it did not exist yet. The snapshot holds only the current stage and the date it was
entered (stage_on): the stage histories come from the caller (dossier.commands.stage_histories reads them from the
store); without them the current stage counts from its stage_on on. Read side: snapshot only.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from chains import ChainIndex
from graph.schema.firm_history import HISTORIES
from graph.snapshot import Snapshot
from kernel.errors import Invalid, NotFound, UnknownName
from kernel.resolve import resolver


StageHistories = Mapping[str, Sequence[Mapping[str, Any]]]  # project key → its stage_history entries {on, to, …}


@dataclass
class Project:
    key: str
    name: str
    stage: str | None  # as of the date the records were read at
    on: str | None  # the date the project entered that stage, else its signing date (if not later)
    region: int  # region index, -1 unknown
    park: str | None  # park name


def stage_as_of(stage: str | None, stage_on: str | None, signed_on: str | None,
                history: Sequence[Mapping[str, Any]] | None, day: dt.date) -> tuple[str | None, str | None] | None:
    """(stage, date entered) of a project on `day`: the last transition on or before it — from the stage history
    ({on, to} entries) and the current stage entered on stage_on — or None when every transition is after `day`
    (the project did not exist yet). A project with no dated transition keeps its current stage, undated unless
    it was signed by `day`."""
    moves = [(str(h["on"])[:10], str(h["to"])) for h in history or () if h.get("on") and h.get("to")]
    if stage and stage_on:
        moves.append((stage_on[:10], stage))  # last on its date: the stage it is in now
    if not moves:
        return stage, signed_on if signed_on and signed_on[:10] <= day.isoformat() else None
    past = [m for m in sorted(moves, key=lambda m: m[0]) if m[0] <= day.isoformat()]
    return (past[-1][1], past[-1][0]) if past else None


@dataclass
class FirmRecords:
    """One firm's inputs to the two signals."""

    index: int
    key: str
    name: str
    region: int  # region index, -1 unknown
    home_city: int  # the 地级市 (or the region itself when it has no city above it), -1 unknown
    histories: dict[str, list[dict[str, Any]]]
    scalars: dict[str, float | None]
    projects: list[Project] = field(default_factory=list)
    leader_customers: list[tuple[str, int, list[str]]] = field(default_factory=list)  # name, region, chains led
    n_customers: int = 0


def _num(snap: Snapshot, label: str, name: str, i: int) -> float | None:
    col = snap.labels[label].num.get(name)
    if col is None:
        return None
    v = float(col[i])
    return None if math.isnan(v) else v


def _cat(snap: Snapshot, label: str, name: str, i: int) -> str | None:
    got = snap.labels[label].cat.get(name)
    if got is None:
        return None
    codes, vocab = got
    return str(vocab[codes[i]]) if codes[i] >= 0 else None


def history(snap: Snapshot, f: int, name: str) -> list[dict[str, Any]]:
    """Firm f's entries of one history field, decoded, by date (or year). An entry recorded twice (two identical
    A轮 rounds) is two entries: the snapshot's record columns keep the count (graph.snapshot.columns)."""
    lists = snap.labels["Enterprise"].lists
    if name not in lists:
        return []
    m, vocab = lists[name]
    lo, hi = m.indptr[f], m.indptr[f + 1]
    out = [json.loads(str(vocab[j])) for j, times in zip(m.indices[lo:hi].tolist(), m.data[lo:hi].tolist())
           for _ in range(max(1, int(round(times))))]
    return sorted(out, key=lambda e: (e.get("year", 0), e.get("on", "")))


def city_of(idx: ChainIndex, r: int) -> int:
    """The 地级市 above (or at) region r (ChainIndex.region_ancestor); a region with no city above it (a province,
    an unparented region, a county directly under a province) stands for itself."""
    c = int(idx.region_ancestor["city"][r])
    return c if c >= 0 else r


def region_index(snap: Snapshot, text: str | None) -> int:
    """A region named in a record → index, read like every region parameter (kernel.resolve: key, name, short name
    …; a park stands for its region); -1 when the data has no such region or the name is ambiguous — a record may
    name a place outside the data, which must not fail the dossier."""
    if not text or not text.strip() or not snap.n("Region"):
        return -1
    try:
        return resolver(snap).region(text)
    except (NotFound, Invalid):  # unknown or ambiguous name, a park without a region
        return -1


def _projects(snap: Snapshot, idx: ChainIndex, f: int, day: dt.date, stages: StageHistories | None) -> list[Project]:
    if not snap.n("Project"):
        return []
    p_region = snap.relation("LOCATED_IN", "Project", "Region").tocsr()
    p_park = snap.relation("LOCATED_IN", "Project", "Park").tocsr() if snap.n("Park") else None
    out = []
    for j in _proposed(snap, f).tolist():
        regions = p_region.indices[p_region.indptr[j]:p_region.indptr[j + 1]]
        parks = p_park.indices[p_park.indptr[j]:p_park.indptr[j + 1]] if p_park is not None else []
        r = int(regions[0]) if len(regions) else -1
        park = None
        if len(parks):
            park = str(idx.park_names[int(parks[0])])
            if r < 0:
                r = int(idx.park_region[int(parks[0])])
        key = str(snap.keys("Project")[j])
        at = stage_as_of(_cat(snap, "Project", "stage", j), _cat(snap, "Project", "stage_on", j),
                         _cat(snap, "Project", "signed_on", j), (stages or {}).get(key), day)
        if at is not None:
            out.append(Project(key, str(snap.labels["Project"].names[j]), at[0], at[1], r, park))
    return out


def project_keys(snap: Snapshot, key: str) -> list[str]:
    """The keys of the projects firm `key` proposes (whose stage histories a dossier as of a date needs)."""
    f = snap.index_of("Enterprise", key) if snap.n("Enterprise") else -1
    if f < 0 or not snap.n("Project"):
        return []
    return [str(k) for k in snap.keys("Project")[_proposed(snap, f)]]


def _proposed(snap: Snapshot, f: int) -> Any:
    """Row numbers of the projects firm row `f` proposes (PROPOSES)."""
    proposes = snap.relation("PROPOSES", "Enterprise", "Project").tocsr()
    return proposes.indices[proposes.indptr[f]:proposes.indptr[f + 1]]


def firm_records(snap: Snapshot, key: str, day: dt.date, stages: StageHistories | None = None) -> FirmRecords:
    """Everything the signals read about firm `key` as of `day` (UnknownName when the snapshot has no such firm);
    `stages`: its projects' stage histories (see the module docstring)."""
    idx = ChainIndex.of(snap)
    f = snap.index_of("Enterprise", key) if idx.n_firms else -1
    if f < 0:
        raise UnknownName(f"企业 {key!r} 不存在", errors=[{"field": "key", "message": "企业不存在"}])
    r = int(idx.firm_region[f])
    rec = FirmRecords(
        index=int(f), key=str(idx.firm_keys[f]), name=str(idx.firm_names[f]), region=r,
        home_city=city_of(idx, r) if r >= 0 else -1,
        histories={name: history(snap, f, name) for name in HISTORIES},
        scalars={name: _num(snap, "Enterprise", name, f)
                 for name in ("recent_financing_wan", "new_branches")},  # summary figures without itemised records
        projects=_projects(snap, idx, f, day, stages))
    sup = snap.relation("SUPPLIES", "Enterprise", "Enterprise").tocsr()
    customers = sup.indices[sup.indptr[f]:sup.indptr[f + 1]].tolist()
    rec.n_customers = len(customers)
    leads = idx.leads.tocsr()
    for g in customers:
        led = leads.indices[leads.indptr[g]:leads.indptr[g + 1]].tolist()
        if led:
            rec.leader_customers.append((str(idx.firm_names[g]), int(idx.firm_region[g]),
                                         [str(idx.chain_names[c]) for c in led]))
    return rec
