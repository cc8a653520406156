"""土地超市 score explanations: for each scored pair, every component's weight, score, points and reason.

The points of a breakdown add up to the pair's score; each reason carries its facts ("衢州市已有上游环节企业 1 家",
"距意向园区「衢州智造新城」 1.2 公里") or says the fact is unknown and counted as neutral.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from land.context import LandContext
from land.scoring import COMPONENTS, DEFAULT_SCALES, LandWeights, ScoreScales, cluster_counts, distance_km
from land.tables import ParcelTable, ProjectTable
from land.text import num, range_text


def explain_components(P: ProjectTable, Q: ParcelTable, ctx: LandContext, pi: Sequence[int] | np.ndarray,
                       qi: Sequence[int] | np.ndarray, comps: np.ndarray, weights: LandWeights | None = None,
                       scales: ScoreScales = DEFAULT_SCALES) -> list[list[dict[str, Any]]]:
    """Score breakdown of pairs (pi[k], qi[k]) with components comps[k]: each component's weight, score,
    points (their sum = the total score) and reason. The graph counts and distances are computed for all the
    pairs at once."""
    pi = np.asarray(pi, dtype=np.int64)
    qi = np.asarray(qi, dtype=np.int64)
    w = (weights or LandWeights()).vector()
    wsum = w.sum()
    up, down, part = cluster_counts(ctx, P, pi, Q.city[qi])
    dist = distance_km(P, Q, pi, qi)
    out = []
    for k in range(len(pi)):
        reasons = component_reasons(P, Q, ctx, int(pi[k]), int(qi[k]), cluster=(up[k], down[k], part[k]),
                                    dist_km=float(dist[k]), scales=scales)
        row = comps[k]
        out.append([{"component": name, "label": label, "weight": float(w[c]), "score": round(float(row[c]), 4),
                     "points": round(float(row[c] * w[c] / wsum * 100), 2), "reason": reasons[c]}
                    for c, (name, label) in enumerate(COMPONENTS)])
    return out


def component_reasons(P: ProjectTable, Q: ParcelTable, ctx: LandContext, i: int, j: int, *,
                      cluster: tuple[float, float, float] | None = None, dist_km: float | None = None,
                      scales: ScoreScales = DEFAULT_SCALES) -> list[str]:
    """One reason per component for pair (i, j); `cluster` (up, down, partners) and `dist_km` may be given
    when already computed for many pairs."""
    neutral = f"（未知，按中性 {scales.neutral} 计）"
    pk = int(Q.park[j])
    r0 = _chain_park_reason(P, Q, ctx, i, j, neutral)
    r1 = _cluster_reason(P, Q, ctx, i, j, neutral, cluster)
    # area
    lo, hi = float(P.num["land_min_mu"][i]), float(P.num["land_max_mu"][i])
    area = float(Q.area[j])
    if math.isnan(lo) and math.isnan(hi):
        r2 = f"面积 {num(area)} 亩；项目未填用地需求" + neutral
    else:
        target = hi if math.isnan(lo) else lo if math.isnan(hi) else (lo + hi) / 2
        r2 = f"面积 {num(area)} 亩，需求 {range_text(lo, hi, '亩')}（目标 {num(target)} 亩）"
    # price
    mx, pr = float(P.num["max_price_wan_per_mu"][i]), float(Q.num["price_wan_per_mu"][j])
    if math.isnan(pr):
        r3 = "地块未标价" + neutral
    elif math.isnan(mx):
        r3 = f"地价 {num(pr)} 万元/亩；项目未填可接受上限" + neutral
    else:
        r3 = f"地价 {num(pr)} 万元/亩，可接受上限 {num(mx)} 万元/亩"
    # readiness
    r4 = f"开发程度：{Q.readiness[j]}" if Q.readiness[j] else "未写明开发程度（七通一平/标准地）"
    # preferred
    ppark, preg = int(P.park[i]), int(P.pref_region[i])
    if ppark >= 0 and pk == ppark:
        r5 = f"位于意向园区「{ctx.park_name(ppark)}」"
    elif preg >= 0 and bool(ctx.within(Q.region[j:j + 1], P.pref_region[i:i + 1])[0]):
        r5 = f"位于意向行政区「{ctx.region_name(preg)}」内" + (f"（非意向园区「{ctx.park_name(ppark)}」）" if ppark >= 0 else "")
    elif ppark >= 0 or preg >= 0:
        want = "、".join(x for x in (f"园区「{ctx.park_name(ppark)}」" if ppark >= 0 else "",
                                      f"行政区「{ctx.region_name(preg)}」" if preg >= 0 else "") if x)
        r5 = f"不在意向{want}"
    else:
        r5 = "项目未填意向园区/行政区" + neutral
    # distance
    d = dist_km if dist_km is not None else float(distance_km(P, Q, np.asarray([i]), np.asarray([j]))[0])
    if math.isnan(d):
        r6 = "缺少坐标，无法计算距离" + neutral
    else:
        r6 = f"距{P.anchor_text[i]} {num(round(d, 1))} 公里"
    return [r0, r1, r2, r3, r4, r5, r6]


def _chain_park_reason(P: ProjectTable, Q: ParcelTable, ctx: LandContext, i: int, j: int, neutral: str) -> str:
    c, pk = int(P.chain[i]), int(Q.park[j])
    if not ctx.graph:
        return "未提供图谱，无法判断园区主导产业" + neutral
    if c < 0:
        return "项目未填产业链" + neutral
    if pk < 0 or not ctx.park_has_leads[pk]:
        return "地块所属园区无主导产业信息" + neutral
    if ctx.park_leads[pk, c]:
        return f"园区「{ctx.park_name(pk)}」主导产业含「{ctx.chain_name(c)}」"
    leads = [ctx.chain_name(int(x)) for x in np.nonzero(ctx.park_leads[pk, :-1])[0]]
    return f"园区「{ctx.park_name(pk)}」主导产业为{'、'.join(leads)}，不含「{ctx.chain_name(c)}」"


def _cluster_reason(P: ProjectTable, Q: ParcelTable, ctx: LandContext, i: int, j: int, neutral: str,
                    cluster: tuple[float, float, float] | None) -> str:
    city = int(Q.city[j])
    if not ctx.graph:
        return "未提供图谱，无法统计上下游企业" + neutral
    if P.segment[i] < 0 and P.investor[i] < 0:
        return "项目未填环节和投资方" + neutral
    if cluster is None:
        u, dn, pa = cluster_counts(ctx, P, np.asarray([i]), np.asarray([city]))
        cluster = (u[0], dn[0], pa[0])
    bits = []
    if P.segment[i] >= 0:
        bits.append(f"上游环节企业 {int(cluster[0])} 家")
        bits.append(f"下游环节企业 {int(cluster[1])} 家")
    if P.investor[i] >= 0:
        bits.append(f"投资方的供应商/客户 {int(cluster[2])} 家")
    return f"{ctx.region_name(city) or '所在地'}已有" + "、".join(bits)
