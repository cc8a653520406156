"""Two ideas for ChainKG's unplaced firms, measured honestly: transductive prior matching (Sinkhorn) and a
row-normalised score, applied to the fitted MembershipRanker's blended scores; and jieba word features.

    .venv/bin/python bench/chainkg_transductive.py [--seed 0] [--jieba 0.3]

ChainKG's hold-out is a 354-way classification of ~1,005 firms without a visible segment (docs/recommender.md,
"what limits it"). A classifier that lets big segments absorb firms can be corrected transductively: turn each
candidate firm's row of scores into P(s | firm) (softmax, temperature T), then balance the firm × segment matrix
with Sinkhorn–Knopp so that every row sums to 1 and every column to its expected share of the unplaced firms
(∝ visible size^α — a training-side prior), and rank each segment's candidates by the balanced probability plus
β × the row's log-sum-exp (which carries the firm-level signals, placement and firm_prior, that a row softmax
cancels). β = 1 and no balancing is the ranker's own order.

Tuning is on the inner hold-out only: the visible part of the split is split again by the same protocol, the
ranker is fitted on the inner-visible part and the parameters are chosen by the inner-hidden members' Recall@10;
the outer hidden members are used only to report the chosen parameters' score. `--jieba W` adds a word-level
TF-IDF block (jieba, precise mode) of the product names, the short name and the other text with weight W beside
the char n-grams (jieba is not a project dependency — measured and not kept: `pip install jieba==0.42.1`
to rerun it).

Results: docs/recommender.md, "Measured and not kept: prior matching, a row-normalised score, jieba words".

Reads ../shared/datasets/chainkg at run time; writes only a cache of score matrices under /tmp.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from chainkg_misses import macro_scores, open_chainkg  # noqa: E402
from membership.evaluation import holdout_split  # noqa: E402
from membership.ranker import MembershipRanker  # noqa: E402
from membership import text as text_mod  # noqa: E402

CACHE = Path("/tmp/chainmatch_rec2_cache")


def jieba_block(ds, weight: float) -> sp.csr_matrix:
    """Word TF-IDF (jieba precise mode) of each firm's product names + short name + other text."""
    import jieba
    from sklearn.feature_extraction.text import TfidfVectorizer
    jieba.setLogLevel(60)
    prods = [[] for _ in range(ds.n_enterprises)]
    if ds.has_products:
        for e, p in zip(ds.product_enterprise, ds.product_names.astype(str)):
            prods[e].append(p)
    docs = []
    for i in range(ds.n_enterprises):
        parts = prods[i] + [str(ds.enterprise_names[i]), text_mod._LEGAL_FORM.sub(" ", str(ds.enterprise_text[i]))]
        docs.append(" ".join(w for part in parts for w in jieba.lcut(part) if w.strip()))
    vec = TfidfVectorizer(analyzer=str.split, sublinear_tf=True, min_df=2)
    return weight * vec.fit_transform(docs).tocsr()


def fitted_scores(ds, tag: str, jieba_weight: float) -> np.ndarray:
    path = CACHE / f"{tag}_j{jieba_weight}.npy"
    if path.exists():
        return np.load(path)
    orig = text_mod.TextFeatures.fit_transform
    if jieba_weight > 0:
        def patched(self, d):
            X = orig(self, d)
            return sp.hstack([X, jieba_block(d, jieba_weight)]).tocsr()
        text_mod.TextFeatures.fit_transform = patched
    try:
        Z = MembershipRanker().fit(ds).score_matrix()
    finally:
        text_mod.TextFeatures.fit_transform = orig
    CACHE.mkdir(exist_ok=True)
    np.save(path, Z)
    return Z


def sinkhorn(P: np.ndarray, col_target: np.ndarray, n_iter: int) -> np.ndarray:
    """Scale rows to sum 1 and columns to col_target (alternating; P > 0)."""
    Q = P.copy()
    for _ in range(n_iter):
        Q *= (col_target / np.maximum(Q.sum(axis=0), 1e-300))[None, :]
        Q /= Q.sum(axis=1, keepdims=True)
    return Q


