"""Baselines for member recommendation, with the same fit/rank interface as MembershipRanker.

- RandomRanker: a seeded random order (what any model must beat).
- PopularityRanker: enterprises by degree — known memberships, then supply relations, then number of products.
  It does not look at the segment at all.
- CentroidRanker: cosine between an enterprise's vector and the centroid of the segment's visible members.
  The vector is TF-IDF of the enterprise's text (name + products + other text columns), optionally beside its
  L2-normalised co-membership row (`co_membership_weight`). `analyzer="word"` is scikit-learn's default
  tokeniser: for Chinese, which has no spaces, a whole product name becomes one token — this is the plain
  "TF-IDF centroid" that reaches Recall@10 ≈ 0.25 on chainkg. `analyzer="char"` uses character n-grams.
- CoMembershipCentroidRanker: no text at all — cosine between a firm's (L2-normalised) row of visible memberships
  and the centroid of the segment members' rows: "firms in the same other segments as this segment's members".
- EaseRanker: EASE over the firm × segment matrix (membership/collab.py), λ chosen on an inner hold-out of the
  visible data exactly as the ranker does (or fixed by `lam`).

On single-assignment data (ChainKG) the two collaborative baselines score ≈ 0: a hidden firm has no other
segment. They are the baselines to beat on multi-membership data.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from membership.dataset import Dataset
from membership.ranker import rank_from_scores


class _Base:
    block_size: int | None = None

    def _blocks(self):
        n = self.dataset_.n_enterprises
        size = self.block_size or max(256, int(4_000_000 // max(self.dataset_.n_segments, 1)))
        for start in range(0, n, size):
            yield np.arange(start, min(n, start + size))

    def rank(self, segment_ids: Sequence[str] | None = None, k: int = 10,
             exclude_members: bool = True) -> dict[str, list[tuple[str, float]]]:
        if not hasattr(self, "dataset_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit(dataset) first")
        return rank_from_scores(self.dataset_, self._score_block, segment_ids, k, exclude_members, self._blocks())


class RandomRanker(_Base):
    def __init__(self, *, random_state: int = 0):
        self.random_state = random_state

    def fit(self, dataset: Dataset) -> "RandomRanker":
        self.dataset_ = dataset
        return self

    def _score_block(self, rows: np.ndarray) -> np.ndarray:
        # seeded per block (blocks are fixed by the dataset's size), so no n × segments array is kept
        rng = np.random.default_rng([self.random_state, int(rows[0]) if len(rows) else 0])
        return rng.random((len(rows), self.dataset_.n_segments))


class PopularityRanker(_Base):
    def fit(self, dataset: Dataset) -> "PopularityRanker":
        self.dataset_ = dataset
        n = dataset.n_enterprises
        memb = np.asarray(dataset.memberships.sum(axis=1)).ravel()
        sup = np.bincount(dataset.supplies.ravel(), minlength=n) if len(dataset.supplies) else np.zeros(n)
        prod = np.bincount(dataset.product_enterprise, minlength=n) if dataset.has_products else np.zeros(n)
        # lexicographic: memberships, then supplies, then products (each < 1e6)
        self.score_ = memb * 1e12 + sup * 1e6 + np.minimum(prod, 999_999)
        return self

    def _score_block(self, rows: np.ndarray) -> np.ndarray:
        return np.repeat(self.score_[rows][:, None], self.dataset_.n_segments, axis=1)


def enterprise_documents(ds: Dataset) -> list[str]:
    """name + other text + product names, space separated."""
    prods: list[list[str]] = [[] for _ in range(ds.n_enterprises)]
    for e, p in zip(ds.product_enterprise, ds.product_names):
        prods[e].append(str(p))
    return [" ".join(x for x in (str(ds.enterprise_names[i]), str(ds.enterprise_text[i]), " ".join(prods[i])) if x)
            for i in range(ds.n_enterprises)]


class CentroidRanker(_Base):
    def __init__(self, *, analyzer: str = "word", ngram_range: tuple[int, int] = (1, 3), sublinear_tf: bool = True,
                 co_membership_weight: float = 0.0):
        self.analyzer = analyzer
        self.ngram_range = ngram_range
        self.sublinear_tf = sublinear_tf
        self.co_membership_weight = co_membership_weight

    def fit(self, dataset: Dataset) -> "CentroidRanker":
        self.dataset_ = dataset
        docs = enterprise_documents(dataset)
        if self.analyzer == "word":
            vec = TfidfVectorizer(sublinear_tf=self.sublinear_tf)
        else:
            vec = TfidfVectorizer(analyzer=self.analyzer, ngram_range=tuple(self.ngram_range),
                                  sublinear_tf=self.sublinear_tf)
        try:
            X = vec.fit_transform(docs)
        except ValueError:  # no token at all
            X = sp.csr_matrix((dataset.n_enterprises, 1))
        M = dataset.memberships.astype(np.float64)
        if self.co_membership_weight > 0:
            X = sp.hstack([normalize(X), self.co_membership_weight * normalize(M)]).tocsr()
        self.X_ = normalize(X)
        self.centroids_ = normalize(M.T @ self.X_).T.tocsc()
        return self

    def _score_block(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray((self.X_[rows] @ self.centroids_).todense())


class CoMembershipCentroidRanker(_Base):
    def fit(self, dataset: Dataset) -> "CoMembershipCentroidRanker":
        self.dataset_ = dataset
        M = dataset.memberships.astype(np.float64)
        self.X_ = normalize(M)
        self.centroids_ = normalize(M.T @ self.X_).T.tocsc()
        return self

    def _score_block(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray((self.X_[rows] @ self.centroids_).todense())


class EaseRanker(_Base):
    def __init__(self, *, lam: float | None = None, random_state: int = 0, inner_fraction: float = 0.2,
                 inner_min_members: int = 3):
        self.lam = lam
        self.random_state = random_state
        self.inner_fraction = inner_fraction
        self.inner_min_members = inner_min_members

    def fit(self, dataset: Dataset) -> "EaseRanker":
        from membership.collab import choose_lambda, ease_matrix
        from membership.ranker import MembershipRanker

        self.dataset_ = dataset
        M = dataset.memberships.astype(np.float64).tocsr()
        self.lam_ = self.lam
        if self.lam_ is None:  # the ranker's inner split: same seed, same fraction
            inner = MembershipRanker(random_state=self.random_state, inner_fraction=self.inner_fraction,
                                     inner_min_members=self.inner_min_members)
            M_in, hidden = inner._inner_memberships(M, np.random.default_rng(self.random_state))
            self.lam_ = choose_lambda(M_in, hidden)
        self.M_ = M
        self.B_ = ease_matrix(M, self.lam_)
        return self

    def _score_block(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.M_[rows] @ self.B_)


def baseline_factories(random_state: int = 0) -> dict[str, object]:
    """The baselines `chainmatch evaluate` prints beside the model (name → zero-argument factory)."""
    return {
        "random": lambda: RandomRanker(random_state=random_state),
        "popularity": lambda: PopularityRanker(),
        "tfidf-centroid": lambda: CentroidRanker(analyzer="word"),
        "tfidf-char-centroid": lambda: CentroidRanker(analyzer="char", ngram_range=(1, 3)),
        "tfidf+co-memb-centroid": lambda: CentroidRanker(analyzer="char", ngram_range=(1, 3), co_membership_weight=1.0),
        "co-memb-centroid": lambda: CoMembershipCentroidRanker(),
        "EASE": lambda: EaseRanker(random_state=random_state),
    }
