"""The hold-out protocol for member recommendation and its metrics — kept apart from the models.

Protocol (../shared/datasets/README.md): for each segment with ≥ `min_members` (5) members, hide floor(n/5)
(at least 1) of its members, drawn with a fixed seed; the recommender is fitted on everything else (the hidden
firms stay in the dataset with their products, supplies and other memberships) and ranks, for every evaluated
segment, all enterprises that are not visible members of it. Metrics are full-rank (no sampled negatives):

- Recall@K (macro, the headline): for segment s with hidden set H_s and top-K list L_s,
  |L_s ∩ H_s| / |H_s|, averaged over evaluated segments (each segment counts once).
- Recall@K (micro): Σ_s |L_s ∩ H_s| / Σ_s |H_s| (each hidden membership counts once).
- NDCG@K (binary relevance): DCG = Σ_{i ≤ K, L_s[i] ∈ H_s} 1/log2(i+1) (i = 1-based rank),
  IDCG = Σ_{i=1}^{min(|H_s|, K)} 1/log2(i+1); NDCG = DCG/IDCG, averaged over evaluated segments.

`holdout_split` is pure (seed in, split out) and so is `evaluate`; models are passed as factories so every seed
gets a fresh, unfitted estimator.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Protocol, Sequence

import numpy as np
import scipy.sparse as sp

from membership.dataset import Dataset

KS = (10, 50)


class Ranker(Protocol):
    def fit(self, dataset: Dataset) -> "Ranker": ...

    def rank(self, segment_ids: Sequence[str] | None = None, k: int = 10,
             exclude_members: bool = True) -> dict[str, list[tuple[str, float]]]: ...


# --------------------------------------------------------------------- metrics
def recall_at_k(ranked: Sequence, relevant: Iterable, k: int) -> float:
    rel = set(relevant)
    if not rel:
        raise ValueError("recall is undefined without relevant items")
    return len(rel.intersection(list(ranked)[:k])) / len(rel)


def hits_at_k(ranked: Sequence, relevant: Iterable, k: int) -> int:
    return len(set(relevant).intersection(list(ranked)[:k]))


def ndcg_at_k(ranked: Sequence, relevant: Iterable, k: int) -> float:
    rel = set(relevant)
    if not rel:
        raise ValueError("NDCG is undefined without relevant items")
    dcg = sum(1.0 / math.log2(i + 2) for i, x in enumerate(list(ranked)[:k]) if x in rel)
    idcg = sum(1.0 / math.log2(i + 2) for i in range(min(len(rel), k)))
    return dcg / idcg


# --------------------------------------------------------------------- the split
@dataclass(frozen=True)
class Split:
    seed: int
    visible: Dataset
    hidden: dict[str, list[str]]  # segment id → hidden enterprise ids

    @property
    def n_hidden(self) -> int:
        return sum(len(v) for v in self.hidden.values())


def holdout_split(dataset: Dataset, seed: int, *, min_members: int = 5, fraction: float = 0.2) -> Split:
    """Hide floor(n·fraction) (≥ 1) members of every segment with ≥ min_members members."""
    rng = np.random.default_rng(seed)
    m = dataset.memberships.tocsc()
    hidden: dict[str, list[str]] = {}
    rows, cols = [], []
    for s in range(dataset.n_segments):  # segment order is the dataset's: the split depends on the seed only
        members = np.sort(m[:, s].indices)
        n = len(members)
        drop = np.zeros(0, np.int64)
        if n >= min_members:
            n_hide = max(1, int(math.floor(n * fraction + 1e-9)))
            drop = np.sort(rng.choice(members, size=n_hide, replace=False))
            hidden[str(dataset.segment_ids[s])] = [str(dataset.enterprise_ids[e]) for e in drop]
        kept = np.setdiff1d(members, drop, assume_unique=True)
        rows.append(kept)
        cols.append(np.full(len(kept), s))
    r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    visible = sp.csr_matrix((np.ones(len(r), np.float32), (r, c)), shape=m.shape)
    return Split(seed, dataset.with_memberships(visible), hidden)


# --------------------------------------------------------------------- running a model on a split
@dataclass
class Scores:
    """Metrics of one model on one split."""

    recall: dict[int, float] = field(default_factory=dict)  # macro
    recall_micro: dict[int, float] = field(default_factory=dict)
    ndcg: dict[int, float] = field(default_factory=dict)
    n_segments: int = 0
    n_hidden: int = 0
    fit_seconds: float = 0.0
    rank_seconds: float = 0.0

    def as_row(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for k, v in self.recall.items():
            out[f"Recall@{k}"] = v
        for k, v in self.recall_micro.items():
            out[f"microRecall@{k}"] = v
        for k, v in self.ndcg.items():
            out[f"NDCG@{k}"] = v
        out["fit_s"] = self.fit_seconds
        out["rank_s"] = self.rank_seconds
        return out


def score_rankings(rankings: dict[str, list[tuple[str, float]]], hidden: dict[str, list[str]],
                   visible_members: dict[str, set[str]] | None = None,
                   ks: Sequence[int] = KS, ndcg_ks: Sequence[int] = (10,)) -> Scores:
    """Metrics of rankings against the hidden members; checks no visible member was ranked."""
    sc = Scores(n_segments=len(hidden), n_hidden=sum(len(v) for v in hidden.values()))
    rec = {k: [] for k in ks}
    hits = {k: 0 for k in ks}
    nd = {k: [] for k in ndcg_ks}
    for seg, rel in hidden.items():
        ranked = [e for e, _ in rankings.get(seg, [])]
        if visible_members is not None:
            bad = visible_members.get(seg, set()).intersection(ranked)
            if bad:
                raise AssertionError(f"环节 {seg} 的推荐包含已知成员 {sorted(bad)[:3]}")
        for k in ks:
            rec[k].append(recall_at_k(ranked, rel, k))
            hits[k] += hits_at_k(ranked, rel, k)
        for k in ndcg_ks:
            nd[k].append(ndcg_at_k(ranked, rel, k))
    total = max(sc.n_hidden, 1)
    sc.recall = {k: float(np.mean(v)) if v else 0.0 for k, v in rec.items()}
    sc.recall_micro = {k: hits[k] / total for k in ks}
    sc.ndcg = {k: float(np.mean(v)) if v else 0.0 for k, v in nd.items()}
    return sc


def visible_members_by_segment(dataset: Dataset) -> dict[str, set[str]]:
    m = dataset.memberships.tocsc()
    return {str(dataset.segment_ids[s]): {str(dataset.enterprise_ids[e]) for e in m[:, s].indices}
            for s in range(dataset.n_segments)}


def run_split(model: Ranker, split: Split, ks: Sequence[int] = KS) -> Scores:
    t0 = time.perf_counter()
    model.fit(split.visible)
    t1 = time.perf_counter()
    rankings = model.rank(list(split.hidden), k=max(ks), exclude_members=True)
    t2 = time.perf_counter()
    sc = score_rankings(rankings, split.hidden, visible_members_by_segment(split.visible), ks)
    sc.fit_seconds, sc.rank_seconds = t1 - t0, t2 - t1
    return sc


@dataclass
class Report:
    """Per model, per seed scores; mean and std over seeds."""

    seeds: list[int]
    scores: dict[str, list[Scores]]
    n_segments: dict[int, int]
    n_hidden: dict[int, int]

    def table(self) -> list[dict[str, object]]:
        rows = []
        for name, per_seed in self.scores.items():
            metrics = [s.as_row() for s in per_seed]
            row: dict[str, object] = {"model": name}
            for key in metrics[0]:
                vals = np.array([m[key] for m in metrics])
                row[key] = (float(vals.mean()), float(vals.std(ddof=1)) if len(vals) > 1 else 0.0)
            rows.append(row)
        return rows

    def format(self) -> str:
        rows = self.table()
        keys = [k for k in rows[0] if k != "model"]
        head = f"{'model':<22}" + "".join(f"{k:>20}" for k in keys)
        lines = [head, "-" * len(head)]
        for r in rows:
            cells = []
            for k in keys:
                m, s = r[k]
                cells.append(f"{m:>11.3f} ± {s:<6.3f}" if not k.endswith("_s") else f"{m:>11.1f} ± {s:<6.1f}")
            lines.append(f"{r['model']:<22}" + "".join(cells))
        seeds = ", ".join(f"seed {s}: {self.n_segments[s]} 个环节 / {self.n_hidden[s]} 个隐藏成员" for s in self.seeds)
        lines.append(f"({seeds}；mean ± std over {len(self.seeds)} seeds)")
        return "\n".join(lines)


def evaluate(dataset: Dataset, models: dict[str, Callable[[], Ranker]], seeds: Sequence[int] = (0, 1, 2),
             ks: Sequence[int] = KS, progress: Callable[[str], None] | None = None) -> Report:
    """Run every model factory on the same split for every seed."""
    scores: dict[str, list[Scores]] = {name: [] for name in models}
    n_seg: dict[int, int] = {}
    n_hid: dict[int, int] = {}
    for seed in seeds:
        split = holdout_split(dataset, seed)
        n_seg[seed], n_hid[seed] = len(split.hidden), split.n_hidden
        for name, factory in models.items():
            sc = run_split(factory(), split, ks)
            scores[name].append(sc)
            if progress:
                progress(f"seed {seed} {name}: " + ", ".join(f"{k}={v:.3f}" for k, v in sc.as_row().items()))
    return Report(list(seeds), scores, n_seg, n_hid)
