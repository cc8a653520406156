"""The signals of the membership recommender on one membership matrix (Signals): per (firm, segment) the SVM
decision and its softmax, centroid cosines, zero-shot text cosine, placement, firm prior, co-membership, EASE and item-item cosine,
same-parent/same-chain/linked shares and supply-derived signals — computed in blocks of firms. The table of
signals is in ranker.py's module docstring."""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from membership.collab import DEFAULT_LAMBDA, SetCompletion, cosine_matrix, ease_matrix
from membership.dataset import Dataset

_UNTRAINED_DECISION = -3.0  # SVM decision for a segment without a trained classifier (negatives sit near -1)
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


class Signals:
    """Every signal for one (visible) membership matrix; computed per block of enterprises."""

    def __init__(self, ds: Dataset, X: sp.csr_matrix, M: sp.csr_matrix,
                 zero_shot: tuple[sp.csr_matrix, sp.csr_matrix] | None, *, X_name: sp.csr_matrix | None = None,
                 attrs: np.ndarray | None = None, C: float, temperature: float, centroid_temperature: float, random_state: int,
                 signals: Sequence[str], X_main: sp.csr_matrix | None = None, ease_lambda: float = DEFAULT_LAMBDA):
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
        # --- collaborative: EASE and item-item cosine over the visible firm × segment matrix (membership/collab.py)
        self.ease_ = ease_matrix(self.M, ease_lambda) if "ease" in self.signals else None
        self.item_cos_ = cosine_matrix(self.M) if "item_cos" in self.signals else None
        self.set_completion_ = SetCompletion(self.M) if "set_completion" in self.signals else None
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
        if self.ease_ is not None:
            out["ease"] = np.asarray(Mb @ self.ease_)
        if self.item_cos_ is not None:
            out["item_cos"] = np.asarray(Mb @ self.item_cos_)
        if self.set_completion_ is not None:
            out["set_completion"] = self.set_completion_.block(rows)
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


