"""EASE and item-item cosine (membership/collab.py), the collaborative baselines, and λ on the inner hold-out."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from membership.baselines import CoMembershipCentroidRanker, EaseRanker
from membership.collab import choose_lambda, cosine_matrix, ease_matrix
from membership.synthetic import synthetic_chains

X = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [0, 1, 1], [1, 0, 0]], dtype=float))


def test_ease_matches_the_closed_form():
    lam = 2.0
    P = np.linalg.inv(X.T @ X + lam * np.eye(3))
    expected = np.eye(3) - P @ np.diag(1.0 / np.diag(P))
    B = ease_matrix(X, lam)
    assert np.allclose(B, expected)
    assert np.allclose(np.diag(B), 0.0)


def test_item_cosine_by_hand():
    S = cosine_matrix(X)
    # segments 0 and 1 share 2 firms; |0| = 3, |1| = 3 → 2/3; segment 2 (1 firm) shares 1 with segment 1
    assert np.isclose(S[0, 1], 2 / 3) and np.isclose(S[1, 2], 1 / np.sqrt(3)) and S[0, 2] == 0.0
    assert np.allclose(np.diag(S), 0.0)


def test_choose_lambda_sees_only_the_inner_split_and_picks_from_the_grid():
    ds = synthetic_chains("multi", seed=3)
    M = ds.memberships.tocsr()
    hidden = {s: M.tocsc()[:, s].indices[:2] for s in range(ds.n_segments)}
    M_in = M.tolil()
    for s, es in hidden.items():
        for e in es:
            M_in[e, s] = 0
    lam = choose_lambda(M_in.tocsr(), hidden, grid=(1.0, 30.0, 1000.0))
    assert lam in (1.0, 30.0, 1000.0)
    assert choose_lambda(sp.csr_matrix((4, 3)), {}) > 0  # nothing to learn → the default


def test_collaborative_baselines_rank_co_members_first():
    ds = synthetic_chains("multi", seed=1)
    for model in (CoMembershipCentroidRanker().fit(ds), EaseRanker().fit(ds)):
        ranked = model.rank(["A2"], k=20)["A2"]
        M = ds.memberships.tocsr()
        idx = ds.enterprise_index()
        # the top of the list is in a neighbouring segment of the same chain (A1 or A3)
        top = [M[idx[e]].indices for e, _ in ranked[:10]]
        assert sum(bool({1, 3} & set(t)) for t in top) >= 8
    assert EaseRanker().fit(ds).lam_ > 0
