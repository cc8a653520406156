"""What a region or a park stands for in a chain map: its firms (a 行政区 with everything below it, or a park's
firms — its region's when the data has no firm→park links, said in `note`) and the parks inside it with their
available land. Names are turned into indexes by kernel.resolve."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from graph.snapshot import Snapshot
from kernel.resolve import resolver
from chains.index import ChainIndex
from chains.models import ParkBrief, Ref, ScopeOut


def resolve_chain(snap: Snapshot, text: str) -> int:
    """A chain index from its key, name or alias (集成电路, ic, 半导体 …) — kernel.resolve's rules."""
    return resolver(snap).chain(text)


def resolve_place(snap: Snapshot, text: str) -> tuple[str, int]:
    """('Region' | 'Park', index) from a key or a name (衢州, 衢州市, 330800, quzhou_zhizao, 衢州智造新城)."""
    p = resolver(snap).place(text)
    return ("Region" if p.kind == "region" else "Park"), p.index


# ------------------------------------------------------------------------------------------- scope
@dataclass
class Scope:
    """The firms a region or park key stands for."""

    kind: Literal["region", "park"]
    index: int  # region or park index
    key: str
    name: str
    level: str | None
    regions: np.ndarray  # boolean mask over regions (the region and its descendants; for a park: its region's)
    firms: np.ndarray  # boolean mask over firms
    basis: Literal["region", "park", "park_region"]
    region_index: int  # the region itself, or the park's region (-1 if unknown)
    note: str | None = None

    def out(self, idx: ChainIndex) -> ScopeOut:
        region = None
        if self.kind == "park" and self.region_index >= 0:
            region = Ref(key=str(idx.region_keys[self.region_index]), name=str(idx.region_names[self.region_index]))
        return ScopeOut(kind=self.kind, key=self.key, name=self.name, level=self.level, region=region,
                        basis=self.basis, regions_included=int(self.regions.sum()), firms=int(self.firms.sum()),
                        note=self.note)


def resolve_scope(snap: Snapshot, region: str) -> Scope:
    idx = ChainIndex.of(snap)
    label, i = resolve_place(snap, region)
    if label == "Region":
        inside = idx.region_descendants(i)
        firms = np.asarray(idx.e2r @ inside.astype(np.float64)).ravel() > 0 if idx.n_firms else np.zeros(0, bool)
        return Scope("region", i, str(idx.region_keys[i]), str(idx.region_names[i]), idx.region_level[i], inside,
                     firms, "region", i)
    name = str(idx.park_names[i])
    r = int(idx.park_region[i])
    if idx.e2p.nnz:
        onehot = np.zeros(len(idx.park_keys))
        onehot[i] = 1.0
        firms = np.asarray(idx.e2p @ onehot).ravel() > 0
        inside = np.zeros(len(idx.region_keys), dtype=bool)
        if r >= 0:
            inside[r] = True
        note = None if firms.any() else f"园区“{name}”暂无入驻企业记录（LOCATED_IN 企业→园区）"
        return Scope("park", i, str(idx.park_keys[i]), name, None, inside, firms, "park", r, note)
    if r < 0:
        inside = np.zeros(len(idx.region_keys), dtype=bool)
        firms = np.zeros(idx.n_firms, dtype=bool)
        note = f"数据中没有企业→园区的位置关系，且园区“{name}”未关联行政区，无法统计园区企业"
        return Scope("park", i, str(idx.park_keys[i]), name, None, inside, firms, "park_region", r, note)
    inside = idx.region_descendants(r)
    firms = np.asarray(idx.e2r @ inside.astype(np.float64)).ravel() > 0 if idx.n_firms else np.zeros(0, bool)
    note = (f"数据中没有企业→园区的位置关系（LOCATED_IN 企业→园区），无法按园区统计；"
            f"以下为园区所在行政区“{idx.region_names[r]}”（含下级）的企业")
    return Scope("park", i, str(idx.park_keys[i]), name, None, inside, firms, "park_region", r, note)



def parks_in_scope(idx: ChainIndex, scope: Scope, c: int) -> list[ParkBrief]:
    """The parks of the scope (the park itself, or every park in the region), chain c's hosts first."""
    P = len(idx.park_keys)
    if P == 0:
        return []
    if scope.kind == "park":
        chosen = np.asarray([scope.index])
    else:
        pr = idx.park_region
        inside = np.zeros(P, dtype=bool)
        ok = pr >= 0
        inside[ok] = scope.regions[pr[ok]]
        chosen = np.flatnonzero(inside)
    hosts = np.asarray(idx.hosts[:, [c]].toarray()).ravel() > 0 if len(idx.chain_keys) else np.zeros(P, bool)
    cat = idx.snap.labels["Park"].cat

    def cat_value(name: str, p: int) -> str | None:
        if name not in cat:
            return None
        codes, vocab = cat[name]
        return str(vocab[codes[p]]) if codes[p] >= 0 else None

    rows = sorted(chosen.tolist(), key=lambda p: (not hosts[p], -idx.park_area_available[p], str(idx.park_keys[p])))
    out = []
    for p in rows:
        r = int(idx.park_region[p])
        out.append(ParkBrief(key=str(idx.park_keys[p]), name=str(idx.park_names[p]), level=cat_value("level", p),
                             kind=cat_value("kind", p), region=str(idx.region_keys[r]) if r >= 0 else None,
                             region_name=str(idx.region_names[r]) if r >= 0 else None, hosts_chain=bool(hosts[p]),
                             parcels_available=int(round(idx.park_parcels_available[p])),
                             area_available_mu=round(float(idx.park_area_available[p]), 2)))
    return out
