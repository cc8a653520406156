"""土地超市 batch assignment: N projects × M parcels → the one-to-one assignment with the largest total score.

Maximise the total score over feasible pairs, one parcel per project and one project per parcel, unmatched
allowed. Each project gets a private dummy column of score 0 so leaving it unmatched is always possible and an
infeasible pair is never needed; infeasible pairs are simply not edges. The reduced problem (only projects and
parcels with at least one feasible pair) is solved exactly, by sparse LAPJV when few pairs are feasible and by
scipy's linear_sum_assignment on the dense matrix otherwise (optimal_assignment).

Speed: a batch never builds the N × M grid: feasible_pairs turns status, chain and area into index ranges and
filters the remaining candidate pairs rule by rule; scores are computed on the feasible pairs only.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from land.checks import explain_checks
from land.data import LandData
from land.ranking import parcel_brief, project_brief
from land.reasons import explain_components
from land.rules import FILTER_ORDER, filter_pairs, now_seconds
from land.scoring import DEFAULT_SCALES, LandWeights, ScoreScales, score_pairs
from land.text import num


def feasible_pairs(data: LandData, projects: np.ndarray | None = None, parcels: np.ndarray | None = None, *,
                   now: dt.datetime | None = None, block: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """All feasible (project, parcel) index pairs among the given rows, without a full N × M grid.

    Three rules become index ranges instead of pair tests: only open parcels are candidates (status), projects
    are grouped by chain and see only the parcels whose 产业准入 admits that chain (chain), and within a group the
    parcels are sorted by area so each project's need is a contiguous range (area). The remaining rules run on
    those candidate pairs, most selective first, dropping failures as they go (filter_pairs)."""
    P, Q = data.projects, data.parcels
    now_s = now_seconds(now)
    pi_all = np.arange(len(P)) if projects is None else np.asarray(projects, dtype=np.int64)
    qi_all = np.arange(len(Q)) if parcels is None else np.asarray(parcels, dtype=np.int64)
    # parcels nobody can take (transferred, or reserved and not expired) only stay for the project holding them
    avail = Q.available(now_s)[qi_all]
    held = qi_all[~avail & (Q.status[qi_all] == 1)]
    qi_open = qi_all[avail]
    qi_open = qi_open[np.argsort(Q.area[qi_open], kind="stable")]
    out_p: list[np.ndarray] = []
    out_q: list[np.ndarray] = []
    chains = P.chain[pi_all]
    for c in np.unique(chains).tolist():
        group = pi_all[chains == c]
        order = qi_open[Q.chain_any[qi_open] | Q.chain_allowed[qi_open, c]]  # c = -1 reads the pad column (False)
        if order.size == 0:
            continue
        sorted_area = Q.area[order]
        for b in range(0, len(group), block):
            pb = group[b:b + block]
            lo = np.searchsorted(sorted_area, P.land_lo[pb], side="left")
            hi = np.searchsorted(sorted_area, P.land_hi[pb], side="right")
            lens = np.maximum(hi - lo, 0)
            tot = int(lens.sum())
            if tot == 0:
                continue
            rows = np.repeat(pb, lens)
            starts = np.repeat(lo - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
            cols = order[np.arange(tot) + starts]
            rows, cols = filter_pairs(P, Q, rows, cols, now_s, FILTER_ORDER)
            out_p.append(rows)
            out_q.append(cols)
    if held.size and len(pi_all):  # reservations held by projects in the batch
        holders = np.asarray([P.pos(k) for k in Q.reserved_by[held].tolist()], dtype=np.int64)
        in_batch = np.isin(holders, pi_all) & (holders >= 0)
        if in_batch.any():
            rows, cols = filter_pairs(P, Q, holders[in_batch], held[in_batch], now_s)
            out_p.append(rows)
            out_q.append(cols)
    if not out_p:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(out_p), np.concatenate(out_q)


DENSE_ASSIGN_CELLS = 30_000_000  # the dense solver's cost matrix (float64) stays under ~240 MB
DENSE_ASSIGN_MIN_DENSITY = 0.02


def _compact(ids: np.ndarray) -> tuple[np.ndarray, int]:
    """Non-negative ids → dense 0..k-1 codes (in id order) and k, by a presence table instead of a sort."""
    present = np.zeros(int(ids.max()) + 1, dtype=bool)
    present[ids] = True
    code = np.cumsum(present) - 1
    return code[ids], int(present.sum())


def solver_for(n_edges: int, n_rows: int, n_cols: int) -> str:
    """The solver "auto" picks for a reduced problem of this size (see optimal_assignment)."""
    dense = n_rows * (n_cols + n_rows) <= DENSE_ASSIGN_CELLS and n_edges >= DENSE_ASSIGN_MIN_DENSITY * n_rows * n_cols
    return "dense" if dense else "sparse"


def optimal_assignment(rows: np.ndarray, cols: np.ndarray, scores: np.ndarray, *,
                       method: str = "auto") -> tuple[np.ndarray, float]:
    """Maximum-total-score one-to-one matching over the given (row, col, score) edges; unmatched allowed.

    Returns (edge indices chosen, total score). Only rows and columns with an edge take part. Every row gets a
    private dummy column of score 0, so a full matching of the rows always exists and no non-edge is ever
    needed; maximising the total score is then the rectangular assignment problem on costs C0 − score
    (dummy: C0), which both solvers answer exactly:
      sparse  LAPJVsp (scipy.sparse.csgraph.min_weight_full_bipartite_matching) on the edges only; C0 = max
              score + 1 keeps every cost positive (it needs non-zero weights). Fast when few pairs are feasible.
      dense   linear_sum_assignment on the rows × (columns + dummies) matrix, +inf for non-edges. Faster once
              a good share of the pairs is feasible.
    "auto" takes dense when at least DENSE_ASSIGN_MIN_DENSITY of the reduced grid are edges and the matrix has
    at most DENSE_ASSIGN_CELLS cells."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    if rows.size == 0:
        return np.zeros(0, np.int64), 0.0
    r, nr = _compact(rows)
    c, nc = _compact(cols)
    width = nc + nr
    if method == "auto":
        method = solver_for(rows.size, nr, nc)
    if method == "dense":
        ids = np.full((nr, nc), -1, dtype=np.int64)
        ids[r, c] = np.arange(rows.size)
        if np.count_nonzero(ids >= 0) != rows.size:
            raise ValueError("重复的 (项目, 地块) 组合")
        cost = np.full((nr, width), np.inf)
        cost[r, c] = -scores
        cost[np.arange(nr), nc + np.arange(nr)] = 0.0
        row_ind, col_ind = linear_sum_assignment(cost)
        del cost
        real = col_ind < nc
        chosen = ids[row_ind[real], col_ind[real]]
        return chosen, float(scores[chosen].sum())
    if method != "sparse":
        raise ValueError(f"unknown method {method!r}")
    key = r * width + c
    if np.unique(key).size != key.size:
        raise ValueError("重复的 (项目, 地块) 组合")
    c0 = float(scores.max()) + 1.0  # any scores, negative ones too: every cost C0 − score ≥ 1
    # real edges and one dummy per row, sorted by (row, col): these are the CSR arrays directly
    dkey = np.arange(nr, dtype=np.int64) * width + nc + np.arange(nr)
    allkey = np.concatenate([key, dkey])
    allw = np.concatenate([c0 - scores, np.full(nr, c0)])
    edge = np.concatenate([np.arange(len(rows)), np.full(nr, -1)])
    o = np.argsort(allkey, kind="stable")
    allkey, allw, edge = allkey[o], allw[o], edge[o]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(allkey // width, minlength=nr))])
    g = sp.csr_matrix((allw, allkey % width, indptr), shape=(nr, width))
    row_ind, col_ind = min_weight_full_bipartite_matching(g)
    chosen = edge[np.searchsorted(allkey, row_ind.astype(np.int64) * width + col_ind)]
    chosen = chosen[chosen >= 0]
    return chosen, float(scores[chosen].sum())


@dataclass
class Assignment:
    """A batch result: the chosen pairs, every feasible pair with its score, and the unmatched projects."""

    data: LandData
    pair_projects: np.ndarray  # every feasible pair …
    pair_parcels: np.ndarray
    pair_scores: np.ndarray
    pair_components: np.ndarray
    chosen: np.ndarray  # indices into the pair arrays
    total_score: float
    projects: np.ndarray  # the projects considered
    parcels: np.ndarray  # the parcels considered
    weights: LandWeights
    now_s: float
    scales: ScoreScales = DEFAULT_SCALES

    @property
    def unmatched(self) -> np.ndarray:
        return np.setdiff1d(self.projects, self.pair_projects[self.chosen])

    def pair_dicts(self, edges: Sequence[int], *, explain: bool = True) -> list[dict[str, Any]]:
        d = self.data
        edges = np.asarray(edges, dtype=np.int64)
        pi, qi = self.pair_projects[edges], self.pair_parcels[edges]
        breakdowns = (explain_components(d.projects, d.parcels, d.ctx, pi, qi, self.pair_components[edges], self.weights,
                                         self.scales)
                      if explain else [None] * len(edges))
        out = []
        for e, i, j, bd in zip(edges.tolist(), pi.tolist(), qi.tolist(), breakdowns):
            row = {"project": str(d.projects.keys[i]), "project_name": str(d.projects.names[i]),
                   **parcel_brief(d, j), "score": round(float(self.pair_scores[e]), 2)}
            if explain:
                row["breakdown"] = bd
                row["checks"] = [c.as_dict() for c in explain_checks(d.projects, d.parcels, d.ctx, i, j, 0, self.now_s)]
            out.append(row)
        return out

    def unmatched_dicts(self) -> list[dict[str, Any]]:
        d = self.data
        n_pairs = np.bincount(self.pair_projects, minlength=len(d.projects)) if len(self.pair_projects) else \
            np.zeros(len(d.projects), dtype=np.int64)
        best: dict[int, int] = {}
        if len(self.pair_projects):
            order = np.lexsort((-self.pair_scores, self.pair_projects))
            first = np.concatenate([[True], self.pair_projects[order][1:] != self.pair_projects[order][:-1]])
            best = dict(zip(self.pair_projects[order][first].tolist(), order[first].tolist()))
        out = []
        for i in self.unmatched.tolist():
            if n_pairs[i]:
                e = best[i]
                reason = (f"有 {int(n_pairs[i])} 块可行地块，但都分配给了其他项目（全局总分最优）；其中得分最高的是"
                          f"「{d.parcels.names[self.pair_parcels[e]]}」（{num(round(float(self.pair_scores[e]), 2))} 分）")
            else:
                reason = "没有满足硬性条件的地块（可用 /land/match 查看每块地的不符原因）"
            out.append({**project_brief(d, i), "reason": reason})
        return out

    def as_dict(self, *, explain: bool = True, include_pairs: bool = False) -> dict[str, Any]:
        chosen = sorted(self.chosen.tolist(), key=lambda e: (-self.pair_scores[e], str(self.data.projects.keys[self.pair_projects[e]])))
        out = {
            "total_score": round(self.total_score, 2),
            "assigned": self.pair_dicts(chosen, explain=explain),
            "unmatched": self.unmatched_dicts(),
            "counts": {"projects": int(len(self.projects)), "parcels": int(len(self.parcels)),
                       "feasible_pairs": int(len(self.pair_scores)), "assigned": int(len(self.chosen))},
        }
        if include_pairs:
            out["pairs"] = [{"project": str(self.data.projects.keys[self.pair_projects[e]]),
                             "parcel": str(self.data.parcels.keys[self.pair_parcels[e]]),
                             "score": round(float(self.pair_scores[e]), 4)} for e in range(len(self.pair_scores))]
        return out


def assign(data: LandData, *, projects: np.ndarray | None = None, parcels: np.ndarray | None = None,
           weights: LandWeights | None = None, now: dt.datetime | None = None,
           scales: ScoreScales = DEFAULT_SCALES) -> Assignment:
    """N projects × M parcels → the one-to-one assignment with the largest total score over feasible pairs."""
    weights = weights or LandWeights()
    now_s = now_seconds(now)
    P, Q = data.projects, data.parcels
    pi_all = np.arange(len(P)) if projects is None else np.unique(np.asarray(projects, dtype=np.int64))
    qi_all = np.arange(len(Q)) if parcels is None else np.unique(np.asarray(parcels, dtype=np.int64))
    pp, qq = feasible_pairs(data, pi_all, qi_all, now=now)
    total, comps = score_pairs(P, Q, data.ctx, pp, qq, weights, scales)
    chosen, best = optimal_assignment(pp, qq, total)
    return Assignment(data, pp, qq, total, comps, chosen, best, pi_all, qi_all, weights, now_s, scales)

