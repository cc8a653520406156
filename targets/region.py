"""The region side of the target recommender: everything about one 行政区 that does not depend on the query's
chain or segment — which firms are local (the region, every region below it, and firms in its parks), the local
链主 and their first-tier suppliers, local and partner funds, and the region-dependent feature block E × 8 (ties
to local 链主, second-tier supply, other local ties, local and partner funds, proximity, same economic zone,
source hub), built with a handful of sparse mat-vecs over the whole graph. Kept per engine in an LRU."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from kernel.geo import distance_km
from chains import GAP, STRONG, WEAK, ChainMap
from targets.model import F
from targets.results import RegionRef

if TYPE_CHECKING:  # pragma: no cover
    from targets.engine import TargetEngine

STATIC = ("financing", "branches", "growth", "patents", "size", "quality")
REGIONAL = ("leader_tie", "leader_tier2", "local_ties", "fund_local", "fund_partner", "proximity", "same_macro",
            "source_hub")
STATIC_COLS = np.asarray([F[f] for f in STATIC])
REGIONAL_COLS = np.asarray([F[f] for f in REGIONAL])
NEED_VALUE = {GAP: 1.0, WEAK: 0.5, STRONG: 0.0}
PROXIMITY_KM = 300.0


@dataclass
class RegionState:
    """Everything about one region that does not depend on the query's chain or segment."""

    r: int
    key: str
    name: str
    level: str | None
    macro: int
    lat: float
    lon: float
    inside: np.ndarray  # bool over regions
    local: np.ndarray  # bool over firms
    leaders: np.ndarray  # firm indices of local 链主 (+ anchors of a leader view)
    leader_mask: np.ndarray  # bool over firms
    tier1: np.ndarray  # bool over firms: supplies a local 链主
    local_funds: np.ndarray  # bool over funds
    partner_funds: np.ndarray  # bool over funds
    reg: np.ndarray  # E × len(REGIONAL), float32
    distance_km: np.ndarray  # E, float32 (NaN unknown)
    parks: np.ndarray  # park indices in the region
    chain_park: np.ndarray  # per chain: first hosting park of the region (-1 none)
    cmaps: dict[int, ChainMap] = field(default_factory=dict)
    need: np.ndarray | None = None  # per segment (NaN = chain not analysed yet)
    seg_class: dict[int, str] = field(default_factory=dict)
    seg_moves: dict[int, list[str]] = field(default_factory=dict)
    seg_local_count: dict[int, int] = field(default_factory=dict)

    def ref(self, engine: "TargetEngine") -> RegionRef:
        return RegionRef(key=self.key, name=self.name, level=self.level,
                         macro_region=engine.macro_name(self.macro))



def build_region_state(eng: "TargetEngine", r: int, anchors: tuple[int, ...]) -> RegionState:
    """The state of region r; `anchors` (a leader view's 链主) count as local 链主 wherever they are."""
    idx, E = eng.idx, eng.E
    inside = idx.region_descendants(r)
    local = np.zeros(E, dtype=bool)
    if E:
        fr = idx.firm_region
        local = (fr >= 0) & inside[np.maximum(fr, 0)]
        parks_in = np.zeros(len(idx.park_keys))
        pr = idx.park_region
        if len(pr):
            parks_in[(pr >= 0) & inside[np.maximum(pr, 0)]] = 1.0
            if idx.e2p.nnz:
                local |= np.asarray(idx.e2p @ parks_in).ravel() > 0
    leader_mask = eng.leader_any & local
    if anchors:
        leader_mask = leader_mask.copy()
        leader_mask[list(anchors)] = True
    leaders = np.flatnonzero(leader_mask)
    Lv = leader_mask.astype(np.float64)
    loc = local.astype(np.float64)
    reg = np.zeros((E, len(REGIONAL)), dtype=np.float32)
    tier1 = np.zeros(E, dtype=bool)
    if E:
        sup_to = eng.S @ Lv  # local 链主 this firm supplies
        buy_from = eng.ST @ Lv  # local 链主 this firm buys from
        tier1 = (sup_to > 0) & ~leader_mask
        tier2 = np.where((sup_to > 0) | leader_mask, 0.0, eng.S @ tier1.astype(np.float64))
        ties = eng.S @ loc + eng.ST @ loc
        reg[:, 0] = np.log1p(sup_to + buy_from)
        reg[:, 1] = np.log1p(tier2)
        reg[:, 2] = np.log1p(np.maximum(ties - sup_to - buy_from, 0.0))
    NF = len(eng.fund_keys)
    local_funds = np.zeros(NF, dtype=bool)
    partner = np.zeros(NF, dtype=bool)
    if NF:
        fr = eng.fund_region
        local_funds = (fr >= 0) & inside[np.maximum(fr, 0)]
        partner = ~local_funds & (np.asarray(eng.IF @ loc).ravel() > 0)
        if E:
            reg[:, 3] = np.log1p(eng.IFT @ local_funds.astype(np.float64))
            reg[:, 4] = np.log1p(eng.IFT @ partner.astype(np.float64))
    lat, lon = float(eng.region_lat[r]), float(eng.region_lon[r])
    if math.isnan(lat) and local.any():
        ok = local & ~np.isnan(eng.firm_lat)
        if ok.any():
            lat, lon = float(eng.firm_lat[ok].mean()), float(eng.firm_lon[ok].mean())
    dist = np.full(E, np.nan, dtype=np.float32)
    if E and not math.isnan(lat):
        dist = distance_km(eng.firm_lat, eng.firm_lon, lat, lon).astype(np.float32)
    reg[:, 5] = 1.0 / (1.0 + dist / PROXIMITY_KM)  # NaN where unknown: neutral at scoring time
    macro = int(eng.region_macro[r])
    if E:
        reg[:, 6] = (eng.firm_macro == macro) & (macro >= 0)
        reg[:, 7] = np.isin(eng.firm_macro, eng.hub_codes) & (eng.firm_macro != macro)
    # parks of the region and the first (by key) hosting each chain
    P = len(idx.park_keys)
    parks = np.flatnonzero((idx.park_region >= 0) & inside[np.maximum(idx.park_region, 0)]) if P else np.zeros(0, np.int64)
    C = len(idx.chain_keys)
    chain_park = np.full(C, -1, dtype=np.int64)
    if len(parks) and C:
        hosts = idx.hosts.tocsr()
        for p in sorted(parks.tolist(), key=lambda p: str(idx.park_keys[p]), reverse=True):
            chain_park[hosts.indices[hosts.indptr[p]:hosts.indptr[p + 1]]] = p
    level = idx.region_level[r]
    return RegionState(r=r, key=str(idx.region_keys[r]), name=str(idx.region_names[r]), level=level, macro=macro,
                       lat=lat, lon=lon, inside=inside, local=local, leaders=leaders, leader_mask=leader_mask,
                       tier1=tier1, local_funds=local_funds, partner_funds=partner, reg=reg, distance_km=dist,
                       parks=parks, chain_park=chain_park,
                       need=np.full(idx.n_segments, np.nan))

