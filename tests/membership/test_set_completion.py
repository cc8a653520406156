"""The set-completion signal (membership/collab.py SetCompletion): how often firms known in exactly U ∪ {s}
outnumber those known in U, backed off to pairwise co-membership for sets seen rarely."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from membership.collab import SetCompletion
from membership.evaluation import holdout_split, run_split
from membership.ranker import MembershipRanker
from membership.synthetic import synthetic_chains

# firms 0–1 in {0, 1}; firm 2 in {0}; firm 3 in {1, 2}; firm 4 in nothing; firm 5 in {2}
M = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [1, 0, 0], [0, 1, 1], [0, 0, 0], [0, 0, 1]], dtype=float))


def test_scores_by_hand():
    sc = SetCompletion(M, alpha=1.0)
    z = sc.block(np.arange(6))
    # firm 2, seen in {0}: two firms are in exactly {0, 1}, one in exactly {0}; backoff P(1 | 0) = 2/3
    assert np.isclose(z[2, 1], np.log(2 + 2 / 3) - np.log(1 + 1))
    # {0, 2} was never seen: only the backoff P(2 | 0) = 0 → the floor, far below segment 1
    assert z[2, 2] < z[2, 1] - 5
    # firm 5, seen in {2}: one firm is in {1, 2}; P(1 | 2) = 1/2
    assert np.isclose(z[5, 1], np.log(1 + 0.5) - np.log(1 + 1))
    # firm 4, seen nowhere: the sets of one segment ({0}: 1 firm, {2}: 1 firm), backoff the segment's share
    assert np.isclose(z[4, 0], np.log(1 + 3 / 6) - np.log(1 + 1))
    assert np.isclose(z[4, 1], np.log(0 + 3 / 6) - np.log(1 + 1))
    # the same set → the same row
    assert np.allclose(z[0], z[1])


def test_adjacent_segments_come_first_on_window_shaped_chains():
    # firms supply runs of adjacent segments 0-1-2-3; a firm seen in {1} is most likely also in 0 or 2, not 3
    rows = [[0, 1]] * 6 + [[1, 2]] * 6 + [[2, 3]] * 6 + [[1]] * 2
    dense = np.zeros((len(rows), 4))
    for i, r in enumerate(rows):
        dense[i, r] = 1
    z = SetCompletion(sp.csr_matrix(dense)).block(np.array([len(rows) - 1]))[0]
    assert min(z[0], z[2]) > z[3]


def test_only_the_given_memberships_are_counted():
    a = SetCompletion(M).block(np.arange(6))
    hidden = M.tolil()
    hidden[0, 1] = 0  # firm 0 now looks like firm 2 (seen in {0} only)
    b = SetCompletion(hidden.tocsr()).block(np.arange(6))
    assert np.allclose(b[0], b[2]) and not np.allclose(a[2], b[2])


def test_multi_regime_uses_set_completion_and_keeps_its_level():
    ds = synthetic_chains("multi", seed=0)
    model = MembershipRanker().fit(ds)
    assert "set_completion" in model.signal_names_ and model.weights_["set_completion"] > 0
    split = holdout_split(ds, 0)
    with_sc = run_split(MembershipRanker(), split).recall[10]
    alone = run_split(MembershipRanker(signals=["set_completion"], learn_weights=False), split).recall[10]
    assert alone > 0.2 and with_sc > 0.3
