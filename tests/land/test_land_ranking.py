"""土地超市 scores and rankings: breakdowns with reasons, configurable weights, neutral unknowns, both directions
agreeing, inline projects, the per-snapshot data."""
from __future__ import annotations

import math

import pytest

from factories import graph_data, land_world
from graph.schema import Project
from graph.snapshot import Snapshot
from land.data import land_data
from land.ranking import rank_parcels, rank_projects
from land.scoring import COMPONENTS, DEFAULT_SCALES, LandWeights
from land_helpers import NOW, by_key


@pytest.fixture(scope="module")
def app_data():
    return graph_data(*land_world(), park="qz")


@pytest.fixture
def data(store):
    return land_data(Snapshot.build(store))


def test_project_to_parcels_ranked_with_breakdown(data):
    r = rank_parcels(data, data.projects.pos("P1"), now=NOW)
    assert [m["parcel"] for m in r.feasible] == ["A", "G", "C"]
    a = r.feasible[0]
    parts = {b["component"]: b for b in a["breakdown"]}
    assert [b["component"] for b in a["breakdown"]] == [c for c, _ in COMPONENTS]
    assert math.isclose(sum(b["points"] for b in a["breakdown"]), a["score"], abs_tol=0.02)
    assert parts["chain_park"]["score"] == 1.0 and parts["chain_park"]["reason"] == "园区「衢州智造新城」主导产业含「集成电路」"
    # 衢州市: F1 (晶圆制造, upstream of 封测) in 柯城区, F2 (终端应用, downstream) in 江山市, and F2 is F4's customer
    assert parts["cluster"]["reason"] == "衢州市已有上游环节企业 1 家、下游环节企业 1 家、投资方的供应商/客户 1 家"
    assert math.isclose(parts["cluster"]["score"], 1 - math.exp(-(1 + 1 + 2 * 1) / DEFAULT_SCALES.cluster_scale), abs_tol=1e-4)
    assert parts["area"]["score"] == 1.0 and parts["area"]["reason"] == "面积 80 亩，需求 70–90 亩（目标 80 亩）"
    assert math.isclose(parts["price"]["score"], 1 - 25 / 40)
    assert parts["readiness"]["score"] == 1.0
    assert parts["preferred"]["score"] == 1.0 and parts["preferred"]["reason"] == "位于意向园区「衢州智造新城」"
    assert parts["distance"]["reason"].startswith("距意向园区「衢州智造新城」 ")
    assert parts["distance"]["score"] > 0.95
    # C in 深圳: park leads ic too, but no local up/downstream firms, far from the 意向园区
    c = by_key(r.feasible)["C"]
    cparts = {b["component"]: b for b in c["breakdown"]}
    assert cparts["cluster"]["reason"] == "深圳市已有上游环节企业 1 家、下游环节企业 0 家、投资方的供应商/客户 0 家"
    assert cparts["preferred"]["score"] == 0.0 and cparts["distance"]["score"] < 0.01
    # B: wrong chain for its 产业准入, and the reasons carry the numbers
    b = by_key(r.infeasible)["B"]
    assert [f["message"] for f in b["failures"]] == ["产业链「集成电路」不在产业准入范围（生物医药）"]
    assert r.counts["excluded_by_rule"] == {"地块可供": 1, "产业准入": 1, "地价": 1}  # E: reserved and unpriced


def test_weights_are_configurable(data):
    i = data.projects.pos("P1")
    only_price = LandWeights(chain_park=0, cluster=0, area=0, price=1, readiness=0, preferred=0, distance=0)
    r = rank_parcels(data, i, now=NOW, weights=only_price)
    scores = {m["parcel"]: m["score"] for m in r.feasible}
    assert scores == {"A": pytest.approx(100 * (1 - 25 / 40), abs=0.01), "G": pytest.approx(100 * (1 - 30 / 40), abs=0.01),
                      "C": pytest.approx(100 * (1 - 38 / 40), abs=0.01)}
    assert [m["parcel"] for m in r.feasible] == ["A", "G", "C"]
    with pytest.raises(ValueError):
        LandWeights(chain_park=0, cluster=0, area=0, price=0, readiness=0, preferred=0, distance=0)


def test_region_preference_and_neutral_unknowns(data):
    r = rank_parcels(data, data.projects.pos("P2"), now=NOW)
    b = {x["component"]: x for x in by_key(r.feasible)["B"]["breakdown"]}
    assert b["preferred"]["score"] == DEFAULT_SCALES.region_pref_score and b["preferred"]["reason"] == "位于意向行政区「江山市」内"
    assert b["price"]["score"] == DEFAULT_SCALES.neutral and "未填可接受上限" in b["price"]["reason"]
    assert b["readiness"]["score"] == 0.35  # 五通一平 0.7 × 0.5, not 标准地


def test_parcel_to_projects_agrees_with_the_other_direction(data):
    r = rank_projects(data, data.parcels.pos("A"), now=NOW)
    assert [m["project"] for m in r.feasible] == ["P1"]
    assert r.counts["landed_hidden"] == 1  # P3 (投产) left out
    miss = by_key(r.infeasible, "project")
    assert [f["message"] for f in miss["P2"]["failures"]] == [
        "项目未填达产年税收，无法满足亩均税收要求（≥ 15 万元/亩）", "产业链「生物医药」不在产业准入范围（集成电路）"]
    forward = by_key(rank_parcels(data, data.projects.pos("P1"), now=NOW).feasible)["A"]
    assert r.feasible[0]["score"] == forward["score"]
    assert r.feasible[0]["breakdown"] == forward["breakdown"]
    r = rank_projects(data, data.parcels.pos("A"), now=NOW, include_landed=True)
    assert "P3" in by_key(r.feasible + r.infeasible, "project")


