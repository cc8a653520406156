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

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from membership.dataset import Dataset

SIGNALS = ("text_clf", "text_dec", "text_rank", "name_clf", "knn", "centroid", "centroid_rank", "segment_text",
           "placement", "firm_prior", "row_clf", "co_membership", "same_parent", "same_chain", "linked", "supply_learned", "supply_linked")
# Available but off by default — on chainkg they added nothing measurable: knn (similarity-weighted votes of the
# 10 nearest labelled firms; also doubles the fit time) and name_clf (a second SVM on names/other text only).
DEFAULT_SIGNALS = tuple(s for s in SIGNALS if s not in ("knn", "name_clf"))
# "related firms" view for investment officers: enterprises (also those placed in other segments) that look like
# the segment's members — raw similarities, fixed weights, no placement prior, no per-firm softmax.
RELATED_SIGNALS = ("text_dec", "segment_text", "co_membership", "same_parent", "linked", "supply_learned",
                   "supply_linked")
# fixed weights on the raw signal values: the "related" view, and the fallback when the data is too small to learn
DEFAULT_WEIGHTS = {"text_clf": 1.0, "text_dec": 1.0, "text_rank": 0.0, "name_clf": 0.3, "knn": 0.3, "centroid": 0.5,
                   "centroid_rank": 0.0, "segment_text": 0.3, "placement": 0.0, "firm_prior": 0.0, "row_clf": 0.0,
                   "co_membership": 0.8,
                   "same_parent": 0.4, "same_chain": 0.2, "linked": 0.3, "supply_learned": 0.5, "supply_linked": 0.3}
_UNTRAINED_DECISION = -3.0  # SVM decision for a segment without a trained classifier (negatives sit near -1)
_LEGAL_FORM = re.compile(r"股份有限公司|有限责任公司|有限公司|集团|控股|股份|公司")
_LEVEL_MARK = re.compile(r"[ⅠⅡⅢⅣ]+$")
# listing-status marks in a Chinese listed firm's short name: (*)ST, S(*)ST/SST, S (share reform pending), PT,
# 退 / 退市 (delisting)
_STATUS_MARK = re.compile(r"^(?:\*?ST|S\*?ST|SST|PT|S(?=[\u4e00-\u9fff]))|退")


def firm_attributes(ds: Dataset) -> np.ndarray | None:
    """Public facts of each firm that say nothing about its segment but something about whether it is a
    going, classifiable firm: listing date, board, a listing-status mark in the name, how many products and
    whether any other text is known. No labels. None when the dataset has none of them."""
    n = ds.n_enterprises
    cols: list[np.ndarray] = []
    listed = np.asarray(ds.enterprise_listed, dtype=np.float64)
    if np.isfinite(listed).any():
        cols.append(listed)
    boards = np.asarray(ds.enterprise_board, dtype=object).astype(str)
    for b in sorted(set(boards.tolist()) - {""}):
        cols.append((boards == b).astype(np.float64))
    names = np.asarray(ds.enterprise_names, dtype=object).astype(str)
    mark = np.fromiter((bool(_STATUS_MARK.search(x)) for x in names), bool, n)
    if mark.any():
        cols.append(mark.astype(np.float64))
    if ds.has_products:
        cols.append(np.log1p(np.bincount(ds.product_enterprise, minlength=n)).astype(np.float64))
    text = np.asarray(ds.enterprise_text, dtype=object).astype(str)
    if (text != "").any():
        cols.append((text != "").astype(np.float64))
    return np.stack(cols, axis=1) if cols else None


def _firm_prior(A: np.ndarray, placed: np.ndarray, random_state: int, n_folds: int = 5) -> np.ndarray | None:
    """Out-of-fold log-odds that a firm has ≥ 1 (visible) membership, from its attributes alone.

    Gradient-boosted trees (non-monotone in the listing date: very old and very recent listings are both rarely
    classified); each firm is scored by a model that did not see it, so a firm's own label never shapes its
    score. None when there is nothing to learn (one class only)."""
    y = placed.astype(int)
    if y.min() == y.max() or min(y.sum(), len(y) - y.sum()) < n_folds:
        return None
    from sklearn.ensemble import HistGradientBoostingClassifier
    fold = np.random.default_rng(random_state).permutation(len(y)) % n_folds
    out = np.zeros(len(y))
    for f in range(n_folds):
        tr, te = fold != f, fold == f
        if y[tr].min() == y[tr].max():
            out[te] = 0.0
            continue
        clf = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, max_leaf_nodes=15,
                                             min_samples_leaf=20, l2_regularization=1.0, early_stopping=False,
                                             random_state=random_state)
        clf.fit(A[tr], y[tr])
        out[te] = clf.decision_function(A[te])
    return out


