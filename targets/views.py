"""The recommender's views (招商目标推荐), each one public function over the snapshot:

    rank_targets          region × chain[/segment] → firms outside the region
    targets_by_segment    the top k of every segment of a chain (a chain map's panels)
    rank_leader_targets   链主 → its suppliers/customers (and second-tier suppliers) not yet in the region
    rank_fund_targets     fund → portfolio firms fitting local gaps and parks (以投促引)
    rank_parcel_targets   parcel → firms for its admitted/leading chains (TargetRecommender, for 土地超市)
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from graph.snapshot import Snapshot
from targets import reasons as rs
from targets.engine import TargetEngine
from targets.model import TargetConfig
from targets.region import RegionState
from targets.results import Ref, TargetError, TargetItem, TargetList

MAX_K = 500


def check_k(k: int, max_k: int = MAX_K) -> int:
    """k within 1–max_k (TargetConfig.max_k, Settings.targets.max_k), else the 422 naming parameter k."""
    if not isinstance(k, int) or k < 1 or k > max_k:
        raise TargetError("k", f"参数 k：应为 1–{max_k} 的整数，收到 {k!r}", status=422)
    return k


def _excluded(st: RegionState, cand: np.ndarray) -> int:
    return int(st.local[cand].sum()) if len(cand) else 0


# ---------------------------------------------------------------------------------------------- public views
def rank_targets(snap: Snapshot, *, region: str, chain: str | None = None, segment: str | None = None, k: int = 20,
                 config: TargetConfig | None = None) -> TargetList:
    """Attractability ranking for (region, chain[, segment]): enterprises outside the region, best first."""
    eng = TargetEngine.of(snap, config)
    check_k(k, eng.config.max_k)
    r = eng.resolve_region(region)
    if chain is None and segment is None:
        raise TargetError("chain", "请指定产业链（chain）或环节（segment）", status=422)
    c = eng.resolve_chain(chain) if chain is not None else None
    st = eng.region_state(r)
    if segment is not None:
        s = eng.resolve_segment(segment, c)
        c = int(eng.idx.seg_chain[s]) if c is None else c
        segs, choice = [s], "指定环节"
    else:
        assert c is not None
        segs, choice = eng.default_segments(st, c)
    eng._ensure_chains(st, segs)
    cand, seg, fit = eng.candidates_for(segs)
    items, n = eng.rank(st, cand, seg, fit, k)
    notes = []
    if not n:
        notes.append("本地以外没有该环节的企业可推荐")
    return eng.result(view="region", st=st, chain=c, anchor=None, segs=segs, choice=choice, k=k, items=items, n=n,
                      excluded=_excluded(st, cand), notes=notes)


def targets_by_segment(snap: Snapshot, *, region: str, chain: str, segments: Sequence[str] | None = None,
                       k: int = 5, config: TargetConfig | None = None) -> dict[str, list[TargetItem]]:
    """The top k targets of each segment of a chain (default: all of them) for a region — what a chain map shows
    in each segment's panel. Region, chain and the region's state are resolved once for all segments."""
    eng = TargetEngine.of(snap, config)
    check_k(k, eng.config.max_k)
    st = eng.region_state(eng.resolve_region(region))
    c = eng.resolve_chain(chain)
    segs = ([eng.resolve_segment(s, c) for s in segments] if segments is not None
            else [int(s) for s in eng.idx.chain_segments(c)])
    eng._ensure_chains(st, segs)
    out: dict[str, list[TargetItem]] = {}
    for s in segs:
        items, _ = eng.rank(st, *eng.candidates_for([s]), k)
        out[str(eng.idx.seg_keys[s])] = items
    return out


def rank_leader_targets(snap: Snapshot, *, leader: str, region: str | None = None, k: int = 20,
                        config: TargetConfig | None = None) -> TargetList:
    """链主 view: its suppliers and customers (and second-tier suppliers) not yet in the region.

    `region` defaults to the 链主's own city (its region's city-level ancestor). The 链主 counts as an anchor of
    the region's 链主 ties even when located elsewhere (以商引商: bring its partners to where we are)."""
    eng = TargetEngine.of(snap, config)
    check_k(k, eng.config.max_k)
    idx = eng.idx
    e = eng.resolve_enterprise(leader)
    if not eng.leader_any[e]:
        raise TargetError("id", f"参数 id：企业 {idx.firm_names[e]}（{leader}）未登记为链主（无 LEADS 关系）", status=404)
    if region is None:
        fr = int(idx.firm_region[e])
        if fr < 0:
            raise TargetError("region", f"链主 {idx.firm_names[e]} 没有所在行政区，请指定 region", status=422)
        city = int(idx.region_ancestor["city"][fr])
        r = city if city >= 0 else fr
    else:
        r = eng.resolve_region(region)
    st = eng.region_state(r, anchors=(e,))
    chains = eng.leads.indices[eng.leads.indptr[e]:eng.leads.indptr[e + 1]]
    segs = [int(s) for c in chains.tolist() for s in idx.chain_segments(c).tolist()]
    eng._ensure_chains(st, segs)
    s_row = eng.S.indices[eng.S.indptr[e]:eng.S.indptr[e + 1]]  # its customers
    st_row = eng.ST.indices[eng.ST.indptr[e]:eng.ST.indptr[e + 1]]  # its suppliers
    tier2 = np.unique(np.concatenate([eng.ST.indices[eng.ST.indptr[x]:eng.ST.indptr[x + 1]] for x in st_row.tolist()]
                                     or [np.zeros(0, np.int32)]))
    cand = np.unique(np.concatenate([s_row, st_row, tier2]).astype(np.int64))
    cand = cand[cand != e]
    best, fit = eng.best_segment(cand, segs)
    items, n = eng.rank(st, cand, best, fit, k, reason_ctx=rs.ReasonContext(anchor_leader=e))
    chain_ref = int(chains[0]) if len(chains) else None
    return eng.result(view="leader", st=st, chain=chain_ref, anchor=Ref(key=str(idx.firm_keys[e]), name=str(idx.firm_names[e])),
                      segs=sorted(set(segs)), choice=f"链主所在产业链（{'、'.join(str(idx.chain_names[c]) for c in chains.tolist())}）的全部环节",
                      k=k, items=items, n=n, excluded=_excluded(st, cand),
                      notes=[] if n else ["该链主的供应商、客户（含二级供应商）均已在本地，或尚无供需关系记录"])


