"""Candidate discovery: rank enterprises that are not (yet) known members of a segment by how well they fit it.

`MembershipRanker` is a scikit-learn-style estimator: parameters in `__init__`, `fit(dataset)`, then
`rank(segment_ids, k, exclude_members=True)` → {segment id: [(enterprise id, score), …]} best first. It keeps
no global state, and the same data and parameters give the same ranking.

How it scores a pair (enterprise e, segment s): every signal the dataset offers becomes one number, and a
learned linear blend of the (standardised) numbers is the score.

| signal | what it measures | needs |
|---|---|---|
| `text_clf` | log P(s | e): a one-vs-rest linear SVM over char n-gram TF-IDF of the firm's products, name and other text, trained on the visible members; its decision values → softmax over segments | names (products help most) |
| `text_dec` | the same SVM's raw decision value | |
| `text_rank` | −log(1 + rank of s among the firm's segments by that decision) | |
| `centroid` | log-softmax over segments of the cosine to the segment's member centroid (few-shot friendly) | |
| `centroid_rank` | −log(1 + rank of s among the firm's segments by that cosine) | |
| `segment_text` | cosine between the firm's text and the segment's own name/keywords (zero-shot) | |
| `row_clf` | log P(s | e) of a row-wise calibrated classifier: softmax over segments of θ·(SVM decision, centroid cosine, zero-shot cosine, log size, decision × log size, cosine × log size, cosine of the firm's main product to the members' main products), θ fitted on the inner hold-out (which segment each inner-hidden firm is in) — segments of every size on one learned scale | learned blend |
| `placement` | log(1 + number of the firm's known memberships) | memberships |
| `co_membership` | Σ over the firm's segments t of P(s | t), counted over visible co-memberships | multi-membership |
| `ease` / `item_cos` / `set_completion` | (multi regime) EASE, item-item cosine, and how often firms known in exactly the firm's set plus s outnumber those known in its set (collab.py) | multi-membership |
| `same_parent` / `same_chain` / `linked` | share of the firm's segments under the same parent, in the same chain, or up/downstream-linked to s | segment structure |
| `supply_learned` | P(s | e supplies into t / buys from t), counted over visible members, applied to e's partners' segments | supplies |
| `supply_linked` | share of e's partners in segments linked to s in the right direction | supplies + links |
| `knn`, `name_clf` | (off by default) votes of the 10 most similar labelled firms; a second SVM on names only | |

The blend weights are learned at fit time by an inner hold-out on the visible data (the evaluation protocol in
miniature: hide 20 % of the members of every segment with ≥ `inner_min_members` members, fit the signals on the
rest, and fit the weights to put the inner-hidden members on top — a conditional logit over each segment's
candidates). So a dataset decides which signals matter: with no products the text signals carry less; where
every firm has one segment, `placement` learns that a firm already placed elsewhere is an unlikely hidden
member; with structure or supplies their signals earn weight. Too small a dataset falls back to fixed weights.

Two views. The default ("discover") is what the hold-out protocol measures: which firms, whose membership is not
known, belong to s. `RELATED_SIGNALS` with `learn_weights=False` ("related") ranks firms that resemble s's
members whatever else they belong to — the list an investment officer wants when a taxonomy gives every firm one
segment (on chainkg the discover view rightly avoids firms already placed elsewhere, so it mostly lists the
few unclassified firms). See docs/recommender.md.

Nothing but the dataset passed to `fit` reaches the model; TF-IDF statistics are computed over all enterprises'
text (no labels), and every label-derived statistic over the visible memberships only.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import scipy.sparse as sp

from membership.blend import SIZE_INTERACTED, Blend, fit_conditional_logit, fit_row_model, size_interactions
from membership.collab import DEFAULT_LAMBDA, choose_lambda
from membership.dataset import Dataset
from membership.regime import COLLAB_SIGNALS, detect_regime, regime_signals
from membership.signals import Signals, firm_attributes
from membership.text import TextFeatures, main_product_matrix, segment_documents

SIGNALS = ("text_clf", "text_dec", "text_rank", "name_clf", "knn", "centroid", "centroid_rank", "segment_text",
           "placement", "firm_prior", "row_clf", "co_membership", "ease", "item_cos", "set_completion", "same_parent", "same_chain",
           "linked", "supply_learned", "supply_linked")
# Available but off by default — on chainkg they added nothing measurable: knn (similarity-weighted votes of the
# 10 nearest labelled firms; also doubles the fit time) and name_clf (a second SVM on names/other text only).
# The collaborative ones (ease, item_cos, set_completion) are added by the regime detector on multi-membership data (regime.py).
DEFAULT_SIGNALS = tuple(s for s in SIGNALS if s not in ("knn", "name_clf") + COLLAB_SIGNALS)
# "related firms" view for investment officers: enterprises (also those placed in other segments) that look like
# the segment's members — raw similarities, fixed weights, no placement prior, no per-firm softmax.
RELATED_SIGNALS = ("text_dec", "segment_text", "co_membership", "same_parent", "linked", "supply_learned",
                   "supply_linked")
# fixed weights on the raw signal values: the "related" view, and the fallback when the data is too small to learn
DEFAULT_WEIGHTS = {"text_clf": 1.0, "text_dec": 1.0, "text_rank": 0.0, "name_clf": 0.3, "knn": 0.3, "centroid": 0.5,
                   "centroid_rank": 0.0, "segment_text": 0.3, "placement": 0.0, "firm_prior": 0.0, "row_clf": 0.0,
                   "co_membership": 0.8, "ease": 1.0, "item_cos": 0.3, "set_completion": 0.5,
                   "same_parent": 0.4, "same_chain": 0.2, "linked": 0.3, "supply_learned": 0.5, "supply_linked": 0.3}


class MembershipRanker:
    """Rank non-members of each segment by fit (see the module docstring for the signals and the blend).

    Parameters
    - C, temperature: the linear SVM's regularisation and the softmax temperature that turns its decision
      values into log P(segment | enterprise).
    - centroid_temperature: softmax temperature of the centroid cosine.
    - name_weight, text_weight, product_weight, product_token_weight, product_weight_power,
      product_link_weight, ngram_range, min_df: the text representation (see TextFeatures).
    - signals: the signals to use (default: all of SIGNALS); for ablations.
    - learn_weights: learn the blend on an inner hold-out (else DEFAULT_WEIGHTS).
    - inner_fraction, inner_min_members, n_hard, n_random, l2: the inner hold-out and the conditional logit.
    - row_calibration: learn the `row_clf` signal (a row-wise softmax calibration of the text evidence) on the
      inner hold-out.
    - main_product_centroid: give `row_clf` the cosine of the firm's main (highest-share) product to the centroid
      of the segment members' main products (char n-grams of that one product name).
    - size_interactions: add signal × log(segment size) terms to the blend (size-dependent weights).
    - inner_repeats: number of inner hold-out splits pooled to learn the row calibration and the blend.
    - random_state: seeds the inner split, the candidate sampling and liblinear.
    - block_size: enterprises scored at once (memory ≈ block_size × segments × 8 bytes per signal).
    """

    def __init__(self, *, C: float = 0.3, temperature: float = 0.1, centroid_temperature: float = 0.05,
                 name_weight: float = 0.2, text_weight: float = 0.4, product_weight: float = 1.0,
                 product_token_weight: float = 0.3, product_weight_power: float = 0.25,
                 product_link_weight: float = 0.0, ngram_range: tuple[int, int] = (1, 3), min_df: int = 2,
                 signals: Sequence[str] | None = None, learn_weights: bool = True, inner_fraction: float = 0.2,
                 inner_min_members: int = 3, n_hard: int = 200, n_random: int = 300, l2: float = 1e-3,
                 random_state: int = 0, block_size: int | None = None, row_calibration: bool = True,
                 size_interactions: bool = False, inner_repeats: int = 1, main_product_centroid: bool = True,
                 ease_lambda: float | None = None):
        self.ease_lambda = ease_lambda
        self.row_calibration = row_calibration
        self.main_product_centroid = main_product_centroid
        self.size_interactions = size_interactions
        self.inner_repeats = inner_repeats
        self.C = C
        self.temperature = temperature
        self.centroid_temperature = centroid_temperature
        self.name_weight = name_weight
        self.text_weight = text_weight
        self.product_weight = product_weight
        self.product_token_weight = product_token_weight
        self.product_weight_power = product_weight_power
        self.product_link_weight = product_link_weight
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.signals = signals
        self.learn_weights = learn_weights
        self.inner_fraction = inner_fraction
        self.inner_min_members = inner_min_members
        self.n_hard = n_hard
        self.n_random = n_random
        self.l2 = l2
        self.random_state = random_state
        self.block_size = block_size

    # ----------------------------------------------------------------- fit
    def _signals_for(self, M: sp.csr_matrix) -> Signals:
        return Signals(self.dataset_, self.X_, M, self.zero_shot_, X_name=self.X_name_, attrs=self.attrs_, C=self.C,
                        temperature=self.temperature,
                        centroid_temperature=self.centroid_temperature, random_state=self.random_state,
                        signals=self.signal_names_, X_main=self.X_main_, ease_lambda=self.ease_lambda_)

    def fit(self, dataset: Dataset) -> "MembershipRanker":
        self.regime_ = detect_regime(dataset)
        names = tuple(self.signals) if self.signals is not None else regime_signals(self.regime_, DEFAULT_SIGNALS)
        self.ease_lambda_ = self.ease_lambda if self.ease_lambda is not None else DEFAULT_LAMBDA
        unknown = set(names) - set(SIGNALS)
        if unknown:
            raise ValueError(f"unknown signals {sorted(unknown)}; known: {SIGNALS}")
        self.signal_names_ = names
        self.dataset_ = dataset
        tf = TextFeatures(name_weight=self.name_weight, text_weight=self.text_weight,
                          product_weight=self.product_weight, product_token_weight=self.product_token_weight,
                          product_weight_power=self.product_weight_power,
                          product_link_weight=self.product_link_weight, ngram_range=tuple(self.ngram_range),
                          min_df=self.min_df)
        self.X_ = tf.fit_transform(dataset)
        self.X_name_ = tf.name_matrix() if "name_clf" in names else None
        self.attrs_ = firm_attributes(dataset) if "firm_prior" in names else None
        self.zero_shot_ = tf.zero_shot(segment_documents(dataset)) if "segment_text" in names else None
        self.X_main_ = None
        if self.main_product_centroid and self.row_calibration and "row_clf" in names:
            self.X_main_ = main_product_matrix(dataset, tuple(self.ngram_range), self.min_df)
        M = dataset.memberships
        self.row_params_ = None
        self.blend_ = self._learn_blend(M) if self.learn_weights else None
        self.signals_ = self._signals_for(M)
        self.signals_.row_params_ = self.row_params_
        if self.blend_ is None:
            self.blend_ = self._default_blend()
        return self

    def _default_blend(self) -> Blend:
        names = self.signal_names_
        return Blend(names, np.zeros(len(names)), np.ones(len(names)),
                      np.array([DEFAULT_WEIGHTS[n] for n in names]), learned=False)

    def _inner_memberships(self, M: sp.csr_matrix,
                           rng: np.random.Generator) -> tuple[sp.csr_matrix, dict[int, np.ndarray]]:
        Mc = M.tocsc()
        hidden: dict[int, np.ndarray] = {}
        rows, cols = [], []
        for s in range(M.shape[1]):
            mem = np.sort(Mc[:, s].indices)
            drop = np.zeros(0, np.int64)
            if len(mem) >= self.inner_min_members:
                n_hide = max(1, int(np.floor(len(mem) * self.inner_fraction + 1e-9)))
                drop = np.sort(rng.choice(mem, size=n_hide, replace=False))
                hidden[s] = drop
            kept = np.setdiff1d(mem, drop, assume_unique=True)
            rows.append(kept)
            cols.append(np.full(len(kept), s))
        r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        c = np.concatenate(cols) if cols else np.zeros(0, np.int64)
        return sp.csr_matrix((np.ones(len(r)), (r, c)), shape=M.shape), hidden

    def _learn_blend(self, M: sp.csr_matrix) -> Blend | None:
        rng = np.random.default_rng(self.random_state)
        reps = []  # (signals on the inner-visible memberships, inner-hidden members per segment), one per repeat
        for _ in range(max(1, self.inner_repeats)):
            M_in, hidden = self._inner_memberships(M, rng)
            if sum(len(v) for v in hidden.values()) < 10:
                return None
            if "ease" in self.signal_names_ and self.ease_lambda is None and not reps:
                self.ease_lambda_ = choose_lambda(M_in, hidden)  # EASE's λ on the inner hold-out
            reps.append((self._signals_for(M_in), hidden, M_in))
        self.row_params_ = None
        if self.row_calibration and "row_clf" in self.signal_names_:
            self.row_params_ = fit_row_model([(sg, h) for sg, h, _ in reps], self.l2)
            for sg, _, _ in reps:
                sg.row_params_ = self.row_params_
        ne = self.dataset_.n_enterprises
        # hard negatives: the strongest single signal of the regime (collaborative on multi-membership data)
        primary = next((n for n in (("ease", "text_clf") if self.regime_.name == "multi" else ("text_clf",))
                        if n in self.signal_names_), None)
        all_names = tuple(self.signal_names_) + (tuple(f"{n}*size" for n in SIZE_INTERACTED)
                                                 if self.size_interactions else ())
        blocks_F, blocks_w, blocks_y, groups = [], [], [], []
        names: list[str] = []
        n_groups = 0
        for sig, hidden, M_in in reps:
            segs = np.array(sorted(hidden), dtype=np.int64)
            Mc = M_in.tocsc()
            feats_all = self._features_by_segment(sig, segs)
            names = [n for n in all_names if n in feats_all]
            if not names:
                return None
            # candidate pairs per inner segment: its hidden members, the hardest others, a random sample of the rest
            for gi, s in enumerate(segs):
                cand_mask = np.ones(ne, bool)
                cand_mask[Mc[:, s].indices] = False
                pos = hidden[s]
                cand_mask[pos] = False
                others = np.flatnonzero(cand_mask)
                if primary is not None:
                    pscore = feats_all[primary][:, gi][others]
                    hard = others[np.argsort(-pscore, kind="stable")[: self.n_hard]]
                else:
                    hard = np.zeros(0, np.int64)
                rest = np.setdiff1d(others, hard, assume_unique=False)
                n_r = min(self.n_random, len(rest))
                rnd = np.sort(rng.choice(rest, size=n_r, replace=False)) if n_r else np.zeros(0, np.int64)
                idx = np.concatenate([pos, hard, rnd])
                w = np.concatenate([np.ones(len(pos) + len(hard)), np.full(n_r, len(rest) / max(n_r, 1))])
                y = np.concatenate([np.ones(len(pos)), np.zeros(len(hard) + n_r)])
                blocks_F.append(np.stack([feats_all[n][idx, gi] for n in names], axis=1))
                blocks_w.append(w)
                blocks_y.append(y)
                groups.append(np.full(len(idx), n_groups))
                n_groups += 1
            del feats_all
        return self._fit_blend(names, np.concatenate(blocks_F), np.concatenate(blocks_w), np.concatenate(blocks_y),
                               np.concatenate(groups), all_names)

    def _fit_blend(self, names, F, W, Y, G, full_names) -> Blend:
        mean = F.mean(axis=0)
        std = F.std(axis=0)
        std[std < 1e-9] = 1.0
        Fs = (F - mean) / std
        weights = fit_conditional_logit(Fs, W, Y, G, self.l2)
        full_names = tuple(full_names)
        m = np.zeros(len(full_names))
        sd = np.ones(len(full_names))
        wt = np.zeros(len(full_names))
        for j, n in enumerate(names):
            k = full_names.index(n)
            m[k], sd[k], wt[k] = mean[j], std[j], weights[j]
        return Blend(full_names, m, sd, wt, learned=True)

    def _features_by_segment(self, sig: Signals, segs: np.ndarray) -> dict[str, np.ndarray]:
        """Signals for all enterprises × the given segments (dense, float32)."""
        ne = self.dataset_.n_enterprises
        out: dict[str, np.ndarray] = {}
        for rows in self._blocks(ne):
            f = sig.block(rows)
            if self.size_interactions:
                f.update(size_interactions(f, sig.log_size_))
            for n, a in f.items():
                if n not in out:
                    out[n] = np.empty((ne, len(segs)), np.float32)
                out[n][rows] = a[:, segs]
        return out

    def _blocks(self, n: int):
        size = self.block_size or max(256, int(4_000_000 // max(self.dataset_.n_segments, 1)))
        for start in range(0, n, size):
            yield np.arange(start, min(n, start + size))

    # ----------------------------------------------------------------- rank
    def _check_fitted(self) -> None:
        if not hasattr(self, "signals_"):
            raise RuntimeError("MembershipRanker is not fitted: call fit(dataset) first")

    def score_matrix(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Blended scores of enterprises `rows` (default all) × all segments."""
        self._check_fitted()
        rows = np.arange(self.dataset_.n_enterprises) if rows is None else np.asarray(rows)
        return self.blend_.score(self._block_features(rows))

    def _block_features(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        f = self.signals_.block(rows)
        if self.size_interactions and self.blend_.learned:
            f.update(size_interactions(f, self.signals_.log_size_))
        return f

    def rank(self, segment_ids: Sequence[str] | None = None, k: int = 10,
             exclude_members: bool = True) -> dict[str, list[tuple[str, float]]]:
        """Top-k enterprises per segment (default: every segment), best first; ties by enterprise order."""
        self._check_fitted()
        return rank_from_scores(self.dataset_, self._score_blocks, segment_ids, k, exclude_members,
                                self._blocks(self.dataset_.n_enterprises))

    def _score_blocks(self, rows: np.ndarray) -> np.ndarray:
        return self.blend_.score(self._block_features(rows))

    def explain(self, segment_id: str, enterprise_ids: Sequence[str]) -> dict[str, dict[str, float]]:
        """Per enterprise, each signal's contribution to its score for segment_id (for reasons in a list)."""
        self._check_fitted()
        s = self.dataset_.segment_index()[segment_id]
        eidx = self.dataset_.enterprise_index()
        rows = np.array([eidx[e] for e in enterprise_ids], dtype=np.int64)
        contrib = self.blend_.contributions(self._block_features(rows))
        return {e: {n: float(v[i, s]) for n, v in contrib.items()} for i, e in enumerate(enterprise_ids)}

    @property
    def signals_used_(self) -> list[str]:
        """The signals that carry weight in the fitted blend (what `rank-members` reports)."""
        return [n for n, w in self.weights_.items() if w]

    @property
    def weights_(self) -> dict[str, float]:
        self._check_fitted()
        return {n: float(w) for n, w in zip(self.blend_.names, self.blend_.weights)}



def rank_from_scores(ds: Dataset, score_block, segment_ids: Sequence[str] | None, k: int, exclude_members: bool,
                     blocks) -> dict[str, list[tuple[str, float]]]:
    """Top-k per segment over enterprise blocks; `score_block(rows)` gives rows × all segments."""
    if k < 1:
        raise ValueError("k must be ≥ 1")
    sidx = ds.segment_index()
    if segment_ids is None:
        segment_ids = [str(s) for s in ds.segment_ids]
    missing = [s for s in segment_ids if s not in sidx]
    if missing:
        raise KeyError(f"未知的环节 {missing[:5]}")
    cols = np.array([sidx[s] for s in segment_ids], dtype=np.int64)
    M = ds.memberships.tocsr()
    best_s = np.full((k, len(cols)), -np.inf)
    best_i = np.full((k, len(cols)), np.iinfo(np.int64).max, dtype=np.int64)
    for rows in blocks:
        z = np.asarray(score_block(rows), dtype=np.float64)[:, cols]
        if exclude_members:
            sub = M[rows][:, cols].tocoo()
            z[sub.row, sub.col] = -np.inf
        cand_s = np.vstack([best_s, z])
        cand_i = np.vstack([best_i, np.broadcast_to(rows[:, None], z.shape)])
        # order by score desc, then enterprise index asc (deterministic ties)
        order = np.lexsort((cand_i, -cand_s), axis=0)[:k]
        best_s = np.take_along_axis(cand_s, order, axis=0)
        best_i = np.take_along_axis(cand_i, order, axis=0)
    out: dict[str, list[tuple[str, float]]] = {}
    ids = ds.enterprise_ids
    for j, seg in enumerate(segment_ids):
        lst = []
        for r in range(k):
            if not np.isfinite(best_s[r, j]):
                break
            lst.append((str(ids[best_i[r, j]]), float(best_s[r, j])))
        out[seg] = lst
    return out
