"""Chain gap analysis (产业链诊断): where a region is strong in a chain, where the gaps are, what to recruit.

Everything is computed on the analytic snapshot's arrays (CSR adjacency, feature columns); no store backend is
imported and no per-firm Python loop runs (only loops over a chain's ≤ ~20 segments or over the few firms a page
lists).

Scope. `region` is a Region key or name (a province/city/county includes every descendant region through
LOCATED_IN Region→Region) or a Park key or name (firms with LOCATED_IN Enterprise→Park; when the dataset has no
such link at all, the park's own region is used instead and the result says so in `scope.note`).

Measure, per segment s (all segments of all chains, so cross-chain links can be judged the same way):
  strength  S_r(s) = Σ over firms f in scope r and in segment s of  m(f,s) · w(f)
            m = the IN_SEGMENT weight (share of the firm's business, 1 when unknown),
            w = size weight: 微型 0.5 · 小型 1 · 中型 3 · 大型 9 (configurable). A firm without `size` is sized by
                营业收入 (≥ 40000 / 2000 / 300 万元 = 大/中/小, else 微), else by 从业人员 (≥ 1000 / 300 / 20), after
                国家统计局《统计上大中小微型企业划分办法（2017）》 for industry; if neither is known, weight 1.
  national  S(s) = the same sum over every firm in the graph.
  区位熵 (location quotient)  LQ_r(s) = (S_r(s) / Σ_t S_r(t)) / (S(s) / Σ_t S(t)):
            the region's share of its own (graph-wide) industrial strength that is in s, over the national
            share. LQ > 1 = more specialised in s than the country. `lq_basis="count"` uses firm counts instead.
Classification (thresholds in AnalysisConfig):
  空白 gap     local firm count ≤ gap_max_count (default 0)
  优势 strong  LQ ≥ strong_lq (1.25) and count ≥ strong_min_count (3);
               or (leader_strong) a local 链主 of the chain is in the segment and LQ ≥ 1
  薄弱 weak    every other segment with local firms
Main path (主干): search path count (SPC, Hummon & Doreian 1989 main path analysis) on the chain's own UPSTREAM_OF
  DAG: share(s) = (#source→s paths · #s→sink paths) / #source→sink paths. A segment is on the main path if
  share ≥ main_path_min_share (0.2) or it lies on the global main path (the source→sink route with the largest
  total share).
Moves:
  补链 fill        空白 segments of the chain on its main path (priority = SPC share; locally strong direct
                   neighbours, any chain, are named as what the newcomer can build on)
  强链 strengthen  薄弱 segments of the chain adjacent (UPSTREAM_OF either way, inside the chain) to an 优势 one
  延链 extend      segments directly up- or downstream of a local 优势 segment, across chains too (one end in this
                   chain), that are not 优势 themselves and not already 补链/强链
Context segments (drawn on the map next to the chain): other-chain 延链 targets and locally strong other-chain
segments directly up- or downstream of the chain.

The parts, one job each: models.py (classes, thresholds, answer models), index.py (per-snapshot arrays),
scope.py (region/park → firms, parks), strength.py (strength, LQ, national distribution), classify.py
(优势/薄弱/空白 and reasons), mainpath.py (SPC main path), leaders.py (链主 and segment firms), moves.py
(补链/强链/延链); this module puts them together into a ChainMap.
"""
from __future__ import annotations

import math

import numpy as np

from graph.snapshot import Snapshot
from chains.classify import classify, reason
from chains.index import ChainIndex
from chains.leaders import leader_mask, local_leaders, segment_leader_counts
from chains.mainpath import ChainDag, chain_dag
from chains.models import (
    EXTEND, FILL, GAP, STRENGTHEN, STRONG, WEAK, AnalysisConfig, ChainMap, ChainSummary, FirmBrief, Link, Move,
    PeerRegion, Ref, ScopeOut, SegmentStat, Summary,
)
from chains.moves import context_segments, plan_moves, seg_ref
from chains.scope import Scope, parks_in_scope, resolve_chain, resolve_scope
from chains.strength import Measures, measures, peer_stats


