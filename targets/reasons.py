"""Reasons in Chinese, from the actual feature contributions, each with its evidence.

For one listed firm: the features whose contribution (weight × standardised value) is positive and which the
firm actually has (a tie, a fund, a signal above zero …); each becomes one sentence naming the real 链主, fund,
park, segment or figure behind it (链主「某某新材料（合成）」的二级供应商（经「…」）, 本地基金「…」已投资, 填补「封测」
环节空白 …) and carries that 链主/fund/firm/segment by key and name (results.Evidence), so that a page links it.

The order is what holds in a meeting (at most TOP_REASONS):
  1. relations — 链主供需, 二级供应, 本地供需, 本地/合作基金, 本地缺口, 园区主导产业 — then signals — 近期融资,
     新设分支, 产能增长, 专利, 资质 — among those that differ between the list's candidates (what sets this firm
     apart), largest contribution first within each kind;
  2. the same kinds shared by every candidate (the one target segment's gap, …);
  3. only then the profile — segment fit, 大型企业, proximity (only when near: 距本市约 120 公里，便于配套), economic
     zone. Size and distance are never the first reason while a relation or signal applies.
When no contribution is positive, the segment fit is stated.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from graph.schema import SIZES
from chains import FILL, GAP, WEAK
from targets.model import FEATURES, QUALITY_TAG_SET, F
from targets.results import Evidence, Reason

if TYPE_CHECKING:  # pragma: no cover
    from targets.engine import RegionState, TargetEngine

TOP_REASONS = 3
NEAR_KM = 300.0  # a distance is a reason (便于配套) only this close
RELATION = ("leader_tie", "leader_tier2", "local_ties", "fund_local", "fund_partner", "need", "park_fit")
SIGNAL = ("financing", "branches", "growth", "patents", "quality")
KIND = {f: "relation" if f in RELATION else "signal" if f in SIGNAL else "profile" for f in FEATURES}
TIER = np.asarray([0 if KIND[f] == "relation" else 1 if KIND[f] == "signal" else 2 for f in FEATURES])
Found = tuple[str, list[Evidence]] | None  # (sentence, what it rests on), or nothing true to say


@dataclass(frozen=True)
class ReasonContext:
    anchor_leader: int | None = None  # leader view: its 链主 is named first
    anchor_fund: int | None = None  # fund view: the fund is named even when not local or partner


def _row(m, i: int) -> np.ndarray:
    return m.indices[m.indptr[i]:m.indptr[i + 1]]


def _names(eng: "TargetEngine", firms: list[int], limit: int = 2) -> str:
    names = "「" + "」「".join(str(eng.idx.firm_names[f]) for f in firms[:limit]) + "」"
    return names + (f"等 {len(firms)} 家" if len(firms) > limit else "")


def firm_ev(eng: "TargetEngine", f: int, kind: str = "enterprise") -> Evidence:
    return Evidence(kind=kind, key=str(eng.idx.firm_keys[f]), name=str(eng.idx.firm_names[f]))  # type: ignore[arg-type]


def fund_ev(eng: "TargetEngine", f: int) -> Evidence:
    return Evidence(kind="fund", key=str(eng.fund_keys[f]), name=str(eng.fund_names[f]))


def segment_ev(eng: "TargetEngine", s: int) -> Evidence:
    c = int(eng.idx.seg_chain[s])
    return Evidence(kind="segment", key=str(eng.idx.seg_keys[s]), name=str(eng.idx.seg_names[s]),
                    chain=str(eng.idx.chain_keys[c]) if c >= 0 else None)


def _order_leaders(eng: "TargetEngine", firms: np.ndarray, ctx: ReasonContext) -> list[int]:
    """Anchor first, then by revenue (largest first), then key."""
    rev = eng.revenue0[firms]
    order = np.lexsort((eng.idx.firm_keys[firms], -rev))
    out = [int(x) for x in firms[order]]
    if ctx.anchor_leader is not None and ctx.anchor_leader in out:
        out.remove(ctx.anchor_leader)
        out.insert(0, ctx.anchor_leader)
    return out


def _leader_chain(eng: "TargetEngine", f: int) -> str:
    cs = _row(eng.leads, f)
    return "、".join(str(eng.idx.chain_names[c]) for c in cs[:2])


def _segment_fit_text(eng: "TargetEngine", st: "RegionState", e: int, s: int, ctx: ReasonContext,
                      inferred: bool) -> Found:
    if s < 0:
        return None
    seg_name = str(eng.idx.seg_names[s])
    ev = [segment_ev(eng, s)]
    if inferred:
        return f"主营产品/名称与「{seg_name}」环节企业相似（成员模型推断）", ev
    lo, hi = eng.mem_csr.indptr[e], eng.mem_csr.indptr[e + 1]
    ss = eng.mem_csr.indices[lo:hi]
    w = eng.mem_csr.data[lo:hi][ss == s]
    if len(w) and w[0] < 0.999:
        return f"业务涉及「{seg_name}」环节（占比约 {w[0]:.0%}）", ev
    return f"主营「{seg_name}」环节", ev


def _need_text(eng: "TargetEngine", st: "RegionState", e: int, s: int, ctx: ReasonContext,
               inferred: bool) -> Found:
    seg_name = str(eng.idx.seg_names[s]) if s >= 0 else ""
    klass = st.seg_class.get(s)
    if klass == GAP:
        return (f"填补「{seg_name}」环节空白" + ("（补链：主干环节）" if FILL in st.seg_moves.get(s, []) else ""),
                [segment_ev(eng, s)])
    if klass == WEAK:
        return f"补强「{seg_name}」薄弱环节（本地仅 {st.seg_local_count.get(s, 0)} 家）", [segment_ev(eng, s)]
    return None


def _park_fit_text(eng: "TargetEngine", st: "RegionState", e: int, s: int, ctx: ReasonContext,
                   inferred: bool) -> Found:
    idx = eng.idx
    c = int(idx.seg_chain[s]) if s >= 0 else -1
    p = int(st.chain_park[c]) if c >= 0 else -1
    if p < 0:
        return None
    ev = Evidence(kind="park", key=str(idx.park_keys[p]), name=str(idx.park_names[p]), chain=str(idx.chain_keys[c]))
    return f"契合「{idx.park_names[p]}」主导产业（{idx.chain_names[c]}）", [ev]


def _leader_tie_text(eng: "TargetEngine", st: "RegionState", e: int, s: int, ctx: ReasonContext,
                     inferred: bool) -> Found:
    customers = _row(eng.S, e)
    suppliers = _row(eng.ST, e)
    to_l = _order_leaders(eng, customers[st.leader_mask[customers]], ctx)
    from_l = _order_leaders(eng, suppliers[st.leader_mask[suppliers]], ctx)
    parts = []
    if to_l:
        parts.append(f"链主{_names(eng, to_l)}（{_leader_chain(eng, to_l[0])}）的供应商")
    if from_l:
        parts.append(f"链主{_names(eng, from_l)}（{_leader_chain(eng, from_l[0])}）的客户")
    if not parts:
        return None
    named = list(dict.fromkeys(to_l[:2] + from_l[:2]))
    return "，".join(parts), [firm_ev(eng, f, "leader") for f in named]


def _leader_tier2_text(eng: "TargetEngine", st: "RegionState", e: int, s: int, ctx: ReasonContext,
                       inferred: bool) -> Found:
    idx = eng.idx
    customers = _row(eng.S, e)
    mids = customers[st.tier1[customers]]
    if not len(mids):
        return None
    rev = eng.revenue0[mids]
    for m in mids[np.lexsort((idx.firm_keys[mids], -rev))].tolist():
        cs = _row(eng.S, m)
        ls = _order_leaders(eng, cs[st.leader_mask[cs]], ctx)
        if ls:
            return (f"链主「{idx.firm_names[ls[0]]}」的二级供应商（经「{idx.firm_names[m]}」）",
                    [firm_ev(eng, ls[0], "leader"), firm_ev(eng, m)])
    return None


def _local_ties_text(eng: "TargetEngine", st: "RegionState", e: int, s: int, ctx: ReasonContext,
                     inferred: bool) -> Found:
    idx = eng.idx
    partners = np.unique(np.concatenate([_row(eng.S, e), _row(eng.ST, e)]))
    partners = partners[st.local[partners] & ~st.leader_mask[partners]]
    if not len(partners):
        return None
    rev = eng.revenue0[partners]
    ordered = [int(x) for x in partners[np.lexsort((idx.firm_keys[partners], -rev))]]
    return f"与本地企业{_names(eng, ordered, 1)}有供需关系", [firm_ev(eng, ordered[0])]


def _fund_text(local: bool):
    """本地基金 (fund_local) or 合作基金 (fund_partner): the fund (the view's anchor first) and what it invested in."""

    def text(eng: "TargetEngine", st: "RegionState", e: int, s: int, ctx: ReasonContext,
             inferred: bool) -> Found:
        funds = _row(eng.IFT, e)
        hits = funds[(st.local_funds if local else st.partner_funds)[funds]]
        if not len(hits):
            return None
        if ctx.anchor_fund is not None and ctx.anchor_fund in hits.tolist():
            f = ctx.anchor_fund
        else:
            f = int(hits[np.argsort(eng.fund_keys[hits], kind="stable")][0])
        more = f"等 {len(hits)} 支基金" if len(hits) > 1 else ""
        if local:
            return f"本地基金「{eng.fund_names[f]}」{more}已投资", [fund_ev(eng, f)]
        port = _row(eng.IF, f)
        loc = port[st.local[port]]
        if not len(loc):
            return f"「{eng.fund_names[f]}」{more}已投资", [fund_ev(eng, f)]
        first = int(np.sort(loc)[0])
        return (f"「{eng.fund_names[f]}」{more}已投资（该基金也投资了本地企业「{eng.idx.firm_names[first]}」）",
                [fund_ev(eng, f), firm_ev(eng, first)])

    return text


# The expansion signals: (engine column of the raw value, how it is read, the sentence when it is above zero).
EXPANSION_SIGNALS = {
    "financing": ("raw_financing", float, "近两年融资 {:,.0f} 万元"),
    "branches": ("raw_branches", int, "近两年新设分支机构 {} 家"),
    "growth": ("raw_growth", float, "产能/营收增速 {:.0%}"),
    "patents": ("raw_patents", int, "拥有专利 {} 件"),
}


def _expansion_text(feat: str):
    column, read, template = EXPANSION_SIGNALS[feat]

    def text(eng: "TargetEngine", st: "RegionState", e: int, s: int, ctx: ReasonContext,
             inferred: bool) -> Found:
        v = read(getattr(eng, column)[e])
        return (template.format(v), []) if v > 0 else None

    return text


def _size_text(eng: "TargetEngine", st: "RegionState", e: int, s: int, ctx: ReasonContext,
               inferred: bool) -> Found:
    size = int(eng.idx.firm_size[e])
    return (f"{SIZES[size]}企业", []) if size >= len(SIZES) - 1 else None  # only 大型 says something


def _quality_text(eng: "TargetEngine", st: "RegionState", e: int, s: int, ctx: ReasonContext,
                  inferred: bool) -> Found:
    idx = eng.idx
    tags = idx.tag_csr
    have = [str(idx.tag_vocab[j]) for j in _row(tags, e)] if tags.shape[1] else []
    have = [t for t in QUALITY_TAG_SET if t in have]
    return (f"{'、'.join(have)}企业", []) if have else None


def _proximity_text(eng: "TargetEngine", st: "RegionState", e: int, s: int, ctx: ReasonContext,
                    inferred: bool) -> Found:
    d = float(st.distance_km[e])
    if math.isnan(d) or d > NEAR_KM:
        return None  # far away is no reason to come
    return f"距{st.name}约 {d:,.0f} 公里，便于配套", []


def _same_macro_text(eng: "TargetEngine", st: "RegionState", e: int, s: int, ctx: ReasonContext,
                     inferred: bool) -> Found:
    m = eng.macro_name(st.macro)
    return (f"与{st.name}同属{m}", []) if m else None


def _source_hub_text(eng: "TargetEngine", st: "RegionState", e: int, s: int, ctx: ReasonContext,
                     inferred: bool) -> Found:
    m = eng.macro_name(int(eng.firm_macro[e]))
    return (f"来自{m}（产业转移主要来源地）", []) if m else None


# One sentence maker per feature (FEATURES): each names the real 链主, fund, park, segment or figure behind it.
TEXTS = {
    "segment_fit": _segment_fit_text, "need": _need_text, "park_fit": _park_fit_text,
    "leader_tie": _leader_tie_text, "leader_tier2": _leader_tier2_text, "local_ties": _local_ties_text,
    "fund_local": _fund_text(local=True), "fund_partner": _fund_text(local=False),
    **{feat: _expansion_text(feat) for feat in EXPANSION_SIGNALS},
    "size": _size_text, "quality": _quality_text, "proximity": _proximity_text, "same_macro": _same_macro_text,
    "source_hub": _source_hub_text,
}


def _reason(eng: "TargetEngine", st: "RegionState", e: int, s: int, feat: str, ctx: ReasonContext,
            inferred: bool) -> Reason | None:
    """The reason for one feature of firm e (target segment s), or None when there is nothing true to say."""
    make = TEXTS.get(feat)
    found = make(eng, st, e, s, ctx, inferred) if make else None
    if not found:
        return None
    return Reason(text=found[0], feature=feat, kind=KIND[feat], evidence=found[1])  # type: ignore[arg-type]


def _present(x: np.ndarray, feat: str) -> bool:
    v = x[F[feat]]
    if feat == "proximity":
        return not math.isnan(v)
    if feat == "size":
        return v >= 1 - 1e-9
    return v > 0


def reason_order(contrib: np.ndarray, varies: np.ndarray) -> list[int]:
    """Feature columns in the order reasons are given (module docstring): relations and signals that set the firm
    apart, then those every candidate shares, then the profile; within each, relations before signals, then the
    largest contribution."""
    group = np.where(TIER < 2, np.where(varies, 0, 1), 2)
    return np.lexsort((-contrib, ~varies, TIER, group)).tolist()


def reasons(eng: "TargetEngine", st: "RegionState", e: int, s: int, x: np.ndarray, contrib: np.ndarray,
            ctx: ReasonContext, *, inferred: bool, varies: np.ndarray | None = None) -> list[Reason]:
    """At most TOP_REASONS positive contributions the firm actually has, in `reason_order`."""
    out: list[Reason] = []
    varies = np.ones(len(contrib), dtype=bool) if varies is None else varies
    for j in reason_order(contrib, varies):
        if len(out) >= TOP_REASONS:
            break
        if contrib[j] <= 0:
            continue
        feat = FEATURES[j]
        if not _present(x, feat) or (feat == "segment_fit" and not inferred and any(r.feature == "need" for r in out)):
            continue  # (the gap sentence already names the segment; an inferred fit still says why)
        r = _reason(eng, st, e, s, feat, ctx, inferred)
        if r:
            out.append(r)
    if not out:
        r = _reason(eng, st, e, s, "segment_fit", ctx, inferred)
        if r:
            out.append(r)
    anchor = anchor_reason(eng, e, ctx)
    if anchor is not None and not any(ev.key == anchor.evidence[0].key for r in out for ev in r.evidence):
        out = [anchor] + out[:TOP_REASONS - 1]  # a 链主's or fund's view always cites its own tie first
    return out


def anchor_reason(eng: "TargetEngine", e: int, ctx: ReasonContext) -> Reason | None:
    """The tie to the view's 链主 (直接供应商 / 客户 / 二级供应商) or fund (已投资) as a reason with its evidence."""
    idx = eng.idx
    if ctx.anchor_leader is not None:
        lead = ctx.anchor_leader
        ln = idx.firm_names[lead]
        ties, ev = [], [firm_ev(eng, lead, "leader")]
        if lead in _row(eng.S, e).tolist():
            ties.append(f"链主「{ln}」的直接供应商")
        if e in _row(eng.S, lead).tolist():
            ties.append(f"链主「{ln}」的客户")
        if not ties:
            mids = sorted(m for m in _row(eng.S, e).tolist() if lead in _row(eng.S, m).tolist())
            if mids:
                ties.append(f"链主「{ln}」的二级供应商（经「{idx.firm_names[mids[0]]}」）")
                ev.append(firm_ev(eng, mids[0]))
        feat = "leader_tie" if ties and "二级" not in ties[0] else "leader_tier2"
        return Reason(text="；".join(ties), feature=feat, kind="relation", evidence=ev) if ties else None
    if ctx.anchor_fund is not None:
        f = ctx.anchor_fund
        return Reason(text=f"基金「{eng.fund_names[f]}」已投资", feature="fund_local", kind="relation",
                      evidence=[fund_ev(eng, f)])
    return None


def anchor_tie(eng: "TargetEngine", e: int, ctx: ReasonContext) -> str | None:
    """How a listed firm is tied to the view's 链主 or fund, for the list's 关系 column."""
    if ctx.anchor_fund is not None and ctx.anchor_leader is None:
        return f"「{eng.fund_names[ctx.anchor_fund]}」的投资组合企业"
    r = anchor_reason(eng, e, ctx)
    return r.text if r else None
