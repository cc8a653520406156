"""Learned attractability weights keep the documented signs (targets/signfit.py, targets/model.py learn).

The reported case: on the seed data the weights learned from past projects turned distance and a local fund's
own investment against the firm (farther firms scored higher, the fund's own portfolio firm lower). Here a
project history that says exactly that — every landed investor is far away (丁市) and supplies the local 链主,
every stalled one is near (乙市) and invested by the local fund 甲市产业基金 — must still serve non-negative
weights, say which features the data would have inverted, and never list "far away" as a reason."""
from __future__ import annotations

import logging

import numpy as np
import pytest

from graph.schema import Enterprise, Project
from graph.store import RelRec
from targets import DEFAULT_WEIGHTS, FEATURES, TargetConfig, TargetEngine, rank_targets
from targets.model import F, learn
from targets.signfit import fit_logistic
from test_targets import build, item


def _contrary_history(n: int = 35):
    objs, rels = [], []
    for i in range(2 * n):
        landed = i < n
        key = f"H{i:03d}"
        objs.append(Enterprise(key=key, name=f"{'丁市远方' if landed else '乙市近邻'}{i}（测试）",
                               region="700100" if landed else "900200", size="中型"))
        objs.append(Project(key=f"PR{i:03d}", name=f"历史项目{i}（测试）", investor=key, chain="ic", segment="ic.mat",
                            region="900101", stage="签约" if landed else "线索"))
        rels.append(RelRec("IN_SEGMENT", "Enterprise", key, "Segment", "ic.mat"))
        if landed:
            rels.append(RelRec("SUPPLIES", "Enterprise", key, "Enterprise", "L1"))
        else:
            rels.append(RelRec("INVESTED_IN", "Fund", "FL", "Enterprise", key, {"amount_wan": 500}))
    return objs, rels


def test_a_history_that_inverts_distance_and_the_local_fund_still_serves_the_documented_signs(tmp_path):
    store, snap = build(tmp_path / "contrary.db", *_contrary_history())
    try:
        w = TargetEngine.of(snap).weights_out()
        assert w.source == "learned" and w.sign_check == "constrained"
        # the data alone turns both against the firm …
        assert w.unconstrained["proximity"] < 0 and w.unconstrained["fund_local"] < 0
        assert {"proximity", "fund_local"} <= set(w.inverted)
        # … the served weights keep the documented (positive) side, and the answer says so
        assert all(w.values[f] >= 0 for f in FEATURES), w.values
        assert w.values["leader_tie"] > 0.5  # what the history does support is still learned
        assert "与文档方向相反" in w.note and "距离" in w.note and "本地基金投资" in w.note
        out = rank_targets(snap, region="甲市", chain="ic", segment="ic.mat", k=200)
        d, b = item(out, "D"), item(out, "B")  # D: invested by the local fund; B: its twin without
        assert d.score >= b.score and d.contributions["fund_local"] >= 0
        for it in out.items:
            assert not any("公里" in r and "便于配套" not in r for r in it.reasons), it.reasons
            far = it.distance_km is not None and it.distance_km > 300
            assert not (far and it.contributions["proximity"] > 1e-9), it  # far away never adds to the score
    finally:
        store.close()


def test_the_bounded_fit_equals_the_free_fit_when_the_data_agrees():
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(400, 3))
    y = (Z @ np.asarray([1.5, 0.5, 0.0]) + rng.normal(scale=0.5, size=400) > 0).astype(int)
    free, b0 = fit_logistic(Z, y, C=1.0)
    bound, b1 = fit_logistic(Z, y, C=1.0, signs=np.asarray([1, 1, 0]))
    assert free[0] > 0 and free[1] > 0 and bound == pytest.approx(free, abs=1e-4) and b1 == pytest.approx(b0, abs=1e-4)
    # the same data read with the third weight forced to be ≤ 0 and the first ≥ 0 …
    flipped, _ = fit_logistic(-Z, y, C=1.0, signs=np.asarray([1, 1, 0]))
    assert flipped[0] == pytest.approx(0, abs=1e-6) and flipped[1] == pytest.approx(0, abs=1e-6)


def test_a_history_contradicting_every_sign_falls_back_to_the_defaults_with_a_warning(caplog):
    rng = np.random.default_rng(0)
    n = 120
    X = np.zeros((n, len(FEATURES)))
    y = np.r_[np.ones(n // 2), np.zeros(n // 2)].astype(int)
    for f in FEATURES:  # every feature is higher among the firms that did NOT land
        X[:, F[f]] = np.where(y == 1, 0.0, 1.0) + rng.normal(scale=0.1, size=n)
    with caplog.at_level(logging.WARNING, logger="targets.model"):
        w = learn(X, y, projects=n, positives=n // 2, config=TargetConfig(min_positives=2))
    assert w.source == "default" and w.sign_check == "fallback"
    assert w.as_dict() == {f: round(DEFAULT_WEIGHTS[f], 4) for f in FEATURES}
    assert "改用默认权重" in w.note and any("contradicts" in r.message for r in caplog.records)