def analyse_chain(snap: Snapshot, *, chain: str, region: str, config: AnalysisConfig | None = None) -> ChainMap:
    """The chain map of `chain` (key/name/alias) for `region` (region or park key/name)."""
    config = config or AnalysisConfig()
    idx = ChainIndex.of(snap)
    c = resolve_chain(snap, chain)
    scope = resolve_scope(snap, region)
    return _analyse(idx, c, scope, config)


def _analyse(idx: ChainIndex, c: int, scope: Scope, config: AnalysisConfig) -> ChainMap:
    """Measure, classify, find the main path, plan the moves, then assemble the map."""
    m = measures(idx, scope, config)
    local_leaders_mask = leader_mask(idx, c) & scope.firms
    seg_leaders = segment_leader_counts(idx, scope, local_leaders_mask)
    klass = classify(m, seg_leaders, config)
    dag = chain_dag(idx, c, config)
    in_chain = set(dag.segs.tolist())
    plan = plan_moves(idx, c, m, klass, dag)
    context = context_segments(plan, in_chain)
    shown = list(dag.segs.tolist()) + sorted(context, key=lambda s: str(idx.seg_keys[s]))
    tops, ranks = peer_stats(idx, scope, np.asarray(shown, dtype=np.int64), m.weights, config)
    leaders_out, leader_refs = local_leaders(idx, local_leaders_mask, m.weights)
    depth = _context_depth(idx, dag, context)

    def stat(s: int) -> SegmentStat:
        return _segment_stat(idx, s, m=m, klass=klass, seg_leaders=seg_leaders, dag=dag, depth=depth,
                             leader_refs=leader_refs, tops=tops, ranks=ranks, config=config)

    segments = [stat(s) for s in sorted(dag.segs.tolist(), key=lambda s: (depth[s], dag.pos[s]))]
    context_stats = [stat(s) for s in sorted(context, key=lambda s: (depth[s], str(idx.seg_keys[s])))]
    summary, notes, synthetic = _summary(idx, scope, m, dag, segments, leaders_out, plan.moves)
    return ChainMap(chain=Ref(key=str(idx.chain_keys[c]), name=str(idx.chain_names[c])), scope=scope.out(idx),
                    config=config, summary=summary, segments=segments, context_segments=context_stats,
                    links=_links(idx, dag, in_chain, set(shown)), leaders=leaders_out,
                    parks=parks_in_scope(idx, scope, c), moves=plan.moves, notes=notes, synthetic=synthetic)


def _context_depth(idx: ChainIndex, dag: ChainDag, context: set[int]) -> dict[int, int]:
    """Layer of every shown segment: the chain's own, and for context segments next to their in-chain neighbour."""
    in_chain = set(dag.segs.tolist())
    depth = dict(dag.depth)
    for s in context:
        ds = [dag.depth[v] - 1 for u, v in zip(idx.up_src.tolist(), idx.up_dst.tolist()) if u == s and v in in_chain]
        ds += [dag.depth[u] + 1 for u, v in zip(idx.up_src.tolist(), idx.up_dst.tolist()) if v == s and u in in_chain]
        depth[s] = min(ds) if ds else 0
    return depth


