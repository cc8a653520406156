"""土地超市 rankings in both directions: 项目找地 (a project → parcels) and 地等项目 (a parcel → projects).

Feasible partners come ranked by score with their breakdown and checks; infeasible ones with the failed rules,
the near misses (fewest failed rules) first; counts say how many each rule excluded. The same pair gets the same
score and reasons in both directions.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from land.checks import explain_checks
from land.data import LandData
from land.reasons import explain_components
from land.rules import LANDED_STAGES, RULE_BIT, RULES, check_pairs, now_seconds
from land.scoring import DEFAULT_SCALES, LandWeights, ScoreScales, score_pairs
from land.text import land_use_text


# ------------------------------------------------------------------------------------------------ results
def parcel_brief(data: LandData, j: int) -> dict[str, Any]:
    Q, ctx = data.parcels, data.ctx
    pk = int(Q.park[j])
    st = ("available", "reserved", "transferred")[int(Q.status[j])]
    return {
        "parcel": str(Q.keys[j]), "name": str(Q.names[j]), "park": str(ctx.parks.keys[pk]) if pk >= 0 else None,
        "park_name": ctx.park_name(pk) or None, "region": ctx.region_name(int(Q.region[j])) or None,
        "area_mu": _float(Q.area[j]), "price_wan_per_mu": _float(Q.num["price_wan_per_mu"][j]),
        "land_use": land_use_text(int(Q.land_use[j])), "readiness": str(Q.readiness[j]) or None, "status": st,
    }


def project_brief(data: LandData, i: int) -> dict[str, Any]:
    P, ctx = data.projects, data.ctx
    c = int(P.chain[i])
    return {
        "project": str(P.keys[i]), "name": str(P.names[i]), "chain": ctx.chain_name(c) or None,
        "stage": str(P.stage[i]) or None, "total_investment_wan": _float(P.num["total_investment_wan"][i]),
        "land_min_mu": _float(P.num["land_min_mu"][i]), "land_max_mu": _float(P.num["land_max_mu"][i]),
    }


def _float(x: float) -> float | None:
    x = float(x)
    return None if math.isnan(x) else x


def _fail_summary(bits: np.ndarray) -> dict[str, int]:
    out = {}
    for name, label in RULES:
        n = int(np.count_nonzero(bits & RULE_BIT[name]))
        if n:
            out[label] = n
    return out


def _near_miss_order(bits: np.ndarray) -> np.ndarray:
    """Infeasible first by fewest failed rules (the near misses), then by position."""
    return np.lexsort((np.arange(len(bits)), np.bitwise_count(bits.astype(np.uint32))))


@dataclass
class Ranking:
    """A ranked answer in one direction, ready for JSON."""

    subject: dict[str, Any]
    feasible: list[dict[str, Any]]
    infeasible: list[dict[str, Any]]
    counts: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"subject": self.subject, "feasible": self.feasible, "infeasible": self.infeasible, "counts": self.counts}


def rank_parcels(data: LandData, project: int, *, weights: LandWeights | None = None, now: dt.datetime | None = None,
                 parcels: np.ndarray | None = None, limit: int = 20, infeasible_limit: int = 50,
                 include_transferred: bool = False, scales: ScoreScales = DEFAULT_SCALES) -> Ranking:
    """Project → parcels: feasible ones ranked by score with breakdown and checks, infeasible ones with the
    failed rules (near misses first). `parcels` restricts the candidates (indices into data.parcels)."""
    P, Q, ctx = data.projects, data.parcels, data.ctx
    now_s = now_seconds(now)
    qi = np.arange(len(Q)) if parcels is None else np.asarray(parcels, dtype=np.int64)
    hidden = 0
    if not include_transferred:
        keep = Q.status[qi] != 2
        hidden = int((~keep).sum())
        qi = qi[keep]
    pi = np.full(len(qi), project, dtype=np.int64)
    bits = check_pairs(P, Q, pi, qi, now_s)
    ok = bits == 0
    fq = qi[ok]
    total, comps = score_pairs(P, Q, ctx, pi[ok], fq, weights, scales)
    order = np.lexsort((fq, -total))[:limit]
    breakdowns = explain_components(P, Q, ctx, np.full(len(order), project), fq[order], comps[order], weights, scales)
    feasible = []
    for r, bd in zip(order, breakdowns):
        j = int(fq[r])
        feasible.append({**parcel_brief(data, j), "score": round(float(total[r]), 2), "breakdown": bd,
                         "checks": [c.as_dict() for c in explain_checks(P, Q, ctx, project, j, 0, now_s)]})
    bad = np.nonzero(~ok)[0]
    infeasible = []
    for r in bad[_near_miss_order(bits[bad])][:infeasible_limit]:
        j = int(qi[r])
        infeasible.append({**parcel_brief(data, j), "failures": [
            c.as_dict() for c in explain_checks(P, Q, ctx, project, j, int(bits[r]), now_s, failures_only=True)]})
    counts = {"candidates": int(len(qi)), "feasible": int(ok.sum()), "infeasible": int((~ok).sum()),
              "transferred_hidden": hidden, "excluded_by_rule": _fail_summary(bits[~ok])}
    return Ranking(project_brief(data, project), feasible, infeasible, counts)


def rank_projects(data: LandData, parcel: int, *, weights: LandWeights | None = None, now: dt.datetime | None = None,
                  limit: int = 20, infeasible_limit: int = 50, include_landed: bool = False,
                  scales: ScoreScales = DEFAULT_SCALES) -> Ranking:
    """Parcel → projects (地等项目): the projects that may take this parcel, ranked, and why not the others.
    Projects at 开工/投产/达产 already have their land and are left out unless include_landed."""
    P, Q, ctx = data.projects, data.parcels, data.ctx
    now_s = now_seconds(now)
    pi = np.arange(len(P))
    hidden = 0
    if not include_landed and len(P):
        keep = ~np.isin(P.stage, LANDED_STAGES)
        hidden = int((~keep).sum())
        pi = pi[keep]
    qi = np.full(len(pi), parcel, dtype=np.int64)
    bits = check_pairs(P, Q, pi, qi, now_s)
    ok = bits == 0
    fp = pi[ok]
    total, comps = score_pairs(P, Q, ctx, fp, qi[ok], weights, scales)
    order = np.lexsort((fp, -total))[:limit]
    breakdowns = explain_components(P, Q, ctx, fp[order], np.full(len(order), parcel), comps[order], weights, scales)
    feasible = []
    for r, bd in zip(order, breakdowns):
        i = int(fp[r])
        feasible.append({**project_brief(data, i), "score": round(float(total[r]), 2), "breakdown": bd,
                         "checks": [c.as_dict() for c in explain_checks(P, Q, ctx, i, parcel, 0, now_s)]})
    bad = np.nonzero(~ok)[0]
    infeasible = []
    for r in bad[_near_miss_order(bits[bad])][:infeasible_limit]:
        i = int(pi[r])
        infeasible.append({**project_brief(data, i), "failures": [
            c.as_dict() for c in explain_checks(P, Q, ctx, i, parcel, int(bits[r]), now_s, failures_only=True)]})
    counts = {"candidates": int(len(pi)), "feasible": int(ok.sum()), "infeasible": int((~ok).sum()),
              "landed_hidden": hidden, "excluded_by_rule": _fail_summary(bits[~ok])}
    return Ranking(parcel_brief(data, parcel), feasible, infeasible, counts)