# --------------------------------------------------------------------- text
class TextFeatures:
    """Enterprise text → one sparse TF-IDF matrix (L2-normalised blocks, weighted, side by side).

    Blocks: short name (char 1–2), other text columns with legal-form words removed (char 1–2), products (char
    `ngram_range` counts of each product name, summed over the firm's products with weight
    (clip(share, 0, 1) + 0.05) ** `product_weight_power`; optionally plus the products linked to them in
    product_links), and whole product names as tokens. `transform_segments` puts segment documents into the
    name and product spaces, for the zero-shot signal.
    """

    def __init__(self, *, name_weight: float, text_weight: float, product_weight: float, product_token_weight: float,
                 product_weight_power: float, product_link_weight: float, ngram_range: tuple[int, int], min_df: int):
        self.name_weight = name_weight
        self.text_weight = text_weight
        self.product_weight = product_weight
        self.product_token_weight = product_token_weight
        self.product_weight_power = product_weight_power
        self.product_link_weight = product_link_weight
        self.ngram_range = ngram_range
        self.min_df = min_df

    def fit_transform(self, ds: Dataset) -> sp.csr_matrix:
        n = ds.n_enterprises
        blocks: list[sp.spmatrix] = []
        self.name_vec_: TfidfVectorizer | None = None
        self.product_vec_: CountVectorizer | None = None
        self.name_block_: sp.csr_matrix | None = None
        self.product_block_: sp.csr_matrix | None = None
        names = [str(x) for x in ds.enterprise_names]
        if self.name_weight > 0:
            self.name_vec_, self.name_block_ = _char_tfidf(names, (1, 2), self.min_df)
            blocks.append(self.name_weight * self.name_block_)
        other = [_LEGAL_FORM.sub(" ", str(x)).strip() for x in ds.enterprise_text]
        self.other_block_ = None
        if self.text_weight > 0 and any(other):
            self.other_block_ = _char_tfidf(other, (1, 2), self.min_df)[1]
            blocks.append(self.text_weight * self.other_block_)
        if ds.has_products and (self.product_weight > 0 or self.product_token_weight > 0):
            pnames = ds.product_names.astype(str)
            vocab = set(pnames.tolist())
            links = ds.product_links if self.product_link_weight > 0 else None
            if links is not None:
                vocab |= set(links[0].astype(str).tolist()) | set(links[1].astype(str).tolist())
            uniq = sorted(vocab)
            pos = {p: i for i, p in enumerate(uniq)}
            w = np.nan_to_num(ds.product_weights.astype(np.float64), nan=0.0)
            w = (np.clip(w, 0.0, 1.0) + 0.05) ** self.product_weight_power
            A = sp.csr_matrix((w, (ds.product_enterprise, [pos[p] for p in pnames])), shape=(n, len(uniq)))
            A.sum_duplicates()
            if links is not None:
                fr = np.fromiter((pos[p] for p in links[0].astype(str)), np.int64, len(links[0]))
                to = np.fromiter((pos[p] for p in links[1].astype(str)), np.int64, len(links[1]))
                L = sp.csr_matrix((np.ones(len(fr)), (fr, to)), shape=(len(uniq), len(uniq)))
                L.data[:] = 1.0
                A = (A + self.product_link_weight * (A @ normalize(L, norm="l1"))).tocsr()
            if self.product_weight > 0:
                cv = CountVectorizer(analyzer="char", ngram_range=tuple(self.ngram_range), dtype=np.float64)
                E = (A @ cv.fit_transform(uniq)).tocsr()
                df = np.asarray((E > 0).sum(axis=0)).ravel()
                self.product_columns_ = np.flatnonzero(df >= self.min_df)
                self.product_idf_ = TfidfTransformer(sublinear_tf=True).fit(E[:, self.product_columns_])
                self.product_vec_ = cv
                self.product_block_ = self.product_idf_.transform(E[:, self.product_columns_]).tocsr()
                blocks.append(self.product_weight * self.product_block_)
            if self.product_token_weight > 0:
                df = np.asarray((A > 0).sum(axis=0)).ravel()
                keep = np.flatnonzero(df >= self.min_df)
                if len(keep):
                    tok = TfidfTransformer(sublinear_tf=True).fit_transform(A[:, keep])
                    blocks.append(self.product_token_weight * tok)
        if not blocks:
            return sp.csr_matrix((n, 1), dtype=np.float64)
        return sp.hstack(blocks).tocsr()

    def name_matrix(self) -> sp.csr_matrix | None:
        """Name and other text only (no products), for the name classifier."""
        parts = [b for b in (self.name_block_, self.other_block_) if b is not None]
        return normalize(sp.hstack(parts).tocsr()) if parts else None

    def zero_shot(self, seg_docs: list[str]) -> tuple[sp.csr_matrix, sp.csr_matrix] | None:
        """(enterprises, segments) in one space — products and names — both L2-normalised; None without text."""
        ent, seg = [], []
        if self.product_vec_ is not None:
            counts = self.product_vec_.transform(seg_docs)[:, self.product_columns_]
            ent.append(self.product_block_)
            seg.append(self.product_idf_.transform(counts))
        if self.name_vec_ is not None:
            ent.append(0.5 * self.name_block_)
            seg.append(0.5 * self.name_vec_.transform(seg_docs))
        if not ent:
            return None
        return normalize(sp.hstack(ent).tocsr()), normalize(sp.hstack(seg).tocsr())


