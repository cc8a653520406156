"""The hold-out protocol and its metrics, on hand-computed cases."""
from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from membership.dataset import Dataset
from membership.evaluation import (holdout_split, ndcg_at_k, recall_at_k, score_rankings,
                                 visible_members_by_segment)


def test_recall_at_k_by_hand():
    ranked = ["a", "b", "c", "d", "e"]
    assert recall_at_k(ranked, {"b", "d"}, 1) == 0.0
    assert recall_at_k(ranked, {"b", "d"}, 2) == 0.5
    assert recall_at_k(ranked, {"b", "d"}, 4) == 1.0
    assert recall_at_k(ranked, {"b", "z"}, 10) == 0.5  # a relevant item never ranked still counts
    with pytest.raises(ValueError):
        recall_at_k(ranked, set(), 5)


def test_ndcg_at_k_by_hand():
    ranked = ["a", "b", "c", "d"]
    # hits at ranks 2 and 4; ideal puts the two hits at ranks 1 and 2
    idcg = 1 + 1 / math.log2(3)
    assert ndcg_at_k(ranked, {"b", "d"}, 2) == pytest.approx((1 / math.log2(3)) / idcg)  # ≈ 0.3869
    assert ndcg_at_k(ranked, {"b", "d"}, 4) == pytest.approx((1 / math.log2(3) + 1 / math.log2(5)) / idcg)  # ≈ 0.6509
    assert ndcg_at_k(ranked, {"a"}, 10) == 1.0
    assert ndcg_at_k(ranked, {"z"}, 10) == 0.0
    # more relevant items than K: the ideal is capped at K hits
    assert ndcg_at_k(["a", "b"], {"a", "b", "c"}, 2) == 1.0


def _dataset(sizes: list[int]) -> Dataset:
    """Segment s has sizes[s] members; every enterprise in one segment, plus one extra firm in no segment."""
    n = sum(sizes) + 1
    rows = np.arange(sum(sizes))
    cols = np.repeat(np.arange(len(sizes)), sizes)
    M = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, len(sizes)))
    return Dataset(enterprise_ids=np.array([f"e{i}" for i in range(n)], object),
                   enterprise_names=np.array([f"企业{i}" for i in range(n)], object),
                   segment_ids=np.array([f"s{i}" for i in range(len(sizes))], object),
                   segment_names=np.array([f"环节{i}" for i in range(len(sizes))], object),
                   segment_chains=np.array(["链"] * len(sizes), object), memberships=M)


def test_holdout_hides_a_fifth_of_segments_with_five_or_more():
    ds = _dataset([3, 4, 5, 9, 10, 24, 26])
    split = holdout_split(ds, seed=0)
    hidden = {s: len(v) for s, v in split.hidden.items()}
    assert hidden == {"s2": 1, "s3": 1, "s4": 2, "s5": 4, "s6": 5}
    # hidden + visible = everything; nothing else changes
    vis = visible_members_by_segment(split.visible)
    full = visible_members_by_segment(ds)
    for s in full:
        assert vis[s] | set(split.hidden.get(s, [])) == full[s]
        assert not vis[s] & set(split.hidden.get(s, []))
    assert split.visible.n_enterprises == ds.n_enterprises
    assert split.n_hidden == 13


def test_holdout_is_fixed_by_the_seed():
    ds = _dataset([12, 30, 7])
    a, b, c = holdout_split(ds, 1), holdout_split(ds, 1), holdout_split(ds, 2)
    assert a.hidden == b.hidden
    assert a.hidden != c.hidden


def test_score_rankings_macro_and_micro():
    hidden = {"s1": ["a", "b"], "s2": ["c"]}
    rankings = {"s1": [("a", 0.9), ("x", 0.5), ("b", 0.4)], "s2": [("y", 1.0), ("z", 0.9)]}
    sc = score_rankings(rankings, hidden, ks=(1, 3), ndcg_ks=(3,))
    assert sc.recall[1] == pytest.approx((0.5 + 0.0) / 2)  # per segment, then averaged
    assert sc.recall[3] == pytest.approx((1.0 + 0.0) / 2)
    assert sc.recall_micro[3] == pytest.approx(2 / 3)  # over hidden memberships
    ndcg_s1 = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert sc.ndcg[3] == pytest.approx(ndcg_s1 / 2)
    assert sc.n_segments == 2 and sc.n_hidden == 3


def test_score_rankings_refuses_a_visible_member():
    with pytest.raises(AssertionError, match="已知成员"):
        score_rankings({"s1": [("m", 1.0), ("a", 0.5)]}, {"s1": ["a"]}, visible_members={"s1": {"m"}})