def _segment_stat(idx: ChainIndex, s: int, *, m: Measures, klass: np.ndarray, seg_leaders: np.ndarray,
                  dag: ChainDag, depth: dict[int, int], leader_refs: dict[int, list[Ref]],
                  tops: dict[int, list[PeerRegion]], ranks: dict[int, tuple[int | None, int | None]],
                  config: AnalysisConfig) -> SegmentStat:
    """One segment's row of the map."""
    in_chain = s in dag.pos
    k, n, ck, cn = seg_ref(idx, s)
    lq = float(m.lq[s])
    rank, total = ranks.get(s, (None, None))
    return SegmentStat(
        key=k, name=n, chain=ck, chain_name=cn, in_chain=in_chain, stream=idx.seg_stream[s],
        depth=int(depth.get(s, 0)), local_count=int(m.local_count[s]),
        local_strength=round(float(m.local_strength[s]), 3), leaders=leader_refs.get(s, []) if in_chain else [],
        tags={t: int(v[s]) for t, v in m.tags.items()}, national_count=int(m.national_count[s]),
        national_strength=round(float(m.national_strength[s]), 3), national_share=round(float(m.share[s]), 4),
        lq=None if math.isnan(lq) else round(lq, 3), peer_rank=rank, peer_total=total, top_regions=tops.get(s, []),
        klass=str(klass[s]), reason=reason(str(klass[s]), int(m.local_count[s]), lq, int(seg_leaders[s]), config),
        main_path_share=round(dag.share.get(s, 0.0), 4), on_main_path=s in dag.main,
    )


def _links(idx: ChainIndex, dag: ChainDag, in_chain: set[int], shown: set[int]) -> list[Link]:
    """The chain's own UPSTREAM_OF links (main = both ends on the main path) and the cross-chain ones shown."""
    links = [Link(up=str(idx.seg_keys[u]), down=str(idx.seg_keys[v]), main=u in dag.main and v in dag.main)
             for u, v in dag.edges]
    for u, v in zip(idx.up_src.tolist(), idx.up_dst.tolist()):
        if (u in in_chain) != (v in in_chain) and u in shown and v in shown:
            links.append(Link(up=str(idx.seg_keys[u]), down=str(idx.seg_keys[v]), cross=True))
    return links


def _summary(idx: ChainIndex, scope: Scope, m: Measures, dag: ChainDag, segments: list[SegmentStat],
             leaders_out: list[FirmBrief], moves: list[Move]) -> tuple[Summary, list[str], bool]:
    """The map's counts, its notes (scope, no firms, synthetic data) and whether synthetic firms are in scope."""
    in_chain_vec = np.zeros(idx.n_segments)
    in_chain_vec[dag.segs] = 1.0
    any_chain = np.asarray(idx.mem_bin @ in_chain_vec).ravel() > 0 if idx.n_firms else np.zeros(0, dtype=bool)
    chain_firms = scope.firms & any_chain
    classes = [s.klass for s in segments]
    notes: list[str] = []
    if scope.note:
        notes.append(scope.note)
    if not scope.firms.any():
        notes.append("口径内没有企业：所有环节均为空白")
    synthetic = bool((idx.firm_synthetic & chain_firms).any()) if idx.n_firms else False
    if synthetic:
        notes.append("口径内含合成示例企业，仅供演示，不代表真实企业")
    summary = Summary(
        local_firms=int(chain_firms.sum()), local_strength=round(float(sum(m.local_strength[s] for s in dag.segs)), 3),
        national_firms=int(any_chain.sum()), strong=classes.count(STRONG), weak=classes.count(WEAK),
        gap=classes.count(GAP), leaders=len(leaders_out), fill=sum(mv.kind == FILL for mv in moves),
        strengthen=sum(mv.kind == STRENGTHEN for mv in moves), extend=sum(mv.kind == EXTEND for mv in moves),
    )
    return summary, notes, synthetic


def summarise_chains(snap: Snapshot, *, region: str, config: AnalysisConfig | None = None) -> tuple[ScopeOut, list[ChainSummary]]:
    """One line per chain for the region: counts of 优势/薄弱/空白 segments, local firms, 链主 and moves."""
    config = config or AnalysisConfig()
    idx = ChainIndex.of(snap)
    scope = resolve_scope(snap, region)
    rows = []
    for c in range(len(idx.chain_keys)):
        cm = _analyse(idx, c, scope, config)
        s = cm.summary
        rows.append(ChainSummary(chain=cm.chain, segments=len(cm.segments), local_firms=s.local_firms,
                                 national_firms=s.national_firms, strong=s.strong, weak=s.weak, gap=s.gap,
                                 leaders=s.leaders, fill=s.fill, strengthen=s.strengthen, extend=s.extend))
    return scope.out(idx), rows