def main_product_docs(ds: Dataset) -> list[str]:
    """Each firm's main product: the name of its highest-share product (first one on ties; "" without products)."""
    out = [""] * ds.n_enterprises
    if not ds.has_products:
        return out
    w = np.nan_to_num(ds.product_weights.astype(np.float64), nan=-1.0)
    best = np.full(ds.n_enterprises, -np.inf)
    for e, name, x in zip(ds.product_enterprise, ds.product_names.astype(str), w):
        if x > best[e]:
            best[e], out[e] = x, name
    return out


def main_product_matrix(ds: Dataset, ngram_range: tuple[int, int], min_df: int) -> sp.csr_matrix | None:
    """Char n-gram TF-IDF of each firm's main product alone (L2-normalised rows); None without products."""
    docs = main_product_docs(ds)
    if not any(docs):
        return None
    return normalize(_char_tfidf(docs, ngram_range, min_df)[1])


def _char_tfidf(docs: list[str], ngram_range: tuple[int, int],
                min_df: int) -> tuple[TfidfVectorizer | None, sp.csr_matrix]:
    nonempty = sum(1 for d in docs if d)
    if nonempty == 0:
        return None, sp.csr_matrix((len(docs), 1))
    for m in (min(min_df, nonempty), 1):
        vec = TfidfVectorizer(analyzer="char", ngram_range=ngram_range, sublinear_tf=True, min_df=m, dtype=np.float64)
        try:
            return vec, vec.fit_transform(docs).tocsr()
        except ValueError:  # empty vocabulary after min_df
            continue
    return None, sp.csr_matrix((len(docs), 1))


def segment_documents(ds: Dataset) -> list[str]:
    """Name + keywords/description (+ parent's name when the parent is a segment), level marks (Ⅲ) removed."""
    sidx = ds.segment_index()
    out = []
    for i in range(ds.n_segments):
        parts = [_LEVEL_MARK.sub("", str(ds.segment_names[i])), str(ds.segment_text[i])]
        p = sidx.get(str(ds.segment_parents[i]))
        if p is not None:
            parts.append(_LEVEL_MARK.sub("", str(ds.segment_names[p])))
        out.append(" ".join(x for x in parts if x))
    return out


# --------------------------------------------------------------------- signals on one membership matrix
def _log_softmax(z: np.ndarray, temperature: float) -> np.ndarray:
    z = z / temperature
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _row_share(M_block: sp.csr_matrix, A: sp.spmatrix) -> np.ndarray:
    """For each enterprise: share of its segments t with A[t, s] (dense block × segments)."""
    cnt = np.asarray(M_block.sum(axis=1)).ravel()
    out = np.asarray((M_block @ A).todense(), dtype=np.float64)
    return out / np.maximum(cnt, 1.0)[:, None]


