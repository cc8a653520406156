"""Target-enterprise recommender (targets/) on a small hand-built graph whose answers can be checked by hand.

集成电路 (ic): 材料 ic.mat → 制造 ic.fab → 封测 ic.pkg → 终端 ic.app (one path, so every segment is on the main
path). Regions: 测试省 900000 (长三角) ⊃ 甲市 900100 ⊃ 甲一县 900101, 乙市 900200; 外省 800000 (粤港澳) ⊃ 丙市
800100; 丁市 700100 (西北, far away). Park 甲园 pk1 in 甲市 leads ic.

Local to 甲市: 链主 L1 (ic.fab, 甲一县 — a descendant county), L2 (ic.mat). So 封测 and 终端 are 空白 (补链).
Funds: 甲市产业基金 FL (local), 丙市创投基金 FP (outside, invested in local L2 → a partner fund).
Outside firms, all 中型, in 丙市, in ic.mat unless said, nothing else — so they differ in one thing each:
  A  supplies L1 (链主 tie)             B  the same but no tie (A's twin)
  C  supplies A (second-tier supplier)   D  invested by FL            E  invested by FP
  G  in ic.pkg (fills the 封测 gap)      Y  乙市 (same province, not a descendant of 甲市)
  P  region 丙市 but located in 甲园 (LOCATED_IN Enterprise→Park): already present
  K  甲一县: local through the county
Parcel pc1 in 甲园 admits ic.
"""
from __future__ import annotations

import numpy as np
import pytest

from graph.schema import Enterprise, Fund, IndustryChain, LandParcel, Park, Project, Region, Segment
from graph.snapshot import Snapshot
from graph.sqlite_store import SQLiteStore
from graph.store import RelRec
from graph.writer import write_objects
from targets import (
    DEFAULT_WEIGHTS, FEATURES, TargetConfig, TargetEngine, TargetError, TargetRecommender, rank_fund_targets,
    rank_leader_targets, rank_targets, similar_enterprises,
)

IC = ("ic.mat", "ic.fab", "ic.pkg", "ic.app")


def targets_graph(extra_objects=(), extra_rels=()):
    """(objects, relations) of the hand-built graph in the module docstring."""
    seg = lambda k, n, s: Segment(key=k, name=n, chain="ic", stream=s)  # noqa: E731
    ent = lambda k, n, r, **kw: Enterprise(key=k, name=n, region=r, size=kw.pop("size", "中型"), **kw)  # noqa: E731
    objs = [
        IndustryChain(key="ic", name="集成电路"), IndustryChain(key="nm", name="新材料"),
        seg("ic.mat", "材料", "上游"), seg("ic.fab", "制造", "中游"), seg("ic.pkg", "封测", "中游"),
        seg("ic.app", "终端", "下游"), Segment(key="nm.m1", name="电子化学品", chain="nm"),
        Region(key="900000", name="测试省", level="province", macro_region="长三角", lat=30.0, lon=120.0),
        Region(key="900100", name="甲市", level="city", parent="900000", lat=30.0, lon=120.0),
        Region(key="900101", name="甲一县", level="county", parent="900100", lat=30.1, lon=120.1),
        Region(key="900200", name="乙市", level="city", parent="900000", lat=30.5, lon=120.5),
        Region(key="800000", name="外省", level="province", macro_region="粤港澳", lat=23.0, lon=113.0),
        Region(key="800100", name="丙市", level="city", parent="800000", lat=23.0, lon=113.0),
        Region(key="700000", name="远省", level="province", macro_region="西北", lat=40.0, lon=100.0),
        Region(key="700100", name="丁市", level="city", parent="700000", lat=40.0, lon=100.0),
        Park(key="pk1", name="甲园", region="900100", leading_chains=["ic"]),
        LandParcel(key="pc1", name="甲园一号地块", park="pk1", region="900100", area_mu=80, allowed_chains=["ic"]),
        Fund(key="FL", name="甲市产业基金（测试）", region="900100"),
        Fund(key="FP", name="丙市创投基金（测试）", region="800100"),
        ent("L1", "甲市链主（测试）", "900101", size="大型", tags=["链主"]),
        ent("L2", "甲市材料（测试）", "900100"),
        ent("A", "丙市供货甲（测试）", "800100"), ent("B", "丙市材料乙（测试）", "800100"),
        ent("C", "丙市二级丙（测试）", "800100"), ent("D", "丙市基金丁（测试）", "800100"),
        ent("E", "丙市伙伴戊（测试）", "800100"), ent("G", "丙市封测己（测试）", "800100"),
        ent("Y", "乙市材料（测试）", "900200"), ent("P", "园内企业（测试）", "800100"),
        ent("K", "甲一县材料（测试）", "900101"),
        *extra_objects,
    ]
    mem = lambda e, s: RelRec("IN_SEGMENT", "Enterprise", e, "Segment", s, {"weight": 1.0})  # noqa: E731
    sup = lambda a, b: RelRec("SUPPLIES", "Enterprise", a, "Enterprise", b)  # noqa: E731
    rels = [
        RelRec("UPSTREAM_OF", "Segment", "ic.mat", "Segment", "ic.fab"),
        RelRec("UPSTREAM_OF", "Segment", "ic.fab", "Segment", "ic.pkg"),
        RelRec("UPSTREAM_OF", "Segment", "ic.pkg", "Segment", "ic.app"),
        RelRec("LEADS", "Enterprise", "L1", "IndustryChain", "ic"),
        mem("L1", "ic.fab"), mem("L2", "ic.mat"), mem("G", "ic.pkg"),
        *[mem(e, "ic.mat") for e in ("A", "B", "C", "D", "E", "Y", "P", "K")],
        sup("A", "L1"), sup("C", "A"),
        RelRec("INVESTED_IN", "Fund", "FL", "Enterprise", "D", {"amount_wan": 3000}),
        RelRec("INVESTED_IN", "Fund", "FP", "Enterprise", "E", {"amount_wan": 2000}),
        RelRec("INVESTED_IN", "Fund", "FP", "Enterprise", "L2", {"amount_wan": 1000}),
        RelRec("LOCATED_IN", "Enterprise", "P", "Park", "pk1"),
        *extra_rels,
    ]
    return objs, rels


