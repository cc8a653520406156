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


def _text(eng: "TargetEngine", st: "RegionState", e: int, s: int, feat: str, ctx: ReasonContext,
          inferred: bool) -> str | None:
    idx = eng.idx
    seg_name = str(idx.seg_names[s]) if s >= 0 else ""
    if feat == "segment_fit":
        if s < 0:
            return None
        if inferred:
            return f"主营产品/名称与「{seg_name}」环节企业相似（成员模型推断）"
        lo, hi = eng.mem_csr.indptr[e], eng.mem_csr.indptr[e + 1]
        ss = eng.mem_csr.indices[lo:hi]
        w = eng.mem_csr.data[lo:hi][ss == s]
        if len(w) and w[0] < 0.999:
            return f"业务涉及「{seg_name}」环节（占比约 {w[0]:.0%}）"
        return f"主营「{seg_name}」环节"
    if feat == "need":
        klass = st.seg_class.get(s)
        if klass == GAP:
            return f"填补「{seg_name}」环节空白" + ("（补链：主干环节）" if FILL in st.seg_moves.get(s, []) else "")
        if klass == WEAK:
            return f"补强「{seg_name}」薄弱环节（本地仅 {st.seg_local_count.get(s, 0)} 家）"
        return None
    if feat == "park_fit":
        c = int(idx.seg_chain[s]) if s >= 0 else -1
        p = int(st.chain_park[c]) if c >= 0 else -1
        if p < 0:
            return None
        return f"契合「{idx.park_names[p]}」主导产业（{idx.chain_names[c]}）"
    if feat == "leader_tie":
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
    if feat == "leader_tier2":
        customers = _row(eng.S, e)
        mids = customers[st.tier1[customers]]
        if not len(mids):
            return None
        rev = eng.revenue0[mids]
        best = None
        for m in mids[np.lexsort((idx.firm_keys[mids], -rev))].tolist():
            cs = _row(eng.S, m)
            ls = _order_leaders(eng, cs[st.leader_mask[cs]], ctx)
            if ls:
                best = (m, ls[0])
                break
        if best is None:
            return None
        return f"链主「{idx.firm_names[best[1]]}」的二级供应商（经「{idx.firm_names[best[0]]}」）"
    if feat == "local_ties":
        partners = np.unique(np.concatenate([_row(eng.S, e), _row(eng.ST, e)]))
        partners = partners[st.local[partners] & ~st.leader_mask[partners]]
        if not len(partners):
            return None
        rev = eng.revenue0[partners]
        ordered = [int(x) for x in partners[np.lexsort((idx.firm_keys[partners], -rev))]]
        return f"与本地企业{_names(eng, ordered, 1)}有供需关系"
    if feat in ("fund_local", "fund_partner"):
        funds = _row(eng.IFT, e)
        mask = st.local_funds if feat == "fund_local" else st.partner_funds
        hits = funds[mask[funds]]
        if not len(hits):
            return None
        if ctx.anchor_fund is not None and ctx.anchor_fund in hits.tolist():
            f = ctx.anchor_fund
        else:
            f = int(hits[np.argsort(eng.fund_keys[hits], kind="stable")][0])
        more = f"等 {len(hits)} 支基金" if len(hits) > 1 else ""
        if feat == "fund_local":
            return f"本地基金「{eng.fund_names[f]}」{more}已投资"
        port = _row(eng.IF, f)
        loc = port[st.local[port]]
        tail = f"（该基金也投资了本地企业「{idx.firm_names[int(np.sort(loc)[0])]}」）" if len(loc) else ""
        return f"「{eng.fund_names[f]}」{more}已投资{tail}"
    if feat == "financing":
        v = float(eng.raw_financing[e])
        return f"近两年融资 {v:,.0f} 万元" if v > 0 else None
    if feat == "branches":
        v = int(eng.raw_branches[e])
        return f"近两年新设分支机构 {v} 家" if v > 0 else None
    if feat == "growth":
        v = float(eng.raw_growth[e])
        return f"产能/营收增速 {v:.0%}" if v > 0 else None
    if feat == "patents":
        v = int(eng.raw_patents[e])
        return f"拥有专利 {v} 件" if v > 0 else None
    if feat == "size":
        size = int(idx.firm_size[e])
        return f"{SIZES[size]}企业" if size >= 2 else None
    if feat == "quality":
        tags = idx.tag_csr
        have = [str(idx.tag_vocab[j]) for j in _row(tags, e)] if tags.shape[1] else []
        have = [t for t in QUALITY_TAG_SET if t in have]
        return f"{'、'.join(have)}企业" if have else None
    if feat == "proximity":
        d = float(st.distance_km[e])
        return None if math.isnan(d) else f"距{st.name}约 {d:,.0f} 公里"
    if feat == "same_macro":
        m = eng.macro_name(st.macro)
        return f"与{st.name}同属{m}" if m else None
    if feat == "source_hub":
        m = eng.macro_name(int(eng.firm_macro[e]))
        return f"来自{m}（产业转移主要来源地）" if m else None
    return None


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
