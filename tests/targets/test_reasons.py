"""Reasons that hold in a meeting (targets/reasons.py) and the 0–100 score (targets/scoring.py), on the graph of
test_targets.py plus three firms: N (乙市, about 70 km from 甲市, 大型, invested by the local fund 甲市产业基金),
V (乙市, 大型, in 新材料's 电子化学品 — a 空白 of 甲市, no park leads it) and W (丁市, far away, 大型, nothing else).

Reported: "中型企业" and "距衢州市约 1,578 公里" stood first; a distance read as a reason even when far; the score
was unitless (3.68)."""
from __future__ import annotations

import pytest

from graph.schema import Enterprise
from graph.store import RelRec
from targets import TargetEngine, rank_leader_targets, rank_targets
from test_targets import build, item

NEAR_AND_FUNDED = [Enterprise(key="N", name="乙市近邻（测试）", region="900200", size="大型"),
                   Enterprise(key="V", name="乙市化学（测试）", region="900200", size="大型"),
                   Enterprise(key="W", name="丁市远方（测试）", region="700100", size="大型")]
RELS = [RelRec("IN_SEGMENT", "Enterprise", "N", "Segment", "ic.mat"),
        RelRec("IN_SEGMENT", "Enterprise", "W", "Segment", "ic.mat"),
        RelRec("IN_SEGMENT", "Enterprise", "V", "Segment", "nm.m1"),
        RelRec("INVESTED_IN", "Fund", "FL", "Enterprise", "N", {"amount_wan": 800})]


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    store, s = build(tmp_path_factory.mktemp("reasons") / "r.db", NEAR_AND_FUNDED, RELS)
    yield s
    store.close()


def test_relations_come_first_size_and_distance_never_before_them(snap):
    out = rank_targets(snap, region="甲市", chain="ic", segment="ic.mat", k=50)
    n = item(out, "N")
    assert n.reasons[0] == "本地基金「甲市产业基金（测试）」已投资"
    assert n.reason_details[0].kind == "relation" and n.reason_details[0].feature == "fund_local"
    assert "大型企业" not in n.reasons[:1]
    for it in out.items:
        kinds = [r.kind for r in it.reason_details]
        if "relation" in kinds or "signal" in kinds:
            assert kinds[0] != "profile", (it.enterprise, it.reasons)
        assert "中型企业" not in it.reasons
    # far away is no reason at all
    w = item(out, "W")
    assert not any("公里" in r for r in w.reasons) and w.reasons, w.reasons
    # near: the distance reads as a reason (便于配套), after the gap it fills, before size
    v = item(rank_targets(snap, region="甲市", chain="nm", k=10), "V")
    assert v.reasons[0] == "填补「电子化学品」环节空白（补链：主干环节）"
    assert v.reasons[1].startswith("距甲市约 ") and v.reasons[1].endswith(" 公里，便于配套"), v.reasons
    assert v.reasons[2] == "大型企业"


def test_every_reason_names_its_evidence_by_key_for_the_pages(snap):
    out = rank_targets(snap, region="甲市", chain="ic", segment="ic.mat", k=50)
    lead = item(out, "A").reason_details[0]
    assert lead.text == "链主「甲市链主（测试）」（集成电路）的供应商"
    assert [(e.kind, e.key, e.name) for e in lead.evidence] == [("leader", "L1", "甲市链主（测试）")]
    fund = item(out, "N").reason_details[0]
    assert [(e.kind, e.key) for e in fund.evidence] == [("fund", "FL")]
    partner = next(r for r in item(out, "E").reason_details if r.feature == "fund_partner")
    assert [(e.kind, e.key) for e in partner.evidence] == [("fund", "FP"), ("enterprise", "L2")]
    tier2 = next(r for r in item(out, "C").reason_details if r.feature == "leader_tier2")
    assert [(e.kind, e.key) for e in tier2.evidence] == [("leader", "L1"), ("enterprise", "A")]
    gap = next(r for r in item(rank_targets(snap, region="甲市", chain="ic", k=50), "G").reason_details
               if r.feature == "need")
    assert [(e.kind, e.key, e.chain) for e in gap.evidence] == [("segment", "ic.pkg", "ic")]


def test_leader_view_cites_the_supply_tie_to_its_leader(snap):
    out = rank_leader_targets(snap, leader="L1")
    assert [it.anchor_tie for it in out.items] == ["链主「甲市链主（测试）」的直接供应商",
                                                   "链主「甲市链主（测试）」的二级供应商（经「丙市供货甲（测试）」）"]
    for it in out.items:  # the first reason cites the tie to this 链主, with the 链主 as evidence
        assert it.reason_details[0].evidence[0].key == "L1" and it.reason_details[0].kind == "relation"


def test_leader_and_fund_views_cite_their_tie_even_when_its_weight_is_zero(snap):
    """Learned weights may hold 链主供需 or 本地基金 at 0 (signfit): the 链主's and the fund's own pages still say
    why each firm is on them."""
    from targets import TargetConfig, rank_fund_targets

    cfg = TargetConfig(weights={"leader_tie": 0.0, "leader_tier2": 0.0, "fund_partner": 0.0, "fund_local": 0.0})
    lead = rank_leader_targets(snap, leader="L1", config=cfg)
    assert lead.items[0].reasons[0] == "链主「甲市链主（测试）」的直接供应商"
    fund = rank_fund_targets(snap, fund="FP", region="甲市", config=cfg)
    assert fund.items[0].reasons[0] == "基金「丙市创投基金（测试）」已投资"
    assert fund.items[0].anchor_tie == "「丙市创投基金（测试）」的投资组合企业"


def test_the_score_is_shown_on_0_to_100(snap):
    eng = TargetEngine.of(snap)
    assert eng.score_100(eng.baseline_score) == 50  # a bare member of the segment
    out = rank_targets(snap, region="甲市", chain="ic", segment="ic.mat", k=50)
    s100 = [it.score_100 for it in out.items]
    assert all(0 <= v <= 100 for v in s100) and s100 == sorted(s100, reverse=True)
    assert item(out, "A").score_100 > item(out, "B").score_100 > 50
    # a raw 1.386 more (one direct 链主 tie) is a clear step on the 0–100 scale
    assert item(out, "A").score_100 - item(out, "B").score_100 >= 5