def build(path, extra_objects=(), extra_rels=()):
    store = SQLiteStore(path)
    objs, rels = targets_graph(extra_objects, extra_rels)
    write_objects(store, objs, rels)
    return store, Snapshot.build(store)


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    store, s = build(tmp_path_factory.mktemp("targets") / "t.db")
    yield s
    store.close()


def ranked(out):
    return [it.enterprise for it in out.items]


def item(out, key):
    return next(it for it in out.items if it.enterprise == key)


# ------------------------------------------------------------------------------------------- region ranking
def test_supplier_of_the_local_leader_outranks_its_otherwise_equal_twin(snap):
    out = rank_targets(snap, region="甲市", chain="ic", segment="ic.mat", k=20)
    keys = ranked(out)
    assert keys.index("A") < keys.index("B")
    a, b = item(out, "A"), item(out, "B")
    # default weights, nominal units: the tie adds exactly w_leader_tie · ln 2, and nothing else differs
    assert out.weights.source == "default"
    assert a.score - b.score == pytest.approx(DEFAULT_WEIGHTS["leader_tie"] * np.log(2), abs=1e-3)
    assert a.contributions["leader_tie"] == pytest.approx(DEFAULT_WEIGHTS["leader_tie"] * np.log(2), abs=1e-3)
    assert b.contributions["leader_tie"] == 0.0
    assert a.reasons[0] == "链主「甲市链主（测试）」（集成电路）的供应商"
    # contributions add up to the score
    assert sum(a.contributions.values()) == pytest.approx(a.score, abs=1e-3)


def test_firms_already_in_the_region_are_never_listed(snap):
    for q in (dict(chain="ic", segment="ic.mat"), dict(chain="ic"), dict(segment="材料", chain="集成电路")):
        out = rank_targets(snap, region="900100", k=50, **q)
        keys = set(ranked(out))
        assert not keys & {"L1", "L2", "K", "P"}, q  # K: a descendant county; P: located in the region's park
        assert "Y" in keys or q.get("segment") is None  # 乙市 is in the same province but not inside 甲市
    out = rank_targets(snap, region="900100", chain="ic", segment="ic.mat", k=50)
    assert out.excluded_local == 3 and out.candidates == 6  # L2, K, P excluded; A B C D E Y listed
    # the province includes 乙市 too
    assert "Y" not in ranked(rank_targets(snap, region="测试省", chain="ic", segment="ic.mat", k=50))


