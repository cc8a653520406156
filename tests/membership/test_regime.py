"""Regime detection and both regimes on the synthetic generator (small, no ../shared): the default model picks
its signals from the data, says which, and holds against the collaborative baselines."""
from __future__ import annotations

import numpy as np
import pytest

from membership.baselines import CoMembershipCentroidRanker, EaseRanker
from membership.evaluation import holdout_split, run_split
from membership.ranker import DEFAULT_SIGNALS, MembershipRanker
from membership.regime import COLLAB_SIGNALS, detect_regime
from membership.synthetic import synthetic_chains


def test_synthetic_generator_is_deterministic_and_has_no_real_names():
    a, b = synthetic_chains("multi", seed=5), synthetic_chains("multi", seed=5)
    assert (a.memberships != b.memberships).nnz == 0 and list(a.enterprise_names) == list(b.enterprise_names)
    assert all(str(n).startswith("企业") for n in a.enterprise_names)
    with pytest.raises(ValueError):
        synthetic_chains("both")


def test_regimes_are_detected():
    multi = detect_regime(synthetic_chains("multi"))
    single = detect_regime(synthetic_chains("single"))
    assert multi.name == "multi" and multi.memberships_per_firm > 1.8 and multi.text == "names"
    assert single.name == "single" and single.memberships_per_firm == 1.0 and single.text == "products"
    assert "多归属" in multi.describe() and "单归属" in single.describe()


def test_single_regime_keeps_the_discover_model():
    ds = synthetic_chains("single")
    auto = MembershipRanker().fit(ds)
    assert auto.signal_names_ == DEFAULT_SIGNALS and not set(COLLAB_SIGNALS) & set(auto.weights_)
    before = MembershipRanker(signals=DEFAULT_SIGNALS).fit(ds)
    assert auto.rank(k=10) == before.rank(k=10)


def test_multi_regime_adds_collaborative_signals_with_a_chosen_lambda():
    ds = synthetic_chains("multi")
    model = MembershipRanker().fit(ds)
    assert set(COLLAB_SIGNALS) <= set(model.signal_names_)
    assert model.ease_lambda_ > 0 and "ease" in model.weights_
    assert model.regime_.name == "multi" and model.signals_used_


def test_multi_regime_beats_the_collaborative_baselines_on_synthetic_holdouts():
    rec = {"model": [], "centroid": [], "ease": []}
    for seed in (0, 1):
        split = holdout_split(synthetic_chains("multi", seed=seed), seed)
        rec["model"].append(run_split(MembershipRanker(), split).recall[10])
        rec["centroid"].append(run_split(CoMembershipCentroidRanker(), split).recall[10])
        rec["ease"].append(run_split(EaseRanker(), split).recall[10])
    mean = {k: float(np.mean(v)) for k, v in rec.items()}
    assert mean["model"] >= mean["ease"] and mean["model"] >= 1.1 * mean["centroid"], mean