class _Signals:
    """Every signal for one (visible) membership matrix; computed per block of enterprises."""

    def __init__(self, ds: Dataset, X: sp.csr_matrix, M: sp.csr_matrix,
                 zero_shot: tuple[sp.csr_matrix, sp.csr_matrix] | None, *, X_name: sp.csr_matrix | None = None,
                 attrs: np.ndarray | None = None, C: float, temperature: float, centroid_temperature: float, random_state: int,
                 signals: Sequence[str], X_main: sp.csr_matrix | None = None):
        self.ds, self.X, self.M = ds, X, sp.csr_matrix(M, dtype=np.float64)
        self.signals = tuple(signals)
        self.temperature, self.centroid_temperature = temperature, centroid_temperature
        ns = ds.n_segments
        self.n_memb = np.asarray(self.M.sum(axis=1)).ravel()
        sizes = np.asarray(self.M.sum(axis=0)).ravel()
        want_text = {"text_clf", "text_dec", "text_rank"} & set(self.signals)
        # --- linear SVM, one vs rest, on enterprises with at least one visible membership
        self.coef_ = None
        labelled = np.flatnonzero(self.n_memb > 0)
        self.labelled_ = labelled
        self.n_neighbors = 10
        Y = self.M[labelled].toarray()
        trainable = np.flatnonzero((Y.sum(axis=0) > 0) & (Y.sum(axis=0) < len(labelled)))
        self.trained_ = trainable
        if want_text and len(trainable):
            self.coef_, self.intercept_ = _fit_svm(X[labelled], Y[:, trainable], C, random_state)
        self.name_coef_ = None
        if X_name is not None and "name_clf" in self.signals and len(trainable):
            self.X_name = X_name
            self.name_coef_, self.name_intercept_ = _fit_svm(X_name[labelled], Y[:, trainable], C, random_state)
        # --- centroids of visible members
        Xn = normalize(X)
        self.Xn = Xn
        want_centroid = {"centroid", "centroid_rank"} & set(self.signals)
        self.centroids_ = normalize(self.M.T @ Xn).T.tocsc() if want_centroid else None
        self.has_centroid = sizes > 0
        # --- centroid of the members' main products (compared with the firm's main product): a row_clf input
        self.X_main = X_main
        self.main_centroids_ = normalize(self.M.T @ X_main).T.tocsc() if X_main is not None else None
        # --- zero-shot segment text
        self.zero_shot = zero_shot
        self.row_params_ = None
        self.log_size_ = np.log1p(sizes)
        # --- firm-level prior: is this a firm that gets classified at all (visible memberships only)
        self.firm_prior_ = None
        if attrs is not None and "firm_prior" in self.signals:
            self.firm_prior_ = _firm_prior(attrs, self.n_memb > 0, random_state)
        # --- co-membership P(s | t)
        if "co_membership" in self.signals:
            Cm = (self.M.T @ self.M).toarray()
            diag = np.diag(Cm).copy()
            P = Cm / np.maximum(diag, 1.0)[:, None]
            np.fill_diagonal(P, 0.0)
            self.comem_ = P
        # --- structure
        parents = np.asarray(ds.segment_parents, dtype=object).astype(str)
        chains = np.asarray(ds.segment_chains, dtype=object).astype(str)
        sidx = ds.segment_index()
        family = sp.lil_matrix(_equal_groups(parents, exclude_blank=True))
        for i, p in enumerate(parents):  # parent ↔ child segments count as "same family"
            j = sidx.get(p)
            if j is not None:
                family[i, j] = family[j, i] = 1.0
        self.same_parent_ = family.tocsr()
        self.same_chain_ = _equal_groups(chains, exclude_blank=True)
        lk = ds.segment_links
        self.up_ = sp.csr_matrix((np.ones(len(lk)), (lk[:, 0], lk[:, 1])), shape=(ns, ns)) if len(lk) else \
            sp.csr_matrix((ns, ns))
        self.linked_ = ((self.up_ + self.up_.T) > 0).astype(np.float64)
        # --- supplies
        sup = ds.supplies
        ne = ds.n_enterprises
        self.has_supplies = len(sup) > 0
        if self.has_supplies:
            S = sp.csr_matrix((np.ones(len(sup)), (sup[:, 0], sup[:, 1])), shape=(ne, ne))
            self.out_profile_ = normalize(S @ self.M, norm="l1")  # share of my customers' segments
            self.in_profile_ = normalize(S.T @ self.M, norm="l1")  # share of my suppliers' segments
            # P(in s | supplies into t), P(in s | buys from t): visible members only, add-one smoothing
            self.q_out_ = _conditional(self.out_profile_, self.M)
            self.q_in_ = _conditional(self.in_profile_, self.M)

    def _decision(self, rows: np.ndarray) -> np.ndarray | None:
        """SVM decision values, rows × segments (a segment without a classifier gets _UNTRAINED_DECISION)."""
        if self.coef_ is None:
            return None
        dec = np.full((len(rows), self.ds.n_segments), _UNTRAINED_DECISION)
        dec[:, self.trained_] = np.asarray((self.X[rows] @ self.coef_).todense()) + self.intercept_
        return dec

    def _cosine(self, rows: np.ndarray) -> np.ndarray | None:
        """Cosine to each segment's member centroid, rows × segments (0 for a segment without members)."""
        if self.centroids_ is None:
            return None
        cos = np.asarray((self.Xn[rows] @ self.centroids_).todense())
        cos[:, ~self.has_centroid] = 0.0
        return cos

    def _zero_shot(self, rows: np.ndarray) -> np.ndarray | None:
        if self.zero_shot is None:
            return None
        ent, seg = self.zero_shot
        return np.asarray((ent[rows] @ seg.T).todense())

    def row_features(self, rows: np.ndarray, *, dec: np.ndarray | None = None, cos: np.ndarray | None = None,
                     zs: np.ndarray | None = None) -> np.ndarray:
        """rows × segments × k raw evidence for the row-wise calibrated classifier: SVM decision, centroid cosine,
        zero-shot cosine, log segment size, decision and cosine times log size (size-dependent scales), and the
        cosine of the firm's main (highest-share) product to the centroid of the members' main products.
        `dec`, `cos`, `zs`: the same rows' values when the caller has them already (block() does)."""
        ns = self.ds.n_segments
        b = len(rows)
        ls = np.broadcast_to(self.log_size_[None, :], (b, ns))
        cols = [ls]
        dec = self._decision(rows) if dec is None else dec
        if dec is not None:
            cols += [dec, dec * ls]
        cos = self._cosine(rows) if cos is None else cos
        if cos is not None:
            cols += [cos, cos * ls]
        zs = self._zero_shot(rows) if zs is None else zs
        if zs is not None:
            cols.append(zs)
        if self.main_centroids_ is not None:
            cols.append(np.asarray((self.X_main[rows] @ self.main_centroids_).todense()))
        return np.stack(cols, axis=2)

    def block(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Every signal for enterprises `rows` × all segments (float64 arrays)."""
        ns = self.ds.n_segments
        b = len(rows)
        out: dict[str, np.ndarray] = {}
        Mb = self.M[rows]
        dec, cos, zs = self._decision(rows), self._cosine(rows), self._zero_shot(rows)
        if dec is not None:
            if "text_dec" in self.signals:
                out["text_dec"] = dec
            if "text_clf" in self.signals:
                out["text_clf"] = _log_softmax(dec, self.temperature)
            if "text_rank" in self.signals:
                r = np.argsort(np.argsort(-dec, axis=1, kind="stable"), axis=1, kind="stable")
                out["text_rank"] = -np.log1p(r)
        if "knn" in self.signals and self.labelled_.size:
            sim = np.asarray((self.Xn[rows] @ self.Xn[self.labelled_].T).todense())
            # a firm is not its own neighbour
            pos = np.searchsorted(self.labelled_, rows)
            hit = (pos < len(self.labelled_)) & (self.labelled_[np.minimum(pos, len(self.labelled_) - 1)] == rows)
            sim[np.flatnonzero(hit), pos[hit]] = 0.0
            kk = min(self.n_neighbors, sim.shape[1])
            top = np.argpartition(-sim, kk - 1, axis=1)[:, :kk]
            w = np.take_along_axis(sim, top, axis=1)
            Wm = sp.csr_matrix((w.ravel(), (np.repeat(np.arange(len(rows)), kk), top.ravel())),
                               shape=(len(rows), len(self.labelled_)))
            votes = np.asarray((Wm @ self.M[self.labelled_]).todense())
            out["knn"] = np.log(votes / np.maximum(w.sum(axis=1, keepdims=True), 1e-9) + 1e-3)
        if self.name_coef_ is not None:
            nd = np.full((b, ns), _UNTRAINED_DECISION)
            nd[:, self.trained_] = np.asarray((self.X_name[rows] @ self.name_coef_).todense()) + self.name_intercept_
            out["name_clf"] = _log_softmax(nd, self.temperature)
        if cos is not None:
            if "centroid" in self.signals:
                out["centroid"] = _log_softmax(cos, self.centroid_temperature)
            if "centroid_rank" in self.signals:
                r = np.argsort(np.argsort(-cos, axis=1, kind="stable"), axis=1, kind="stable")
                out["centroid_rank"] = -np.log1p(r)
        if zs is not None and "segment_text" in self.signals:
            out["segment_text"] = zs
        if self.row_params_ is not None and "row_clf" in self.signals:
            out["row_clf"] = _log_softmax(self.row_features(rows, dec=dec, cos=cos, zs=zs) @ self.row_params_, 1.0)
        if "placement" in self.signals:
            out["placement"] = np.repeat(np.log1p(self.n_memb[rows])[:, None], ns, axis=1)
        if self.firm_prior_ is not None:
            out["firm_prior"] = np.repeat(self.firm_prior_[rows][:, None], ns, axis=1)
        if "co_membership" in self.signals:
            out["co_membership"] = np.asarray(Mb @ self.comem_)
        if "same_parent" in self.signals:
            out["same_parent"] = _row_share(Mb, self.same_parent_)
        if "same_chain" in self.signals:
            out["same_chain"] = _row_share(Mb, self.same_chain_)
        if "linked" in self.signals:
            out["linked"] = _row_share(Mb, self.linked_)
        if self.has_supplies:
            op, ip = self.out_profile_[rows], self.in_profile_[rows]
            if "supply_learned" in self.signals:
                out["supply_learned"] = np.asarray(op @ self.q_out_) + np.asarray(ip @ self.q_in_)
            if "supply_linked" in self.signals:
                # my customers sit downstream of s (s → t) or my suppliers sit upstream of s (t → s)
                out["supply_linked"] = np.asarray((op @ self.up_.T).todense()) + np.asarray((ip @ self.up_).todense())
        return out


def _fit_svm(X: sp.csr_matrix, Y: np.ndarray, C: float, random_state: int) -> tuple[sp.csr_matrix, np.ndarray]:
    """One-vs-rest linear SVM for the 0/1 columns of Y → (coef as features × columns, intercepts)."""
    svm = LinearSVC(C=C, random_state=random_state, max_iter=5000)
    if Y.shape[1] == 1:  # one binary problem
        svm.fit(X, Y[:, 0])
        coef, icpt = svm.coef_, svm.intercept_
    elif (Y.sum(axis=1) == 1).all() and Y.shape[1] > 2:
        # every labelled firm in exactly one segment: liblinear's own one-vs-rest, same result, faster
        svm.fit(X, Y.argmax(axis=1))
        coef, icpt = svm.coef_, svm.intercept_
    else:
        ovr = OneVsRestClassifier(svm).fit(X, Y)
        coef = np.vstack([e.coef_ for e in ovr.estimators_])
        icpt = np.concatenate([np.atleast_1d(e.intercept_) for e in ovr.estimators_])
    return sp.csr_matrix(coef.T), np.asarray(icpt, dtype=np.float64)


def _equal_groups(labels: np.ndarray, *, exclude_blank: bool) -> sp.csr_matrix:
    """A[i, j] = 1 when labels i and j are equal (and not blank), i ≠ j."""
    uniq, inv = np.unique(labels, return_inverse=True)
    G = sp.csr_matrix((np.ones(len(labels)), (np.arange(len(labels)), inv)), shape=(len(labels), len(uniq)))
    if exclude_blank:
        blank = np.flatnonzero(uniq == "")
        if len(blank):
            G = G.tolil()
            G[:, blank] = 0
            G = G.tocsr()
    A = (G @ G.T).tolil()
    A.setdiag(0)
    A = A.tocsr()
    A.eliminate_zeros()
    return A.astype(np.float64)


def _conditional(profile: sp.csr_matrix, M: sp.csr_matrix) -> np.ndarray:
    """Q[t, s] = P(member of s | profile mass on t), add-one smoothed towards the segment base rate."""
    joint = np.asarray((profile.T @ M).todense())
    mass = np.asarray(profile.sum(axis=0)).ravel()
    base = np.asarray(M.sum(axis=0)).ravel() / max(M.shape[0], 1)
    return (joint + base[None, :]) / (mass[:, None] + 1.0)


# --------------------------------------------------------------------- the estimator
@dataclass
class _Blend:
    names: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray
    weights: np.ndarray
    learned: bool

    def score(self, feats: dict[str, np.ndarray]) -> np.ndarray:
        z = None
        for j, n in enumerate(self.names):
            if self.weights[j] == 0.0 or n not in feats:
                continue
            term = (self.weights[j] / self.std[j]) * (feats[n] - self.mean[j])
            z = term if z is None else z + term
        if z is None:
            z = np.zeros_like(next(iter(feats.values())))
        return z

    def contributions(self, feats: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {n: (self.weights[j] / self.std[j]) * (feats[n] - self.mean[j])
                for j, n in enumerate(self.names) if n in feats and self.weights[j] != 0.0}


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
                 size_interactions: bool = False, inner_repeats: int = 1, main_product_centroid: bool = True):
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
    def _signals_for(self, M: sp.csr_matrix) -> _Signals:
        return _Signals(self.dataset_, self.X_, M, self.zero_shot_, X_name=self.X_name_, attrs=self.attrs_, C=self.C,
                        temperature=self.temperature,
                        centroid_temperature=self.centroid_temperature, random_state=self.random_state,
                        signals=self.signal_names_, X_main=self.X_main_)

    def fit(self, dataset: Dataset) -> "MembershipRanker":
        names = tuple(self.signals) if self.signals is not None else DEFAULT_SIGNALS
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

    def _default_blend(self) -> _Blend:
        names = self.signal_names_
        return _Blend(names, np.zeros(len(names)), np.ones(len(names)),
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

    def _learn_blend(self, M: sp.csr_matrix) -> _Blend | None:
        rng = np.random.default_rng(self.random_state)
        reps = []  # (signals on the inner-visible memberships, inner-hidden members per segment), one per repeat
        for _ in range(max(1, self.inner_repeats)):
            M_in, hidden = self._inner_memberships(M, rng)
            if sum(len(v) for v in hidden.values()) < 10:
                return None
            reps.append((self._signals_for(M_in), hidden, M_in))
        self.row_params_ = None
        if self.row_calibration and "row_clf" in self.signal_names_:
            self.row_params_ = _fit_row_model([(sg, h) for sg, h, _ in reps], self.l2)
            for sg, _, _ in reps:
                sg.row_params_ = self.row_params_
        ne = self.dataset_.n_enterprises
        primary = "text_clf" if "text_clf" in self.signal_names_ else None
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

    def _fit_blend(self, names, F, W, Y, G, full_names) -> _Blend:
        mean = F.mean(axis=0)
        std = F.std(axis=0)
        std[std < 1e-9] = 1.0
        Fs = (F - mean) / std
        weights = _fit_conditional_logit(Fs, W, Y, G, self.l2)
        full_names = tuple(full_names)
        m = np.zeros(len(full_names))
        sd = np.ones(len(full_names))
        wt = np.zeros(len(full_names))
        for j, n in enumerate(names):
            k = full_names.index(n)
            m[k], sd[k], wt[k] = mean[j], std[j], weights[j]
        return _Blend(full_names, m, sd, wt, learned=True)

    def _features_by_segment(self, sig: _Signals, segs: np.ndarray) -> dict[str, np.ndarray]:
        """Signals for all enterprises × the given segments (dense, float32)."""
        ne = self.dataset_.n_enterprises
        out: dict[str, np.ndarray] = {}
        for rows in self._blocks(ne):
            f = sig.block(rows)
            if self.size_interactions:
                f.update(_size_interactions(f, sig.log_size_))
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
            f.update(_size_interactions(f, self.signals_.log_size_))
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
    def weights_(self) -> dict[str, float]:
        self._check_fitted()
        return {n: float(w) for n, w in zip(self.blend_.names, self.blend_.weights)}


def _fit_row_model(reps: list, l2: float) -> np.ndarray | None:
    """Row-wise calibration learned on the inner hold-out: θ maximising Σ log softmax_s(F[e, s]·θ)[true s] over the
    inner-hidden (firm, segment) pairs, F = _Signals.row_features. Its log-probabilities are the `row_clf` signal:
    segments scored on one scale, whatever their size."""
    Fl, invl, tl, off = [], [], [], 0
    for sig, hidden in reps:
        pairs = [(e, s) for s, es in hidden.items() for e in es]
        firms, inv = np.unique(np.array([e for e, _ in pairs], dtype=np.int64), return_inverse=True)
        Fl.append(sig.row_features(firms))  # firms × segments × k
        invl.append(inv + off)
        tl.append(np.array([s for _, s in pairs], dtype=np.int64))
        off += len(firms)
    if sum(len(t) for t in tl) < 10:
        return None
    F, inv, target = np.concatenate(Fl), np.concatenate(invl), np.concatenate(tl)
    k = F.shape[2]
    mu = F.reshape(-1, k).mean(axis=0)
    sd = F.reshape(-1, k).std(axis=0)
    sd[sd < 1e-9] = 1.0
    Fs = (F - mu) / sd
    Fp = Fs[inv, target]  # pairs × k
    cnt = np.bincount(inv, minlength=off).astype(float)  # inner-hidden segments per firm
    n = len(target)

    def f(th):
        z = Fs @ th  # firms × segments
        zmax = z.max(axis=1, keepdims=True)
        e = np.exp(z - zmax)
        den = e.sum(axis=1, keepdims=True)
        lse = (zmax + np.log(den)).ravel()
        P = e / den
        ll = (Fp @ th).sum() - cnt @ lse
        grad = Fp.sum(axis=0) - np.einsum("fsk,fs->k", Fs, P * cnt[:, None])
        return -ll / n + l2 * th @ th, -grad / n + 2 * l2 * th

    res = minimize(f, np.zeros(k), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return res.x / sd  # on the raw features (the centring is a per-row constant, gone in the softmax)


SIZE_INTERACTED = ("text_clf", "row_clf", "centroid", "segment_text", "firm_prior", "placement")


def _size_interactions(feats: dict[str, np.ndarray], log_size: np.ndarray) -> dict[str, np.ndarray]:
    """signal × log(1 + segment size): lets the blend weigh a signal differently in small and large segments."""
    return {f"{n}*size": feats[n] * log_size[None, :] for n in SIZE_INTERACTED if n in feats}


def _fit_conditional_logit(F: np.ndarray, W: np.ndarray, Y: np.ndarray, G: np.ndarray,
                           l2: float) -> np.ndarray:
    """Weights w maximising the mean over positives of log(e^{z_pos} / Σ_candidates ω e^{z}) − l2‖w‖², z = F·w.

    One group per inner segment; ω are the sampling weights of the candidates (1 for positives and hard
    negatives, pool/sample for the random ones), so the denominator estimates the sum over all candidates.
    """
    order = np.argsort(G, kind="stable")
    F, W, Y, G = F[order], W[order], Y[order], G[order]
    _, gidx = np.unique(G, return_inverse=True)
    n = len(G)
    starts = np.flatnonzero(np.r_[True, gidx[1:] != gidx[:-1]])
    groups = sp.csr_matrix((np.ones(n), (gidx, np.arange(n))))
    n_pos = np.asarray(groups @ Y).ravel()
    pos_sum = F.T @ Y
    logW = np.log(W)
    total = max(float(n_pos.sum()), 1.0)

    def f(w: np.ndarray) -> tuple[float, np.ndarray]:
        fw = F @ w
        z = fw + logW
        zmax = np.maximum.reduceat(z, starts)  # per group, for a stable log-sum-exp
        e = np.exp(z - zmax[gidx])
        den = np.asarray(groups @ e).ravel()
        ll = fw @ Y - n_pos @ (zmax + np.log(den))
        p = e * (n_pos / den)[gidx]  # each candidate's share, times its group's positives
        grad = pos_sum - F.T @ p
        return -ll / total + l2 * (w @ w), -grad / total + 2 * l2 * w

    res = minimize(f, np.zeros(F.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return res.x


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