def transform(Z: np.ndarray, V: sp.csr_matrix, T: float, alpha: float | None, beta: float, phi: float = 0.0,
              n_iter: int = 50) -> np.ndarray:
    """The adjusted score matrix. alpha None: row normalisation only (log P(s | firm) + beta × row log-sum-exp).
    Otherwise the candidate pool (firms with no visible segment) is balanced: columns to a share (1 − phi) of the
    pool ∝ visible size^alpha, plus, when phi > 0, a "no segment" column (logit: the row's median score) taking
    the share phi — a firm that fits nowhere need not be pushed into a segment. n_iter 1 = one column scaling."""
    S = Z / T
    lse = np.logaddexp.reduce(S, axis=1, keepdims=True)
    out = S - lse
    if alpha is None:
        return out + beta * lse
    pool = np.asarray(V.sum(axis=1)).ravel() == 0
    sizes = np.asarray(V.sum(axis=0)).ravel().astype(float)
    prior = sizes ** alpha
    n_pool = pool.sum()
    target = prior / prior.sum() * n_pool * (1 - phi)
    Sp = S[pool]
    if phi > 0:
        Sp = np.hstack([Sp, np.median(Sp, axis=1, keepdims=True)])
        target = np.r_[target, n_pool * phi]
    P = np.exp(Sp - np.logaddexp.reduce(Sp, axis=1, keepdims=True))
    Q = sinkhorn(P + 1e-300, np.maximum(target, 1e-12), n_iter)
    out[pool] = np.log(np.maximum(Q[:, : S.shape[1]], 1e-300))
    return out + beta * lse


def grid():
    for T in (0.25, 0.5, 1.0, 1.5, 2.0, 3.0):
        for beta in (0.0, 0.5, 0.75, 1.0, 1.25):
            yield (T, None, beta, 0.0, 0)
            for alpha in (0.5, 0.75, 1.0, 1.25):
                for phi in (0.0, 0.25):
                    for n_iter in (1, 50):
                        yield (T, alpha, beta, phi, n_iter)


def marginals(Z: np.ndarray, V: sp.csr_matrix, hidden: dict[int, set[int]]) -> None:
    """Are big segments absorbing firms? The pool's first choices per size band against ∝ visible size."""
    pool = np.asarray(V.sum(axis=1)).ravel() == 0
    sizes = np.asarray(V.sum(axis=0)).ravel()
    first = np.bincount(Z[pool].argmax(axis=1), minlength=Z.shape[1])
    expected = sizes / sizes.sum() * pool.sum()
    n_hidden = np.zeros(Z.shape[1])
    for s, h in hidden.items():
        n_hidden[s] = len(h)
    order = np.argsort(-sizes, kind="stable")
    for lo, hi in ((0, 20), (20, 60), (60, 150), (150, Z.shape[1])):
        b = order[lo:hi]
        print(f"segments {lo + 1}–{hi} by size (visible {sizes[b].min():.0f}–{sizes[b].max():.0f}): first choice of "
              f"{first[b].sum()} pool firms, ∝ size {expected[b].sum():.0f}, hidden members {n_hidden[b].sum():.0f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jieba", type=float, default=0.0)
    opened = open_chainkg(ap)
    if opened is None:
        return 2
    args, ds = opened
    outer = holdout_split(ds, args.seed)
    inner = holdout_split(outer.visible, args.seed)
    levels = {}
    for tag, split, full in (("inner", inner, outer.visible), ("outer", outer, ds)):
        Z = fitted_scores(split.visible, f"{tag}{args.seed}", args.jieba)
        eidx, sidx = full.enterprise_index(), full.segment_index()
        hidden = {sidx[s]: {eidx[h] for h in hs} for s, hs in split.hidden.items()}
        levels[tag] = (Z, split.visible.memberships.tocsr(), hidden)
    base = {t: macro_scores(*lv) for t, lv in levels.items()}
    print(f"seed {args.seed} jieba {args.jieba}: ranker inner R@10 {base['inner'][0]:.4f} NDCG {base['inner'][1]:.4f}"
          f" | outer R@10 {base['outer'][0]:.4f} NDCG {base['outer'][1]:.4f}")
    marginals(*levels["outer"])
    rows = []
    for params in grid():
        r = {t: macro_scores(transform(Z, V, *params), V, h) for t, (Z, V, h) in levels.items()}
        rows.append((params, r))
        T, alpha, beta, phi, n_iter = params
        print(f"T {T:<4} alpha {str(alpha):<4} beta {beta:<4} phi {phi:<4} iter {n_iter:<2} "
              f"inner {r['inner'][0]:.4f} / {r['inner'][1]:.4f}  "
              f"outer {r['outer'][0]:.4f} / {r['outer'][1]:.4f}", flush=True)
    top = max(rows, key=lambda x: x[1]["outer"][0])
    print(f"best on the outer split (not a result, an upper bound of the grid): {top[0]} → "
          f"{top[1]['outer'][0]:.4f} / {top[1]['outer'][1]:.4f}")
    best = max(rows, key=lambda x: (x[1]["inner"][0], x[1]["inner"][1]))
    print(f"chosen on the inner hold-out: T, alpha, beta, phi, iter = {best[0]} → outer R@10 {best[1]['outer'][0]:.4f} "
          f"NDCG@10 {best[1]['outer'][1]:.4f} (ranker {base['outer'][0]:.4f} / {base['outer'][1]:.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
