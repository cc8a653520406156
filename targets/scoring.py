"""The ranking core of the target recommender (a mixin of TargetEngine): the candidates of target segments,
their feature rows, scores (Σ w·(x−μ)/σ), the top k by argpartition, and each listed firm as a TargetItem with
its reasons (reasons.py). A warm query touches only the candidates' rows.

The 0–100 score an officer sees (TargetItem.score_100) is 100 / (1 + e^−(score − baseline)): the baseline is the
score of a firm that is a known member of the target segment and nothing else (small, no tie, no fund, no signal,
location unknown, no local gap) — it gets 50; each unit of score above it (a log-odds unit when the weights are
learned) moves the firm towards 100. The raw score stays in `score` and decides the order."""
from __future__ import annotations

import math
from functools import cached_property
from typing import Sequence

import numpy as np

from graph.schema import SIZES
from targets import reasons as rs
from targets.model import F, FEATURES
from targets.region import REGIONAL, REGIONAL_COLS, STATIC_COLS, RegionState
from targets.results import TargetItem


class ScoringMixin:
    """Scoring and ranking over the engine's arrays (`self` is a TargetEngine)."""

    def features(self, st: RegionState, cand: np.ndarray, fit: np.ndarray, seg: np.ndarray) -> np.ndarray:
        """The feature matrix (len(cand) × FEATURES) of candidates for their target segment `seg`."""
        n = len(cand)
        X = np.empty((n, len(FEATURES)), dtype=np.float64)
        X[:, F["segment_fit"]] = fit
        if n:
            need = st.need[seg] if st.need is not None else np.full(n, np.nan)
            X[:, F["need"]] = np.nan_to_num(need, nan=0.0)
            sc = self.idx.seg_chain[seg]
            X[:, F["park_fit"]] = (sc >= 0) & (st.chain_park[np.maximum(sc, 0)] >= 0)
            X[:, STATIC_COLS] = self.static[cand]
            X[:, REGIONAL_COLS] = st.reg[cand]
        return X

    def score(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(scores, standardised values with unknowns set to 0) for a feature matrix."""
        w = self.weights
        Z = (X - w.mean) / w.std
        np.nan_to_num(Z, copy=False, nan=0.0)
        return Z @ w.w, Z

    @cached_property
    def baseline_score(self) -> float:
        """The score of a known member of the target segment with nothing else going for it (= 50 of 100)."""
        x0 = np.zeros((1, len(FEATURES)))
        x0[0, F["segment_fit"]] = 1.0
        x0[0, F["size"]] = 1.0 / 3.0  # unknown size counts as 小型
        x0[0, F["proximity"]] = np.nan  # unknown location: neutral
        return float(self.score(x0)[0][0])

    def score_100(self, score: float) -> int:
        """The raw score on the 0–100 scale of the module docstring."""
        z = min(max(score - self.baseline_score, -50.0), 50.0)
        return int(round(100.0 / (1.0 + math.exp(-z))))

    # ------------------------------------------------------------------------------------------ candidates
    def candidates_for(self, segs: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(firms, their best segment among `segs`, its fit) for every firm with a positive fit to one of them."""
        fit = self.fit
        parts_r, parts_s, parts_v = [], [], []
        for s in segs:
            lo, hi = fit.indptr[s], fit.indptr[s + 1]
            parts_r.append(fit.indices[lo:hi])
            parts_v.append(fit.data[lo:hi])
            parts_s.append(np.full(hi - lo, s, dtype=np.int64))
        if not parts_r:
            z = np.zeros(0, np.int64)
            return z, z, np.zeros(0)
        rows, ss, vals = np.concatenate(parts_r), np.concatenate(parts_s), np.concatenate(parts_v)
        if len(segs) == 1:
            keep = vals > 0
            return rows[keep].astype(np.int64), ss[keep], vals[keep]
        order = np.lexsort((-vals, rows))
        rows, ss, vals = rows[order], ss[order], vals[order]
        first = np.r_[True, rows[1:] != rows[:-1]] if len(rows) else np.zeros(0, bool)
        keep = first & (vals > 0)
        return rows[keep].astype(np.int64), ss[keep], vals[keep]

    def best_segment(self, firms: np.ndarray, segs: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """For given firms: (best segment among `segs` or the firm's heaviest segment when it fits none, fit)."""
        n = len(firms)
        best = np.full(n, -1, dtype=np.int64)
        val = np.zeros(n)
        segset = np.asarray(sorted(set(int(s) for s in segs)), dtype=np.int64)
        fc = self.fit_csr
        for i, e in enumerate(firms.tolist()):
            lo, hi = fc.indptr[e], fc.indptr[e + 1]
            ss, vv = fc.indices[lo:hi], fc.data[lo:hi]
            if not len(ss):
                continue
            inn = np.isin(ss, segset)
            if inn.any():
                j = np.flatnonzero(inn)[np.argmax(vv[inn])]
                best[i], val[i] = ss[j], vv[j]
            else:
                best[i] = ss[np.argmax(vv)]
        return best, val

    # ------------------------------------------------------------------------------------------ ranking core
    def fast_scores(self, st: RegionState, cand: np.ndarray, fit: np.ndarray,
                    seg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(scores, which features vary among the candidates) without materialising the full feature matrix: two
        row gathers (static and regional blocks) and small mat-vecs with w/σ; unknown proximity scores as its centre."""
        w = self.weights
        ws = w.scaled
        Sc = self.static[cand]
        Rc = st.reg[cand]
        j_prox = REGIONAL.index("proximity")
        miss = np.isnan(Rc[:, j_prox])
        if miss.any():
            Rc[miss, j_prox] = w.mean[F["proximity"]]
        segq = np.maximum(seg, 0)
        need = np.where(seg >= 0, np.nan_to_num(st.need[segq], nan=0.0), 0.0)
        sc = self.idx.seg_chain[segq]
        park = ((seg >= 0) & (sc >= 0) & (st.chain_park[np.maximum(sc, 0)] >= 0)).astype(np.float64)
        score = (fit * ws[F["segment_fit"]] + need * ws[F["need"]] + park * ws[F["park_fit"]]
                 + Sc @ ws[STATIC_COLS].astype(np.float32) + Rc @ ws[REGIONAL_COLS].astype(np.float32)) - w.offset
        varies = np.zeros(len(FEATURES), dtype=bool)
        if len(cand):
            for j, col in ((F["segment_fit"], fit), (F["need"], need), (F["park_fit"], park)):
                varies[j] = col.max() - col.min() > 1e-9
            varies[STATIC_COLS] = (Sc.max(axis=0) - Sc.min(axis=0)) > 1e-9
            varies[REGIONAL_COLS] = (Rc.max(axis=0) - Rc.min(axis=0)) > 1e-9
        return np.asarray(score, dtype=np.float64), varies

    def rank(self, st: RegionState, cand: np.ndarray, seg: np.ndarray, fit: np.ndarray, k: int,
             *, reason_ctx: rs.ReasonContext | None = None) -> tuple[list[TargetItem], int]:
        """Drop local firms, score, keep the top k (ties by firm key order), explain them. Returns (items, n)."""
        keep = ~st.local[cand] if len(cand) else np.zeros(0, bool)
        cand, seg, fit = cand[keep], seg[keep], fit[keep]
        n = len(cand)
        if n == 0:
            return [], 0
        score, varies = self.fast_scores(st, cand, fit, seg)
        kk = min(k, n)
        top = np.argpartition(-score, kk - 1)[:kk] if kk < n else np.arange(n)
        top = top[np.lexsort((cand[top], -score[top]))]
        # the full feature rows and contributions for the listed firms only
        segq = np.maximum(seg[top], 0)
        X = self.features(st, cand[top], fit[top], segq)
        X[seg[top] < 0, F["need"]] = 0.0
        X[seg[top] < 0, F["park_fit"]] = 0.0
        total, Z = self.score(X)
        ctx = reason_ctx or rs.ReasonContext()
        w = self.weights.w
        items = []
        for i, j in enumerate(top.tolist()):
            items.append(self._item(st, i + 1, int(cand[j]), int(seg[j]), float(total[i]), X[i], Z[i] * w, ctx,
                                    varies))
        return items, n

    def _item(self, st: RegionState, rank: int, e: int, s: int, score: float, x: np.ndarray, contrib: np.ndarray,
              ctx: rs.ReasonContext, varies: np.ndarray) -> TargetItem:
        idx = self.idx
        r = int(idx.firm_region[e])
        tags = idx.tag_csr
        tag_list = [str(idx.tag_vocab[j]) for j in sorted(tags.indices[tags.indptr[e]:tags.indptr[e + 1]].tolist())] \
            if tags.shape[1] else []
        size = int(idx.firm_size[e])
        c = int(idx.seg_chain[s]) if s >= 0 else -1
        inferred = s >= 0 and self.inferred.nnz and self._is_inferred(e, s)
        d = float(st.distance_km[e])
        why = rs.reasons(self, st, e, s, x, contrib, ctx, inferred=bool(inferred), varies=varies)
        return TargetItem(
            rank=rank, enterprise=str(idx.firm_keys[e]), name=str(idx.firm_names[e]), score=round(score, 4),
            score_100=self.score_100(score), reasons=[r.text for r in why], reason_details=why,
            anchor_tie=rs.anchor_tie(self, e, ctx),
            contributions={f: round(float(v), 4) for f, v in zip(FEATURES, contrib)},
            segment=str(idx.seg_keys[s]) if s >= 0 else None, segment_name=str(idx.seg_names[s]) if s >= 0 else None,
            chain=str(idx.chain_keys[c]) if c >= 0 else None, chain_name=str(idx.chain_names[c]) if c >= 0 else None,
            fit_source="none" if x[F["segment_fit"]] <= 0 else ("model" if inferred else "member"),
            region=str(idx.region_keys[r]) if r >= 0 else None, region_name=str(idx.region_names[r]) if r >= 0 else None,
            macro_region=self.macro_name(int(self.firm_macro[e])), distance_km=None if math.isnan(d) else round(d, 1),
            size=SIZES[size] if size >= 0 else None, tags=tag_list, synthetic=bool(idx.firm_synthetic[e]))

    def _is_inferred(self, e: int, s: int) -> bool:
        m = self.inferred
        col = m.indices[m.indptr[s]:m.indptr[s + 1]]
        pos = np.searchsorted(col, e)
        return bool(pos < len(col) and col[pos] == e)

