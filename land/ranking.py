"""土地超市 rankings in both directions: 项目找地 (a project → parcels) and 地等项目 (a parcel → projects).

Feasible partners come ranked by score with their breakdown and checks; infeasible ones with the failed rules,
the near misses (fewest failed rules) first; counts say how many each rule excluded. The same pair gets the same
score and reasons in both directions.

Between the two, the 可能符合，待核实 tier (`to_verify`): pairs that break no rule on known facts but have rules
that could not be checked because a fact is missing on the project or the parcel (land.rules.unknown_pairs) —
ranked by how little is left to check, then by score, each with the list of what must be checked ("待核实：亩均税收
（项目未填）"). `infeasible` keeps its meaning (every pair that does not meet all the rules, as the API always
answered); `excluded` is its part that fails on known facts, which the pages list as 不符合.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from land.checks import explain_checks, verify_summary
from land.data import LandData
from land.reasons import explain_components
from land.rules import LANDED_STAGES, RULE_BIT, RULES, check_pairs, now_seconds, unknown_pairs
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
    to_verify: list[dict[str, Any]] = field(default_factory=list)  # 可能符合，待核实
    excluded: list[dict[str, Any]] = field(default_factory=list)  # fails on known facts (near misses first)

    def as_dict(self) -> dict[str, Any]:
        return {"subject": self.subject, "feasible": self.feasible, "infeasible": self.infeasible,
                "to_verify": self.to_verify, "counts": self.counts}


@dataclass
class _Pairs:
    """The candidate pairs of one ranking: project pi[k] with parcel qi[k]; `partner` is the side being ranked."""

    data: LandData
    pi: np.ndarray
    qi: np.ndarray
    partner: np.ndarray
    brief: Any  # parcel_brief or project_brief, for the partner
    now_s: float
    weights: LandWeights | None
    scales: ScoreScales

    def checks(self, r: int, bits: int, **kw: Any) -> list[dict[str, Any]]:
        d = self.data
        return [c.as_dict() for c in explain_checks(d.projects, d.parcels, d.ctx, int(self.pi[r]), int(self.qi[r]),
                                                    bits, self.now_s, **kw)]

    def scored(self, rows: np.ndarray, first: np.ndarray | None, limit: int) -> tuple[list[tuple[int, dict]], int]:
        """rows ranked by (`first` ascending when given, then score descending, then partner): the top `limit`
        as (row, brief + score + breakdown)."""
        d = self.data
        total, comps = score_pairs(d.projects, d.parcels, d.ctx, self.pi[rows], self.qi[rows], self.weights,
                                   self.scales)
        keys = (self.partner[rows], -total) + ((first,) if first is not None else ())
        order = np.lexsort(keys)[:limit]
        bds = explain_components(d.projects, d.parcels, d.ctx, self.pi[rows[order]], self.qi[rows[order]],
                                 comps[order], self.weights, self.scales)
        return [(int(rows[o]), {**self.brief(d, int(self.partner[rows[o]])), "score": round(float(total[o]), 2),
                                "breakdown": bd}) for o, bd in zip(order, bds)], len(rows)

    def failures(self, rows: np.ndarray, bits: np.ndarray, unknown: np.ndarray | None, limit: int) -> list[dict]:
        """The near misses first (fewest failed rules), each with its failed rules (those of `unknown` as 待核实)."""
        out = []
        for r in rows[_near_miss_order(bits[rows])][:limit]:
            kw = {"unknown": int(unknown[r])} if unknown is not None else {}
            out.append({**self.brief(self.data, int(self.partner[r])),
                        "failures": self.checks(r, int(bits[r]), failures_only=True, **kw)})
        return out


def _tiers(pairs: _Pairs, *, limit: int, infeasible_limit: int) -> tuple[list, list, list, list, dict[str, Any]]:
    """(feasible, to_verify, infeasible, excluded, counts) of the candidate pairs."""
    d = pairs.data
    bits = check_pairs(d.projects, d.parcels, pairs.pi, pairs.qi, pairs.now_s)
    unknown = unknown_pairs(d.projects, d.parcels, pairs.pi, pairs.qi) & bits
    known = bits & ~unknown
    ok = bits == 0
    maybe = np.nonzero(~ok & (known == 0))[0]
    feasible = [{**item, "checks": pairs.checks(r, 0)}
                for r, item in pairs.scored(np.nonzero(ok)[0], None, limit)[0]]
    to_verify = []
    n_unknown = np.bitwise_count(unknown[maybe].astype(np.uint32))
    for r, item in pairs.scored(maybe, n_unknown, limit)[0]:
        checks = pairs.checks(r, int(bits[r]), unknown=int(unknown[r]))
        to_verify.append({**item, "verify": [c for c in checks if c["outcome"] == "verify"],
                          "summary": verify_summary(checks), "checks": checks})
    bad = np.nonzero(~ok)[0]
    infeasible = pairs.failures(bad, bits, None, infeasible_limit)
    excluded = pairs.failures(np.nonzero(known != 0)[0], bits, unknown, infeasible_limit)
    counts = {"candidates": int(len(bits)), "feasible": int(ok.sum()), "infeasible": int((~ok).sum()),
              "to_verify": int(len(maybe)), "excluded": int(np.count_nonzero(known)),
              "excluded_by_rule": _fail_summary(bits[~ok])}
    return feasible, to_verify, infeasible, excluded, counts


def rank_parcels(data: LandData, project: int, *, weights: LandWeights | None = None, now: dt.datetime | None = None,
                 parcels: np.ndarray | None = None, limit: int = 20, infeasible_limit: int = 50,
                 include_transferred: bool = False, scales: ScoreScales = DEFAULT_SCALES) -> Ranking:
    """Project → parcels: feasible ones ranked by score with breakdown and checks, the 待核实 tier, infeasible
    ones with the failed rules (near misses first). `parcels` restricts the candidates (indices into data.parcels)."""
    Q = data.parcels
    qi = np.arange(len(Q)) if parcels is None else np.asarray(parcels, dtype=np.int64)
    hidden = 0
    if not include_transferred:
        keep = Q.status[qi] != 2
        hidden = int((~keep).sum())
        qi = qi[keep]
    pi = np.full(len(qi), project, dtype=np.int64)
    pairs = _Pairs(data, pi, qi, qi, parcel_brief, now_seconds(now), weights, scales)
    feasible, to_verify, infeasible, excluded, counts = _tiers(pairs, limit=limit, infeasible_limit=infeasible_limit)
    counts = {**counts, "transferred_hidden": hidden}
    return Ranking(project_brief(data, project), feasible, infeasible, counts, to_verify, excluded)


def rank_projects(data: LandData, parcel: int, *, weights: LandWeights | None = None, now: dt.datetime | None = None,
                  limit: int = 20, infeasible_limit: int = 50, include_landed: bool = False,
                  scales: ScoreScales = DEFAULT_SCALES) -> Ranking:
    """Parcel → projects (地等项目): the projects that may take this parcel, ranked, the 待核实 tier, and why not
    the others. Projects at 开工/投产/达产 already have their land and are left out unless include_landed."""
    P = data.projects
    pi = np.arange(len(P))
    hidden = 0
    if not include_landed and len(P):
        keep = ~np.isin(P.stage, LANDED_STAGES)
        hidden = int((~keep).sum())
        pi = pi[keep]
    qi = np.full(len(pi), parcel, dtype=np.int64)
    pairs = _Pairs(data, pi, qi, pi, project_brief, now_seconds(now), weights, scales)
    feasible, to_verify, infeasible, excluded, counts = _tiers(pairs, limit=limit, infeasible_limit=infeasible_limit)
    counts = {**counts, "landed_hidden": hidden}
    return Ranking(parcel_brief(data, parcel), feasible, infeasible, counts, to_verify, excluded)
