"""土地超市 batch assignment: optimal (checked by brute force), one-to-one, never breaking a rule, unmatched
allowed and explained; both solvers."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from factories import graph_data, land_world
from graph.schema import LandParcel, Project
from graph.snapshot import Snapshot
from land.assignment import assign, optimal_assignment
from land.data import LandData, land_data
from land_helpers import NOW, brute_force_best, random_instance, reference_failures


@pytest.fixture(scope="module")
def app_data():
    return graph_data(*land_world(), park="qz")


@pytest.fixture
def data(store):
    return land_data(Snapshot.build(store))


@pytest.mark.parametrize("seed", range(60))
def test_assignment_is_optimal_and_never_breaks_a_rule(seed):
    rng = np.random.default_rng(1000 + seed)
    n, m = int(rng.integers(1, 7)), int(rng.integers(1, 7))
    projects, parcels = random_instance(rng, n, m)
    d = LandData.from_records(projects, parcels)
    res = assign(d, now=NOW)
    edges = {}
    for i, pr in enumerate(projects):
        for j, pc in enumerate(parcels):
            if not reference_failures(pr, pc, NOW):
                edges[(i, j)] = None
    pairs = list(zip(res.pair_projects.tolist(), res.pair_parcels.tolist()))
    assert set(pairs) == set(edges)  # every feasible pair scored (S), nothing else
    scores = dict(zip(pairs, res.pair_scores.tolist()))
    chosen = [pairs[e] for e in res.chosen.tolist()]
    assert len({i for i, _ in chosen}) == len(chosen) == len({j for _, j in chosen})  # one-to-one
    for i, j in chosen:
        assert not reference_failures(projects[i], parcels[j], NOW)
    assert math.isclose(res.total_score, sum(scores[c] for c in chosen), abs_tol=1e-9)
    assert math.isclose(res.total_score, brute_force_best(scores, n), abs_tol=1e-9)


@pytest.mark.parametrize("method", ["sparse", "dense", "auto"])
def test_unmatched_is_allowed_where_max_cardinality_would_lose_score(method):
    # A–x 100, A–y 1, B–x 1: the best total leaves B unmatched (100), a "match everyone" solver would pick 2
    chosen, total = optimal_assignment(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([100.0, 1.0, 1.0]),
                                       method=method)
    assert total == 100.0 and chosen.tolist() == [0]
    assert optimal_assignment(np.zeros(0), np.zeros(0), np.zeros(0), method=method)[1] == 0.0
    with pytest.raises(ValueError, match="重复"):
        optimal_assignment(np.array([0, 0]), np.array([1, 1]), np.array([1.0, 2.0]), method=method)


@pytest.mark.parametrize("seed", range(30))
def test_both_solvers_match_brute_force(seed):
    rng = np.random.default_rng(500 + seed)
    n, m = int(rng.integers(1, 7)), int(rng.integers(1, 8))
    feas = rng.random((n, m)) < rng.uniform(0.1, 0.9)
    s = np.round(rng.random((n, m)) * 100, 2) - (10 if seed % 3 == 0 else 0)  # negative scores too
    r, c = np.nonzero(feas)
    best = brute_force_best({(int(i), int(j)): float(s[i, j]) for i, j in zip(r, c)}, n)
    for method in ("sparse", "dense"):
        chosen, total = optimal_assignment(r, c, s[r, c], method=method)
        assert math.isclose(total, best, abs_tol=1e-9), method
        assert len(set(r[chosen].tolist())) == len(chosen) == len(set(c[chosen].tolist()))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("method", ["sparse", "dense"])
def test_optimal_assignment_equals_dense_linear_sum_assignment(seed, method):
    rng = np.random.default_rng(seed)
    n, m = 40, 55
    feas = rng.random((n, m)) < 0.25
    s = np.round(rng.random((n, m)) * 100, 3)
    r, c = np.nonzero(feas)
    chosen, total = optimal_assignment(r, c, s[r, c], method=method)
    cost = np.full((n, m + n), np.inf)
    cost[:, :m][feas] = -s[feas]
    cost[np.arange(n), m + np.arange(n)] = 0.0
    rr, cc = linear_sum_assignment(cost)
    assert math.isclose(total, -cost[rr, cc].sum(), abs_tol=1e-6)
    assert len(set(c[chosen].tolist())) == len(chosen)


def test_batch_on_the_graph_is_optimal_and_explained(data):
    res = assign(data, now=NOW)
    out = res.as_dict()
    pairs = list(zip(res.pair_projects.tolist(), res.pair_parcels.tolist()))
    scores = dict(zip(pairs, res.pair_scores.tolist()))
    named = {(str(data.projects.keys[i]), str(data.parcels.keys[j])) for i, j in pairs}
    # P1: A, C, G · P2: B, C, G and E (reserved for P2 itself) · P3 (no tax figure, so not A): C, G
    assert named == {("P1", "A"), ("P1", "C"), ("P1", "G"), ("P2", "B"), ("P2", "C"), ("P2", "E"), ("P2", "G"), ("P3", "C"), ("P3", "G")}
    assert math.isclose(res.total_score, brute_force_best(scores, len(data.projects)), abs_tol=1e-9)
    assert out["unmatched"] == [] and out["counts"]["assigned"] == 3
    for a in out["assigned"]:
        assert all(c["outcome"] != "fail" for c in a["checks"])
        assert math.isclose(sum(b["points"] for b in a["breakdown"]), a["score"], abs_tol=0.02)


def test_unmatched_reasons_distinguish_no_option_from_lost_competition():
    base = dict(land_min_mu=50, land_max_mu=100, total_investment_wan=50000, chain="ic")
    projects = [Project(key="a", name="甲", **base), Project(key="b", name="乙", **base),
                Project(key="c", name="丙", **{**base, "land_min_mu": 500, "land_max_mu": 600})]
    parcels = [LandParcel(key="x", name="唯一地块", region="r", area_mu=80)]
    res = assign(LandData.from_records(projects, parcels), now=NOW)
    reasons = {u["project"]: u["reason"] for u in res.as_dict()["unmatched"]}
    assert len(res.chosen) == 1 and len(reasons) == 2
    loser = ({"a", "b"} - {str(res.data.projects.keys[res.pair_projects[res.chosen[0]]])}).pop()
    assert reasons[loser].startswith("有 1 块可行地块，但都分配给了其他项目")
    assert reasons["c"].startswith("没有满足硬性条件的地块")
