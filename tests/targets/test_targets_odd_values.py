"""The attractability model on missing, zero, huge and duplicate values (property-based, hypothesis): learning
never raises and never yields a non-finite weight; every view answers with finite scores. The case that took the
service down: a firm with no location invested in a project, so its distance is unknown (NaN) in the training rows."""
from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.schema import COUNT_MAX, Enterprise, Project
from graph.snapshot import Snapshot
from graph.sqlite_store import SQLiteStore
from graph.store import RelRec
from graph.writer import write_objects
from targets import FEATURES, TargetConfig, rank_fund_targets, rank_targets, similar_enterprises
from targets.model import DEFAULT_WEIGHTS, learn
from test_targets import targets_graph

ODD = st.one_of(st.none(), st.just(0.0), st.just(1e300), st.just(1e-300), st.floats(0, 1e6, allow_nan=False),
                st.just(float("nan")), st.just(float("inf")), st.just(-float("inf")))


# derandomized: the same cases on every run (CI stays deterministic); raise max_examples locally to hunt
@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(rows=st.integers(0, 40), data=st.data())
def test_learning_never_raises_and_weights_are_finite(rows, data):
    X = np.asarray([[(v if v is not None else math.nan) for v in data.draw(st.lists(ODD, min_size=len(FEATURES),
                                                                                    max_size=len(FEATURES)))]
                    for _ in range(rows)], dtype=np.float64).reshape(rows, len(FEATURES))
    y = np.asarray(data.draw(st.lists(st.integers(0, 1), min_size=rows, max_size=rows)), dtype=np.int64)
    if data.draw(st.booleans()) and rows:  # duplicate rows
        X = np.vstack([X, X])
        y = np.concatenate([y, y])
    w = learn(X, y, projects=len(y), positives=int(y.sum()), config=TargetConfig(min_positives=2))
    assert np.isfinite(w.w).all() and np.isfinite(w.mean).all() and np.isfinite(w.std).all() and (w.std > 0).all()
    if w.source == "default":
        assert w.as_dict() == {f: round(DEFAULT_WEIGHTS[f], 4) for f in FEATURES}


def test_a_firm_without_location_investing_in_a_project_no_longer_breaks_learning(tmp_path):
    """The reported case: proximity NaN in the training rows; LogisticRegression.fit raised on every request."""
    extra = [Enterprise(key=f"N{i}", name=f"无坐标企业{i}（测试）", size="中型") for i in range(6)]
    projects = [Project(key=f"PJ{i}", name=f"项目{i}（测试）", investor=f"N{i}", region="900100", chain="ic",
                        segment="ic.mat", stage="签约" if i % 2 else "洽谈") for i in range(6)]
    rels = [RelRec("IN_SEGMENT", "Enterprise", f"N{i}", "Segment", "ic.mat", {"weight": 1.0}) for i in range(6)]
    # the signed investors supply the local 链主: the history then supports a documented sign (learning keeps a
    # feature; a history that contradicts every sign falls back to the defaults, see test_targets_signs.py)
    rels += [RelRec("SUPPLIES", "Enterprise", f"N{i}", "Enterprise", "L1") for i in range(1, 6, 2)]
    s = SQLiteStore(tmp_path / "nan.db")
    try:
        objs, base = targets_graph(extra + projects, rels)
        write_objects(s, objs, base)
        snap = Snapshot.build(s)
        cfg = TargetConfig(min_positives=2, negatives_per_project=2)
        out = rank_targets(snap, region="甲市", chain="ic", k=10, config=cfg)
        assert out.items and all(math.isfinite(it.score) for it in out.items)
        assert out.weights.source == "learned" and all(math.isfinite(v) for v in out.weights.values.values())
    finally:
        s.close()


FIRM = st.fixed_dictionaries({
    "revenue_wan": st.one_of(st.none(), st.just(0.0), st.just(1e15), st.floats(0, 1e7)),
    "employees": st.one_of(st.none(), st.just(0), st.just(COUNT_MAX), st.integers(0, COUNT_MAX)),
    "recent_financing_wan": st.one_of(st.none(), st.just(0.0), st.just(1e15)),
    "new_branches": st.one_of(st.none(), st.just(0), st.just(COUNT_MAX), st.integers(0, 10**6)),
    "capacity_growth": st.one_of(st.none(), st.just(0.0), st.just(-1e9), st.just(1e9)),
    "patents": st.one_of(st.none(), st.just(0), st.just(COUNT_MAX), st.integers(0, 10**7)),
    "lat": st.one_of(st.none(), st.just(0.0), st.floats(-90, 90)),
    "lon": st.one_of(st.none(), st.just(0.0), st.floats(-180, 180)),
    "region": st.sampled_from([None, "800100", "700100", "900200"]),
    "size": st.sampled_from([None, "微型", "大型"]),
    "tags": st.sampled_from([[], ["专精特新"], ["专精特新", "上市", "小巨人", "瞪羚"]]),
})


@settings(max_examples=12, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(firms=st.lists(FIRM, min_size=3, max_size=8), duplicate=st.booleans(), data=st.data())
def test_every_view_answers_with_finite_scores_on_odd_data(tmp_path_factory, firms, duplicate, data):
    if duplicate:  # twins: identical values everywhere
        firms = firms + firms[:2]
    extra, rels, projects = [], [], []
    for i, f in enumerate(firms):
        props = {k: v for k, v in f.items() if v is not None}
        extra.append(Enterprise(key=f"H{i}", name=f"性质测试{i}（测试）", **props))
        rels.append(RelRec("IN_SEGMENT", "Enterprise", f"H{i}", "Segment",
                           data.draw(st.sampled_from(["ic.mat", "ic.pkg", "ic.app"])), {"weight": 1.0}))
        if data.draw(st.booleans()):
            rels.append(RelRec("INVESTED_IN", "Fund", "FL", "Enterprise", f"H{i}", {}))
        projects.append(Project(key=f"HP{i}", name=f"性质项目{i}（测试）", investor=f"H{i}", region="900100",
                                stage=data.draw(st.sampled_from(["线索", "签约", "投产"]))))
    s = SQLiteStore(tmp_path_factory.mktemp("odd") / "odd.db")
    try:
        objs, base = targets_graph(extra + projects, rels)
        write_objects(s, objs, base)
        snap = Snapshot.build(s)
        cfg = TargetConfig(min_positives=2, negatives_per_project=1)
        for out in (rank_targets(snap, region="甲市", chain="ic", k=20, config=cfg),
                    rank_fund_targets(snap, fund="FL", region="甲市", k=20, config=cfg)):
            assert all(math.isfinite(it.score) for it in out.items)
            assert all(math.isfinite(v) for it in out.items for v in it.contributions.values())
        sim = similar_enterprises(snap, enterprise="H0", k=10, config=cfg)
        assert all(math.isfinite(it.score) for it in sim.items)
    finally:
        s.close()