def rank_fund_targets(snap: Snapshot, *, fund: str, region: str, k: int = 20,
                      config: TargetConfig | None = None) -> TargetList:
    """Fund view (以投促引): the fund's portfolio firms outside the region that fit the region's chains — the fund's
    focus chains and the chains the region's parks lead (all chains if neither is known), gaps first."""
    eng = TargetEngine.of(snap, config)
    check_k(k, eng.config.max_k)
    idx = eng.idx
    f = eng.resolve_fund(fund)
    r = eng.resolve_region(region)
    st = eng.region_state(r)
    focus = set(eng.fund_focus.indices[eng.fund_focus.indptr[f]:eng.fund_focus.indptr[f + 1]].tolist())
    park_chains = set(np.flatnonzero(st.chain_park >= 0).tolist())
    chains = sorted(focus | park_chains) or list(range(len(idx.chain_keys)))
    segs = [int(s) for c in chains for s in idx.chain_segments(c).tolist()]
    eng._ensure_chains(st, segs)
    portfolio = eng.IF.indices[eng.IF.indptr[f]:eng.IF.indptr[f + 1]].astype(np.int64)
    best, fit = eng.best_segment(portfolio, segs)
    fits = fit > 0
    notes = []
    if (~fits).sum():
        notes.append(f"组合中 {int((~fits).sum())} 家企业不属于相关产业链（基金关注链与本地园区主导链）的任何环节，未列入")
    items, n = eng.rank(st, portfolio[fits], best[fits], fit[fits], k,
                        reason_ctx=rs.ReasonContext(anchor_fund=f))
    if not len(portfolio):
        notes.append("该基金没有已登记的投资组合（INVESTED_IN）")
    names = "、".join(str(idx.chain_names[c]) for c in chains)
    return eng.result(view="fund", st=st, chain=None, anchor=Ref(key=str(eng.fund_keys[f]), name=str(eng.fund_names[f])),
                      segs=sorted(set(segs)), choice=f"基金关注产业链与本地园区主导产业链（{names}）的全部环节", k=k,
                      items=items, n=n, excluded=_excluded(st, portfolio), notes=notes)


def rank_parcel_targets(snap: Snapshot, *, parcel: str, chains: Sequence[str], region: str | None, k: int = 20,
                        config: TargetConfig | None = None) -> TargetList:
    """Parcel view: enterprises outside the parcel's region fitting the chains the parcel admits (产业准入) or its
    park leads — for each chain the segments of the gap analysis (as when only a chain is given)."""
    eng = TargetEngine.of(snap, config)
    check_k(k, eng.config.max_k)
    idx = eng.idx
    j = snap.index_of("LandParcel", parcel) if snap.n("LandParcel") else -1
    if j < 0:
        raise TargetError("key", f"地块 {parcel!r} 不存在")
    if region is None:
        raise TargetError("region", f"地块 {parcel} 没有所在行政区，无法判断哪些企业已在本地", status=422)
    r = eng.resolve_region(region)
    st = eng.region_state(r)
    cidx = [eng.resolve_chain(c, param="chains") for c in chains] or list(range(len(idx.chain_keys)))
    segs: list[int] = []
    for c in cidx:
        for s in eng.default_segments(st, c)[0]:
            if s not in segs:
                segs.append(s)
    eng._ensure_chains(st, segs)
    cand, seg, fit = eng.candidates_for(segs)
    items, n = eng.rank(st, cand, seg, fit, k)
    pname = str(snap.labels["LandParcel"].names[j])
    return eng.result(view="parcel", st=st, chain=cidx[0] if len(cidx) == 1 else None,
                      anchor=Ref(key=parcel, name=pname), segs=segs,
                      choice=("地块产业准入/园区主导产业链" if chains else "地块不限产业：全部产业链") + "的补链/强链/延链环节",
                      k=k, items=items, n=n, excluded=_excluded(st, cand))


class TargetRecommender:
    """The land matcher's extension point (land.storefront.EnterpriseRecommender): parcel → candidate firms."""

    def __init__(self, config: TargetConfig | None = None):
        self.config = config

    def recommend_for_parcel(self, snapshot: Snapshot, *, parcel: str, chains: list[str], region: str | None,
                             limit: int) -> list[dict[str, Any]]:
        out = rank_parcel_targets(snapshot, parcel=parcel, chains=chains, region=region, k=limit, config=self.config)
        return [it.model_dump() for it in out.items]

    def targets_for_parcel(self, snapshot: Snapshot, *, parcel: str, chains: list[str], region: str | None,
                           limit: int) -> TargetList:
        return rank_parcel_targets(snapshot, parcel=parcel, chains=chains, region=region, k=limit, config=self.config)
