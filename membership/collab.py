"""Collaborative signals of the membership recommender: what a firm's other (visible) segments say about segment s.

Where a chain's firms sit in several 环节 at once (a city's 产业链图谱: a firm supplies cathodes *and* cells), the
segments a firm is already known in are the strongest evidence for the ones still unknown. Two models over the
firm × segment 0/1 matrix X of visible memberships:

- EASE (an item-item linear autoencoder with a closed form): P = (XᵀX + λI)⁻¹, B = I − P·diag(1/diag(P)) (zero
  diagonal), score(e, s) = (X_e B)_s. λ is chosen on the ranker's inner hold-out (`choose_lambda`), never on
  the evaluation split.
- item-item cosine: score(e, s) = Σ_t X_et · cos(t, s), cos over the segments' member columns.

A firm with no visible membership gets 0 from both (nothing to go on): on single-assignment data (one industry
per firm, like ChainKG) these signals are silent for exactly the firms the protocol hides, so the regime
detector leaves them out there (membership/regime.py).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

LAMBDA_GRID = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)
DEFAULT_LAMBDA = 10.0


def ease_matrix(M: sp.spmatrix, lam: float) -> np.ndarray:
    """EASE's segment × segment weights for the visible memberships M (firms × segments)."""
    G = np.asarray((M.T @ M).todense(), dtype=np.float64)
    G[np.diag_indices_from(G)] += lam
    P = np.linalg.inv(G)
    B = -P / np.diag(P)[None, :]
    np.fill_diagonal(B, 0.0)
    return B


def cosine_matrix(M: sp.spmatrix) -> np.ndarray:
    """Cosine between segments' member columns (zero diagonal)."""
    C = np.asarray((M.T @ M).todense(), dtype=np.float64)
    d = np.sqrt(np.maximum(np.diag(C), 1e-12))
    S = C / d[:, None] / d[None, :]
    np.fill_diagonal(S, 0.0)
    return S


def _ndcg_at(Z: np.ndarray, M: sp.csr_matrix, hidden: dict[int, np.ndarray], k: int = 10) -> float:
    """Mean NDCG@k over the inner-hidden segments of the score matrix Z (visible members never ranked)."""
    Z = Z.copy()
    coo = M.tocoo()
    Z[coo.row, coo.col] = -np.inf
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    out = []
    for s, rel in hidden.items():
        col = Z[:, s]
        top = np.argpartition(-col, min(k, len(col) - 1))[:k]
        top = top[np.lexsort((top, -col[top]))]
        hit = np.isin(top, rel)
        out.append((disc[: len(top)] * hit).sum() / disc[: min(len(rel), k)].sum())
    return float(np.mean(out)) if out else 0.0


def choose_lambda(M_in: sp.csr_matrix, hidden: dict[int, np.ndarray], grid=LAMBDA_GRID) -> float:
    """The λ of the grid whose EASE best ranks the inner-hidden members (NDCG@10; ties → the larger λ, the
    smoother model). Only inner-visible memberships are used to fit, only inner-hidden ones to score."""
    if not hidden or M_in.nnz == 0:
        return DEFAULT_LAMBDA
    best, best_lam = -1.0, DEFAULT_LAMBDA
    for lam in sorted(grid, reverse=True):
        score = _ndcg_at(np.asarray(M_in @ ease_matrix(M_in, lam)), M_in, hidden)
        if score > best + 1e-9:
            best, best_lam = score, lam
    return best_lam


class SetCompletion:
    """How often the visible firms whose segment set is exactly U ∪ {s} outnumber those whose set is U: the
    posterior that a firm seen in U is also (unknown to the data) in s.

    A city's 产业链图谱 repeats a few shapes — a firm supplies a run of adjacent 环节 (正极材料 + 电芯, or 电芯 + 模组 +
    电池包) — so the exact set a firm is known in says more than each of its segments alone (EASE and item-item
    cosine add segment by segment). If a membership goes unrecorded with some small rate q, a firm seen in U is in
    U ∪ {s} with odds ≈ q · n(U ∪ {s}) / n(U), n counted over the visible firms. Rare sets back off to the
    pairwise co-membership rate: score(e, s) = log(n(U ∪ {s}) + α·b(U, s)) − log(n(U) + α), b(U, s) = the mean over
    t ∈ U of P(s | t) (for U = ∅ the share of firms in s). Only visible memberships are counted.
    """

    def __init__(self, M: sp.spmatrix, alpha: float = 1.0):
        M = sp.csr_matrix(M)
        self.M, self.alpha = M, alpha
        ns = M.shape[1]
        keys = [tuple(M.indices[M.indptr[i]:M.indptr[i + 1]].tolist()) for i in range(M.shape[0])]
        self.keys_ = keys
        counts: dict[tuple[int, ...], int] = {}
        for k in keys:
            counts[k] = counts.get(k, 0) + 1
        self.counts_ = counts
        completion: dict[tuple[int, ...], np.ndarray] = {}
        for k, c in counts.items():  # n(U ∪ {s}) added to U = k − {s} for every s in k
            for j, s in enumerate(k):
                sub = k[:j] + k[j + 1:]
                if sub not in completion:
                    completion[sub] = np.zeros(ns)
                completion[sub][s] += c
        self.completion_ = completion
        C = np.asarray((M.T @ M).todense(), dtype=np.float64)
        diag = np.diag(C).copy()
        P = C / np.maximum(diag, 1.0)[:, None]
        np.fill_diagonal(P, 0.0)
        self.pair_ = P
        self.base_ = diag / max(M.shape[0], 1)

    def block(self, rows: np.ndarray) -> np.ndarray:
        """score(e, s) for firms `rows` × all segments."""
        ns = self.M.shape[1]
        out = np.empty((len(rows), ns))
        cache: dict[tuple[int, ...], np.ndarray] = {}
        for i, e in enumerate(rows):
            k = self.keys_[e]
            if k not in cache:
                b = self.pair_[list(k)].mean(axis=0) if k else self.base_
                comp = self.completion_.get(k, np.zeros(ns))
                cache[k] = np.log(comp + self.alpha * b + 1e-9) - np.log(self.counts_.get(k, 0) + self.alpha)
            out[i] = cache[k]
        return out