def test_reasons_name_the_real_leader_funds_and_gap(snap):
    out = rank_targets(snap, region="甲市", chain="ic", segment="ic.mat", k=20)
    assert "链主「甲市链主（测试）」的二级供应商（经「丙市供货甲（测试）」）" in item(out, "C").reasons
    assert "本地基金「甲市产业基金（测试）」已投资" in item(out, "D").reasons
    assert "「丙市创投基金（测试）」已投资（该基金也投资了本地企业「甲市材料（测试）」）" in item(out, "E").reasons
    keys = ranked(out)
    assert keys.index("C") < keys.index("B") and keys.index("D") < keys.index("B") and keys.index("E") < keys.index("B")
    # only a chain given: the 补链 segments of the gap analysis are chosen, and G fills the 封测 gap
    chain_only = rank_targets(snap, region="甲市", chain="ic", k=20)
    # 封测/终端: main-path gaps (补链); 材料: 薄弱 next to the 优势 制造 of the local 链主 (强链)
    assert [(s.key, s.klass, s.moves) for s in chain_only.segments] == [
        ("ic.pkg", "空白", ["补链"]), ("ic.app", "空白", ["补链"]), ("ic.mat", "薄弱", ["强链"])]
    assert chain_only.segment_choice.startswith("未指定环节")
    g = item(chain_only, "G")
    assert g.segment == "ic.pkg" and "填补「封测」环节空白（补链：主干环节）" in g.reasons
    assert set(ranked(chain_only)) == {"A", "B", "C", "D", "E", "G", "Y"}
    assert "补强「材料」薄弱环节（本地仅 2 家）" in item(chain_only, "B").reasons
    # distance and economic zone come from the region coordinates and Region.macro_region
    assert item(out, "A").distance_km == pytest.approx(1044, abs=5) and item(out, "A").macro_region == "粤港澳"
    assert item(out, "Y").contributions["same_macro"] > 0 and item(out, "A").contributions["source_hub"] > 0


def test_expansion_signals_size_and_tags_count_and_are_explained(tmp_path):
    extra = [Enterprise(key="X", name="丙市扩张（测试）", region="800100", size="中型", recent_financing_wan=12000,
                        new_branches=3, capacity_growth=0.4, patents=30, tags=["专精特新", "上市"])]
    store, snap = build(tmp_path / "x.db", extra, [RelRec("IN_SEGMENT", "Enterprise", "X", "Segment", "ic.mat")])
    try:
        out = rank_targets(snap, region="甲市", chain="ic", segment="ic.mat", k=20)
        x, b = item(out, "X"), item(out, "B")
        assert x.score > b.score
        for f in ("financing", "branches", "growth", "patents", "quality"):
            assert x.contributions[f] > 0 and b.contributions[f] == 0, f
        assert x.contributions["financing"] == pytest.approx(DEFAULT_WEIGHTS["financing"] * np.log1p(12), abs=1e-3)
        # the three largest contributions, in order: 0.5·ln 13 = 1.28, 0.4·2 = 0.8, 0.4·ln 4 = 0.55
        assert x.reasons == ["近两年融资 12,000 万元", "专精特新、上市企业", "近两年新设分支机构 3 家"]
    finally:
        store.close()


def test_deterministic_ordering_and_k(snap):
    a = rank_targets(snap, region="甲市", chain="ic", segment="ic.mat", k=3)
    b = rank_targets(snap, region="甲市", chain="ic", segment="ic.mat", k=20)
    assert ranked(a) == ranked(b)[:3] and [it.rank for it in a.items] == [1, 2, 3]
    scores = [it.score for it in b.items]
    assert scores == sorted(scores, reverse=True)


def test_bad_parameters_name_the_parameter(snap):
    cases = [(dict(region="火星", chain="ic"), "region", 404), (dict(region="甲市", chain="nope"), "chain", 404),
             (dict(region="甲市", chain="ic", segment="nope"), "segment", 404),
             (dict(region="甲市", chain="ic", segment="nm.m1"), "segment", 422),
             (dict(region="甲市"), "chain", 422), (dict(region="甲市", chain="ic", k=0), "k", 422)]
    for kw, param, status in cases:
        with pytest.raises(TargetError) as ei:
            rank_targets(snap, **kw)
        assert ei.value.param == param and ei.value.status == status, kw
        assert param in ei.value.message


# ------------------------------------------------------------------------------------------- views
def test_leader_view_lists_its_partners_outside_its_city(snap):
    out = rank_leader_targets(snap, leader="L1")
    assert out.region.key == "900100"  # L1 sits in 甲一县: its city is the default region
    assert ranked(out) == ["A", "C"]  # its supplier and second-tier supplier; nobody local
    assert out.items[0].reasons[0].startswith("链主「甲市链主（测试）」")
    # the same 链主 seen from 丙市: A and C are local there, nothing to recruit
    assert ranked(rank_leader_targets(snap, leader="L1", region="丙市")) == []
    with pytest.raises(TargetError) as ei:
        rank_leader_targets(snap, leader="B")
    assert ei.value.param == "id" and ei.value.status == 404 and "链主" in ei.value.message