def test_inline_project_gives_the_same_answer(store, data):
    stored = store.get("Project", "P1")
    inline = Project(**{k: v for k, v in stored.items() if k not in ("source", "synthetic")})
    view, i = data.with_project(inline)
    a = rank_parcels(view, i, now=NOW).as_dict()
    b = rank_parcels(data, data.projects.pos("P1"), now=NOW).as_dict()
    assert a["feasible"] == b["feasible"]
    assert [x["parcel"] for x in a["infeasible"]] == [x["parcel"] for x in b["infeasible"]]


def test_land_data_is_built_once_per_snapshot(store):
    snap = Snapshot.build(store)
    assert land_data(snap) is land_data(snap)
    assert land_data(Snapshot.build(store)) is not land_data(snap)


# ------------------------------------------------------------------------------------------ 可能符合，待核实
def test_quick_question_finds_parcels_to_verify_instead_of_none(data):
    """An officer's quick question — about 80 亩, 投资强度 300 万元/亩 (24000 万元), nothing else known — used to
    fail every parcel with a tax, pollution or chain requirement; those now come as 可能符合，待核实."""
    quick = Project(key="Q", name="快速询问", land_min_mu=64, land_max_mu=96, total_investment_wan=24000)
    view, i = data.with_project(quick)
    r = rank_parcels(view, i, now=NOW)
    assert {m["parcel"] for m in r.feasible} == {"C", "G"}
    assert [m["parcel"] for m in r.to_verify] == ["B", "A"]  # the one with less to check first
    b, a = r.to_verify
    assert b["summary"] == "待核实：产业准入（项目未填）"
    assert a["summary"] == "待核实：亩均税收（项目未填）、环境准入（项目未填）、产业准入（项目未填）"
    assert [c["message"] for c in a["verify"]] == [
        "项目未填达产年税收，地块要求亩均税收 ≥ 15 万元/亩，待核实",
        "项目未填污染类别，地块环境准入仅允许：轻污染、一般，待核实",
        "项目未填产业链，地块产业准入仅限：集成电路，待核实"]
    assert not [c for c in a["checks"] if c["outcome"] == "fail"]
    assert {"rule": "invest", "label": "固定资产投资强度", "outcome": "pass",
            "message": "投资强度 300 万元/亩 ≥ 要求 300 万元/亩"} in a["checks"]
    assert a["score"] > 0 and a["breakdown"]
    # E is held by another project (a known fact): excluded, not to verify
    assert [m["parcel"] for m in r.excluded] == ["E"] and r.counts["to_verify"] == 2 and r.counts["excluded"] == 1
    # the API's infeasible list keeps its meaning (every pair not meeting all rules, the messages unchanged)
    miss = by_key(r.infeasible)
    assert set(miss) == {"A", "B", "E"}
    assert "项目未填达产年税收，无法满足亩均税收要求（≥ 15 万元/亩）" in [f["message"] for f in miss["A"]["failures"]]


def test_a_known_violation_still_excludes_with_its_reason(data):
    short = Project(key="Q", name="投资不足", land_min_mu=64, land_max_mu=96, total_investment_wan=20000)
    view, i = data.with_project(short)
    r = rank_parcels(view, i, now=NOW)
    assert {m["parcel"] for m in r.to_verify} == set()  # A: 250 < 300 万元/亩; B: 235.29 < 250 万元/亩
    excluded = by_key(r.excluded)
    assert set(excluded) == {"A", "B", "E"}
    a = {f["rule"]: f for f in excluded["A"]["failures"]}
    assert a["invest"]["outcome"] == "fail" and a["invest"]["message"] == "投资强度 250 万元/亩 < 要求 300 万元/亩"
    assert a["tax"]["outcome"] == "verify"  # what is also missing reads as 待核实, beside the real failure


def test_parcel_to_projects_has_the_tier_too(data):
    r = rank_projects(data, data.parcels.pos("A"), now=NOW)
    tiers = [{m["project"] for m in r.feasible}, {m["project"] for m in r.to_verify}, {m["project"] for m in r.excluded}]
    assert sum(len(t) for t in tiers) == r.counts["candidates"] and not (tiers[0] & tiers[1])
    for m in r.to_verify:
        assert m["summary"].startswith("待核实：") and all(c["outcome"] != "fail" for c in m["checks"])


def test_tiers_match_the_plain_reference_on_random_instances():
    import numpy as np

    from land.data import LandData
    from land_helpers import random_instance, reference_failures, reference_unknown

    rng = np.random.default_rng(17)
    projects, parcels = random_instance(rng, 12, 40)
    data = LandData.from_records(projects, parcels)
    for i, pr in enumerate(projects):
        r = rank_parcels(data, i, now=NOW, limit=500, infeasible_limit=500, include_transferred=True)
        want_ok, want_verify, want_bad = set(), set(), set()
        for pc in parcels:
            fails = reference_failures(pr, pc, NOW)
            if not fails:
                want_ok.add(pc.key)
            elif fails <= reference_unknown(pr, pc):
                want_verify.add(pc.key)
            else:
                want_bad.add(pc.key)
        assert {m["parcel"] for m in r.feasible} == want_ok
        assert {m["parcel"] for m in r.to_verify} == want_verify, pr.key
        assert {m["parcel"] for m in r.excluded} == want_bad
