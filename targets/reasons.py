"""Reasons in Chinese, from the actual feature contributions.

For one listed firm: the features whose contribution (weight × standardised value) is positive and which the
firm actually has (a tie, a fund, a signal above zero …), the three largest first — those that vary among the
list's candidates before those every candidate shares (the same segment, the same gap); each becomes one sentence
naming the real 链主, fund, park, segment or figure behind it (链主「某某新材料（合成）」的二级供应商（经「…」）,
本地基金「…」已投资, 填补「封测」环节空白 …). When no contribution is positive, the segment fit is stated.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from graph.schema import SIZES
from chains import FILL, GAP, WEAK
from targets.model import FEATURES, QUALITY_TAG_SET, F

if TYPE_CHECKING:  # pragma: no cover
    from targets.engine import RegionState, TargetEngine

TOP_REASONS = 3


@dataclass(frozen=True)
class ReasonContext:
    anchor_leader: int | None = None  # leader view: its 链主 is named first
    anchor_fund: int | None = None  # fund view: the fund is named even when not local or partner


def _row(m, i: int) -> np.ndarray:
    return m.indices[m.indptr[i]:m.indptr[i + 1]]


def _names(eng: "TargetEngine", firms: list[int], limit: int = 2) -> str:
    names = "「" + "」「".join(str(eng.idx.firm_names[f]) for f in firms[:limit]) + "」"
    return names + (f"等 {len(firms)} 家" if len(firms) > limit else "")


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
                      inferred: bool) -> str | None:
    if s < 0:
        return None
    seg_name = str(eng.idx.seg_names[s])
    if inferred:
        return f"主营产品/名称与「{seg_name}」环节企业相似（成员模型推断）"
    lo, hi = eng.mem_csr.indptr[e], eng.mem_csr.indptr[e + 1]
    ss = eng.mem_csr.indices[lo:hi]
    w = eng.mem_csr.data[lo:hi][ss == s]
    if len(w) and w[0] < 0.999:
        return f"业务涉及「{seg_name}」环节（占比约 {w[0]:.0%}）"
    return f"主营「{seg_name}」环节"


def _need_text(eng: "TargetEngine", st: "RegionState", e: int, s: int, ctx: ReasonContext,
               inferred: bool) -> str | None:
    seg_name = str(eng.idx.seg_names[s]) if s >= 0 else ""
    klass = st.seg_class.get(s)
    if klass == GAP:
        return f"填补「{seg_name}」环节空白" + ("（补链：主干环节）" if FILL in st.seg_moves.get(s, []) else "")
    if klass == WEAK:
        return f"补强「{seg_name}」薄弱环节（本地仅 {st.seg_local_count.get(s, 0)} 家）"
    return None


def _park_fit_text(eng: "TargetEngine", st: "RegionState", e: int, s: int, ctx: ReasonContext,
                   inferred: bool) -> str | None:
    idx = eng.idx
    c = int(idx.seg_chain[s]) if s >= 0 else -1
    p = int(st.chain_park[c]) if c >= 0 else -1
    if p < 0:
        return None
    return f"契合「{idx.park_names[p]}」主导产业（{idx.chain_names[c]}）"


def _leader_tie_text(eng: "TargetEngine", st: "RegionState", e: int, s: int, ctx: ReasonContext,
                     inferred: bool) -> str | None:
    customers = _row(eng.S, e)
    suppliers = _row(eng.ST, e)
    to_l = _order_leaders(eng, customers[st.leader_mask[customers]], ctx)
    from_l = _order_leaders(eng, suppliers[st.leader_mask[suppliers]], ctx)
    parts = []
    if to_l:
        parts.append(f"链主{_names(eng, to_l)}（{_leader_chain(eng, to_l[0])}）的供应商")
    if from_l:
        parts.append(f"链主{_names(eng, from_l)}（{_leader_chain(eng, from_l[0])}）的客户")
    return "，".join(parts) or None


def _leader_tier2_text(eng: "TargetEngine", st: "RegionState", e: int, s: int, ctx: ReasonContext,
                       inferred: bool) -> str | None:
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
            return f"链主「{idx.firm_names[ls[0]]}」的二级供应商（经「{idx.firm_names[m]}」）"
    return None


def _local_ties_text(eng: "TargetEngine", st: "RegionState", e: int, s: int, ctx: ReasonContext,
                     inferred: bool) -> str | None:
    idx = eng.idx
    partners = np.unique(np.concatenate([_row(eng.S, e), _row(eng.ST, e)]))
    partners = partners[st.local[partners] & ~st.leader_mask[partners]]
    if not len(partners):
        return None
    rev = eng.revenue0[partners]
    ordered = [int(x) for x in partners[np.lexsort((idx.firm_keys[partners], -rev))]]
    return f"与本地企业{_names(eng, ordered, 1)}有供需关系"


def _fund_text(local: bool):
    """本地基金 (fund_local) or 合作基金 (fund_partner): the fund (the view's anchor first) and what it invested in."""

    def text(eng: "TargetEngine", st: "RegionState", e: int, s: int, ctx: ReasonContext,
             inferred: bool) -> str | None:
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
            return f"本地基金「{eng.fund_names[f]}」{more}已投资"
        port = _row(eng.IF, f)
        loc = port[st.local[port]]
        tail = f"（该基金也投资了本地企业「{eng.idx.firm_names[int(np.sort(loc)[0])]}」）" if len(loc) else ""
        return f"「{eng.fund_names[f]}」{more}已投资{tail}"

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
             inferred: bool) -> str | None:
        v = read(getattr(eng, column)[e])
        return template.format(v) if v > 0 else None

    return text