def test_fund_view_portfolio_outside_the_region(snap):
    out = rank_fund_targets(snap, fund="FP", region="甲市")
    assert ranked(out) == ["E"]  # L2 is local
    assert out.excluded_local == 1 and out.anchor.key == "FP"
    assert any("丙市创投基金（测试）" in r for r in out.items[0].reasons)
    assert ranked(rank_fund_targets(snap, fund="FL", region="甲市")) == ["D"]
    with pytest.raises(TargetError) as ei:
        rank_fund_targets(snap, fund="nope", region="甲市")
    assert ei.value.param == "id" and ei.value.status == 404


def test_parcel_view_through_the_land_extension_point(snap):
    items = TargetRecommender().recommend_for_parcel(snap, parcel="pc1", chains=["ic"], region="900100", limit=10)
    # the segments of the gap analysis of ic in 甲市 (封测, 终端, 材料), firms outside 甲市, best first
    got = {i["enterprise"]: i for i in items}
    assert list(got)[0] == "A" and "G" in got and not {"L1", "L2", "K", "P"} & set(got)
    assert "填补「封测」环节空白（补链：主干环节）" in got["G"]["reasons"] and got["G"]["score"] > 0
    with pytest.raises(TargetError) as ei:
        TargetRecommender().recommend_for_parcel(snap, parcel="nope", chains=["ic"], region="900100", limit=5)
    assert ei.value.param == "key"


def test_similar_enterprises(snap):
    out = similar_enterprises(snap, enterprise="A", k=5)
    keys = [it.enterprise for it in out.items]
    assert "A" not in keys and keys[0] in {"B", "C", "D", "E", "Y", "P", "K", "L2"}
    assert all("同属「材料」环节" in it.reasons for it in out.items if it.enterprise in ("B", "D"))
    assert out.items[0].score >= out.items[-1].score
    # with a region: firms already there are dropped
    local = similar_enterprises(snap, enterprise="A", k=20, region="甲市")
    assert not {"L2", "K", "L1"} & {it.enterprise for it in local.items}
    with pytest.raises(TargetError):
        similar_enterprises(snap, enterprise="nope")


# ------------------------------------------------------------------------------------------- weights
def _history(n_tied: int, n_untied: int):
    """Outside firms with projects in 甲市: every tied one (supplies the 链主) landed, every untied one stalled."""
    objs, rels = [], []
    for i in range(n_tied + n_untied):
        tied = i < n_tied
        key = f"H{i:03d}"
        objs.append(Enterprise(key=key, name=f"丙市历史{i}（测试）", region="800100", size="中型"))
        objs.append(Project(key=f"PR{i:03d}", name=f"历史项目{i}（测试）", investor=key, chain="ic", segment="ic.mat",
                            region="900101", stage="签约" if tied else "线索"))
        rels.append(RelRec("IN_SEGMENT", "Enterprise", key, "Segment", "ic.mat"))
        if tied:
            rels.append(RelRec("SUPPLIES", "Enterprise", key, "Enterprise", "L1"))
    return objs, rels


def test_weights_are_learned_from_landed_projects_when_there_are_enough(tmp_path):
    store, snap = build(tmp_path / "h.db", *_history(35, 35))
    try:
        eng = TargetEngine.of(snap)
        w = eng.weights_out()
        assert w.source == "learned" and w.positives == 35 and w.projects == 70
        assert w.negatives >= 35 and "LogisticRegression" in w.note
        assert w.values["leader_tie"] > 0.5  # history says: 链主 suppliers land
        assert w.values["need"] == DEFAULT_WEIGHTS["need"]  # policy features keep their defaults
        out = rank_targets(snap, region="甲市", chain="ic", segment="ic.mat", k=100)
        assert out.weights.source == "learned"
        # the ranking's fast path (no full feature matrix) scores exactly as the explained path
        st = eng.region_state(snap.index_of("Region", "900100"))
        cand, seg, fit = eng.candidates_for([snap.index_of("Segment", "ic.mat")])
        fast, _ = eng.fast_scores(st, cand, fit, seg)
        full, _ = eng.score(eng.features(st, cand, fit, seg))
        assert fast == pytest.approx(full, abs=1e-4)
        for it in out.items:
            assert sum(it.contributions.values()) == pytest.approx(it.score, abs=1e-3)
        keys = ranked(out)
        assert keys.index("A") < keys.index("B")
        # too few positives for the configured minimum: documented defaults, and the answer says so
        strict = TargetEngine.of(snap, TargetConfig(min_positives=36)).weights_out()
        assert strict.source == "default" and "少于学习所需的 36 个" in strict.note
        assert strict.values == {f: DEFAULT_WEIGHTS[f] for f in FEATURES}
    finally:
        store.close()