def _size_text(eng: "TargetEngine", st: "RegionState", e: int, s: int, ctx: ReasonContext,
               inferred: bool) -> str | None:
    size = int(eng.idx.firm_size[e])
    return f"{SIZES[size]}企业" if size >= 2 else None


def _quality_text(eng: "TargetEngine", st: "RegionState", e: int, s: int, ctx: ReasonContext,
                  inferred: bool) -> str | None:
    idx = eng.idx
    tags = idx.tag_csr
    have = [str(idx.tag_vocab[j]) for j in _row(tags, e)] if tags.shape[1] else []
    have = [t for t in QUALITY_TAG_SET if t in have]
    return f"{'、'.join(have)}企业" if have else None


def _proximity_text(eng: "TargetEngine", st: "RegionState", e: int, s: int, ctx: ReasonContext,
                    inferred: bool) -> str | None:
    d = float(st.distance_km[e])
    return None if math.isnan(d) else f"距{st.name}约 {d:,.0f} 公里"


def _same_macro_text(eng: "TargetEngine", st: "RegionState", e: int, s: int, ctx: ReasonContext,
                     inferred: bool) -> str | None:
    m = eng.macro_name(st.macro)
    return f"与{st.name}同属{m}" if m else None


def _source_hub_text(eng: "TargetEngine", st: "RegionState", e: int, s: int, ctx: ReasonContext,
                     inferred: bool) -> str | None:
    m = eng.macro_name(int(eng.firm_macro[e]))
    return f"来自{m}（产业转移主要来源地）" if m else None


# One sentence maker per feature (FEATURES): each names the real 链主, fund, park, segment or figure behind it.
TEXTS = {
    "segment_fit": _segment_fit_text, "need": _need_text, "park_fit": _park_fit_text,
    "leader_tie": _leader_tie_text, "leader_tier2": _leader_tier2_text, "local_ties": _local_ties_text,
    "fund_local": _fund_text(local=True), "fund_partner": _fund_text(local=False),
    **{feat: _expansion_text(feat) for feat in EXPANSION_SIGNALS},
    "size": _size_text, "quality": _quality_text, "proximity": _proximity_text, "same_macro": _same_macro_text,
    "source_hub": _source_hub_text,
}


def _text(eng: "TargetEngine", st: "RegionState", e: int, s: int, feat: str, ctx: ReasonContext,
          inferred: bool) -> str | None:
    """The sentence for one feature of firm e (target segment s), or None when there is nothing true to say."""
    make = TEXTS.get(feat)
    return make(eng, st, e, s, ctx, inferred) if make else None


def _present(x: np.ndarray, feat: str) -> bool:
    v = x[F[feat]]
    if feat == "proximity":
        return not math.isnan(v)
    if feat == "size":
        return v >= 2 / 3 - 1e-9
    return v > 0


def reasons(eng: "TargetEngine", st: "RegionState", e: int, s: int, x: np.ndarray, contrib: np.ndarray,
            ctx: ReasonContext, *, inferred: bool, varies: np.ndarray | None = None) -> list[str]:
    """Top TOP_REASONS positive contributions the firm actually has; features that differ between the candidates
    of this list come first (a segment fit or gap every candidate shares says less about *this* firm), the shared
    ones fill the remaining places."""
    out: list[str] = []
    varies = np.ones(len(contrib), dtype=bool) if varies is None else varies
    for j in np.lexsort((-contrib, ~varies)).tolist():
        if len(out) >= TOP_REASONS:
            break
        if contrib[j] <= 0:
            continue
        feat = FEATURES[j]
        if not _present(x, feat):
            continue
        t = _text(eng, st, e, s, feat, ctx, inferred)
        if t:
            out.append(t)
    if not out:
        t = _text(eng, st, e, s, "segment_fit", ctx, inferred)
        if t:
            out.append(t)
    return out