def test_defaults_without_enough_history(snap, tmp_path):
    w = TargetEngine.of(snap).weights_out()
    assert w.source == "default" and w.positives == 0 and "默认权重" in w.note
    store, few = build(tmp_path / "f.db", *_history(5, 5))
    try:
        w = TargetEngine.of(few).weights_out()
        assert w.source == "default" and w.positives == 5 and w.projects == 10
    finally:
        store.close()


def test_membership_model_adds_inferred_segment_members(tmp_path):
    """A firm without any known segment but making what the 封测 firms make is inferred into 封测."""
    extra, rels = [], []
    for i in range(12):
        seg, prod = ("ic.pkg", "封装基板") if i % 2 == 0 else ("ic.mat", "光刻胶")
        extra.append(Enterprise(key=f"M{i:02d}", name=f"丙市{'封装' if seg == 'ic.pkg' else '材料'}{i}（测试）",
                                region="800100", size="中型"))
        rels.append(RelRec("IN_SEGMENT", "Enterprise", f"M{i:02d}", "Segment", seg))
        rels.append(RelRec("MAKES", "Enterprise", f"M{i:02d}", "Product", prod))
    from graph.schema import Product

    extra += [Product(key="封装基板", name="封装基板"), Product(key="光刻胶", name="光刻胶"),
              Enterprise(key="Z", name="丙市封装新秀（测试）", region="800100", size="中型")]
    rels.append(RelRec("MAKES", "Enterprise", "Z", "Product", "封装基板"))
    store, snap = build(tmp_path / "m.db", extra, rels)
    try:
        cfg = TargetConfig(membership_min_firms=10)
        out = rank_targets(snap, region="甲市", chain="ic", segment="ic.pkg", k=50, config=cfg)
        z = item(out, "Z")
        assert z.fit_source == "model" and 0 < z.contributions["segment_fit"] < DEFAULT_WEIGHTS["segment_fit"]
        assert any("成员模型推断" in r for r in z.reasons)
        assert "已拟合" in out.segment_fit_note
        # off: only known members
        plain = rank_targets(snap, region="甲市", chain="ic", segment="ic.pkg", k=50)
        assert "Z" not in ranked(plain) and "仅按已知环节归属" in plain.segment_fit_note
    finally:
        store.close()


def test_engine_is_cached_per_snapshot_and_region_state_reused(snap):
    eng = TargetEngine.of(snap)
    assert TargetEngine.of(snap) is eng
    st = eng.region_state(snap.index_of("Region", "900100"))
    assert eng.region_state(snap.index_of("Region", "900100")) is st
    assert set(eng.idx.firm_keys[st.local].tolist()) == {"L1", "L2", "K", "P"}


# ------------------------------------------------------------------------------------------- settings
def test_settings_defaults_are_the_recommender_defaults():
    from api.settings import TargetSettings

    assert TargetConfig(**TargetSettings().model_dump()) == TargetConfig()
    assert TargetSettings().min_positives == 30 and TargetSettings().max_k == 500


def test_configured_weights_and_k_limit_reach_the_engine(snap):
    cfg = TargetConfig(weights={"need": 3.0, "proximity": 0.0})
    out = rank_targets(snap, region="甲市", chain="ic", segment="ic.mat", k=3, config=cfg)
    assert out.weights.source == "default"  # too few projects to learn: the configured defaults are used
    assert out.weights.values["need"] == 3.0 and out.weights.values["proximity"] == 0.0
    assert out.weights.values["segment_fit"] == DEFAULT_WEIGHTS["segment_fit"]
    with pytest.raises(ValueError, match="未知的特征"):
        TargetConfig(weights={"nope": 1.0})
    with pytest.raises(TargetError) as ei:
        rank_targets(snap, region="甲市", chain="ic", segment="ic.mat", k=4, config=TargetConfig(max_k=3))
    assert ei.value.param == "k" and ei.value.status == 422 and "1–3" in ei.value.message
