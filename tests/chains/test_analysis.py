"""Chain gap analysis on a hand-built graph (tests/browser/chain_testgraph.py explains every number)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
from chain_testgraph import build_snapshot  # noqa: E402

from chains import (  # noqa: E402
    AnalysisConfig, ChainLookupError, analyse_chain, resolve_chain, resolve_place, resolve_scope, segment_firms,
    summarise_chains,
)

ROOT = Path(__file__).resolve().parents[2]
# the thresholds the hand computation uses: 2 firms suffice for 优势, main path = SPC share ≥ 0.3
CFG = AnalysisConfig(strong_min_count=2, main_path_min_share=0.3)


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    store, snap = build_snapshot(tmp_path_factory.mktemp("chain") / "g.db")
    yield snap
    store.close()


@pytest.fixture(scope="module")
def snap_parks(tmp_path_factory):
    store, snap = build_snapshot(tmp_path_factory.mktemp("chainp") / "g.db", park_links=True)
    yield snap
    store.close()


@pytest.fixture(scope="module")
def cmap(snap):
    return analyse_chain(snap, chain="ic", region="900100", config=CFG)


def by_key(cm):
    return {s.key: s for s in cm.segments + cm.context_segments}


def test_counts_strength_and_quality_tags_per_segment(cmap):
    s = by_key(cmap)
    assert [x.key for x in cmap.segments] == ["ic.s1", "ic.s2", "ic.s6", "ic.s7", "ic.s3", "ic.s4", "ic.s5"]
    assert {k: v.local_count for k, v in s.items() if v.in_chain} == {
        "ic.s1": 2, "ic.s2": 0, "ic.s3": 1, "ic.s4": 0, "ic.s5": 1, "ic.s6": 0, "ic.s7": 0}
    # 大型 9 + 中型 3; L6 has no size but 100 万元 revenue → 微型 0.5
    assert s["ic.s1"].local_strength == 12 and s["ic.s5"].local_strength == 0.5
    assert s["ic.s1"].national_strength == 13 and s["ic.s3"].national_strength == 10
    assert s["ic.s1"].national_count == 3 and s["ic.s1"].national_share == pytest.approx(12 / 13, abs=1e-4)
    # 小巨人 counts as 专精特新
    assert s["ic.s1"].tags == {"专精特新": 2, "高新技术": 0, "上市": 0}
    assert s["ic.s3"].tags["高新技术"] == 1 and s["nm.m1"].tags["上市"] == 1
    assert [r.key for r in s["ic.s1"].leaders] == ["E-L1"] and s["ic.s4"].leaders == []  # E-N2 is not local


def test_location_quotient_against_the_whole_graph(cmap):
    s = by_key(cmap)
    local_total, national_total = 17.5, 44.5
    assert s["ic.s1"].lq == pytest.approx((12 / local_total) / (13 / national_total), abs=1e-3)
    assert s["ic.s3"].lq == pytest.approx((1 / local_total) / (10 / national_total), abs=1e-3)
    assert s["nm.m1"].lq == pytest.approx((4 / local_total) / (5 / national_total), abs=1e-3)
    assert s["ic.s4"].lq == 0
    assert s["ic.s6"].lq is None  # nobody in the country: undefined, not zero


def test_classification_rule_and_thresholds(snap, cmap):
    s = by_key(cmap)
    assert {k: v.klass for k, v in s.items()} == {
        "ic.s1": "优势", "ic.s2": "空白", "ic.s3": "薄弱", "ic.s4": "空白", "ic.s5": "薄弱", "ic.s6": "空白",
        "ic.s7": "空白", "nm.m1": "优势", "nm.m2": "空白"}
    # defaults (≥ 3 firms): s1 stays 优势 only through its local 链主 (LQ ≥ 1); m1 (2 firms, no 链主) drops to 薄弱
    d = by_key(analyse_chain(snap, chain="ic", region="900100"))
    assert d["ic.s1"].klass == "优势" and "链主" in d["ic.s1"].reason
    assert "nm.m1" not in d  # no longer a strength, so no longer context for 延链
    no_leader = by_key(analyse_chain(snap, chain="ic", region="900100", config=AnalysisConfig(leader_strong=False)))
    assert no_leader["ic.s1"].klass == "薄弱"
    # a stricter LQ threshold demotes m1 (LQ 2.03) but not s1 (2.35)
    strict = by_key(analyse_chain(snap, chain="ic", region="900100", config=CFG.model_copy(update={"strong_lq": 2.2})))
    assert strict["ic.s1"].klass == "优势" and "nm.m1" not in strict
    # gap_max_count = 1 turns one-firm segments into gaps
    loose = by_key(analyse_chain(snap, chain="ic", region="900100", config=CFG.model_copy(update={"gap_max_count": 1})))
    assert loose["ic.s3"].klass == "空白" and loose["ic.s5"].klass == "空白"
    # counting firms instead of strength changes the LQ: s1 = (2/6)/(3/13)
    cnt = by_key(analyse_chain(snap, chain="ic", region="900100", config=CFG.model_copy(update={"lq_basis": "count"})))
    assert cnt["ic.s1"].lq == pytest.approx((2 / 6) / (3 / 13), abs=1e-3)


def test_main_path_by_search_path_count(cmap):
    s = by_key(cmap)
    assert {k: v.main_path_share for k, v in s.items() if v.in_chain} == pytest.approx(
        {"ic.s1": 0.4, "ic.s2": 0.2, "ic.s3": 0.4, "ic.s4": 0.8, "ic.s5": 1.0, "ic.s6": 0.2, "ic.s7": 0.2})
    assert {k for k, v in s.items() if v.on_main_path} == {"ic.s1", "ic.s3", "ic.s4", "ic.s5"}
    assert {k: v.depth for k, v in s.items() if v.in_chain} == {
        "ic.s1": 0, "ic.s2": 0, "ic.s6": 0, "ic.s7": 0, "ic.s3": 1, "ic.s4": 2, "ic.s5": 3}
    main_links = {(ln.up, ln.down) for ln in cmap.links if ln.main}
    assert main_links == {("ic.s1", "ic.s3"), ("ic.s1", "ic.s4"), ("ic.s3", "ic.s4"), ("ic.s4", "ic.s5")}
    assert {(ln.up, ln.down) for ln in cmap.links if ln.cross} == {("nm.m1", "ic.s7"), ("nm.m2", "ic.s1")}


def test_three_moves(cmap):
    fill, strengthen, extend = cmap.moves_of("补链"), cmap.moves_of("强链"), cmap.moves_of("延链")
    assert [m.segment for m in fill] == ["ic.s4"]  # s2, s6, s7 are gaps too, but not on the main path
    assert "主干" in fill[0].reason and fill[0].priority == pytest.approx(0.8)
    assert fill[0].anchors == ["ic.s1"] and "可依托本地优势环节“原料”" in fill[0].reason
    assert [(m.segment, m.anchors) for m in strengthen] == [("ic.s3", ["ic.s1"])]  # s5 has no strong neighbour
    ext = {m.segment: m for m in extend}
    assert set(ext) == {"nm.m2", "ic.s7"}
    assert ext["nm.m2"].cross_chain and ext["nm.m2"].anchors == ["ic.s1"] and "上游" in ext["nm.m2"].reason
    assert not ext["ic.s7"].cross_chain and ext["ic.s7"].anchors == ["nm.m1"] and "新材料" in ext["ic.s7"].reason
    assert {s.key for s in cmap.context_segments} == {"nm.m1", "nm.m2"}
    assert (cmap.summary.fill, cmap.summary.strengthen, cmap.summary.extend) == (1, 1, 2)


def test_national_distribution_and_peer_rank(cmap):
    s = by_key(cmap)
    assert [(r.name, r.strength, r.count) for r in s["ic.s1"].top_regions] == [("甲市", 12.0, 2), ("乙市", 1.0, 1)]
    assert (s["ic.s1"].peer_rank, s["ic.s1"].peer_total) == (1, 2)
    assert (s["ic.s3"].peer_rank, s["ic.s3"].peer_total) == (2, 2)
    assert s["ic.s4"].peer_rank is None and [r.name for r in s["ic.s4"].top_regions] == ["丙市"]


def test_summary_leaders_and_parks(cmap):
    sm = cmap.summary
    assert (sm.local_firms, sm.national_firms, sm.strong, sm.weak, sm.gap, sm.leaders) == (4, 9, 1, 2, 4, 1)
    assert [f.key for f in cmap.leaders] == ["E-L1"] and cmap.leaders[0].size == "大型"
    assert [(p.key, p.hosts_chain, p.parcels_available, p.area_available_mu) for p in cmap.parks] == [
        ("pk1", True, 1, 80.0)]  # pk2 is in 乙市; the reserved parcel does not count


def test_region_includes_descendants(snap):
    county = resolve_scope(snap, "900101")
    city = resolve_scope(snap, "900100")
    province = resolve_scope(snap, "900000")
    assert (int(county.firms.sum()), int(city.firms.sum()), int(province.firms.sum())) == (2, 6, 8)
    cm = analyse_chain(snap, chain="ic", region="900000", config=CFG)
    assert by_key(cm)["ic.s1"].local_count == 3 and by_key(cm)["ic.s2"].local_count == 1
    assert cm.scope.regions_included == 4


def test_park_without_firm_links_falls_back_to_its_region_and_says_so(snap):
    cm = analyse_chain(snap, chain="ic", region="甲园", config=CFG)
    assert cm.scope.kind == "park" and cm.scope.basis == "park_region" and cm.scope.region.key == "900100"
    assert "没有企业→园区" in cm.scope.note and cm.scope.note in cm.notes
    assert cm.summary.local_firms == 4 and [p.key for p in cm.parks] == ["pk1"]


def test_park_with_firm_links_counts_only_its_firms(snap_parks):
    cm = analyse_chain(snap_parks, chain="ic", region="pk1", config=CFG)
    assert cm.scope.basis == "park" and cm.scope.firms == 2
    s = by_key(cm)
    assert (s["ic.s1"].local_count, s["ic.s3"].local_count, s["ic.s5"].local_count) == (1, 1, 0)
    empty = analyse_chain(snap_parks, chain="ic", region="pk2")
    assert empty.scope.firms == 0 and "暂无入驻企业" in empty.scope.note
    assert all(x.klass == "空白" for x in empty.segments)


def test_names_resolve(snap):
    assert resolve_chain(snap, "集成电路") == resolve_chain(snap, "ic") == resolve_chain(snap, "半导体")
    assert resolve_chain(snap, "集成电路产业链") == resolve_chain(snap, "ic")
    assert resolve_place(snap, "甲") == resolve_place(snap, "甲市") == resolve_place(snap, "900100")
    assert resolve_place(snap, "甲园")[0] == "Park"
    with pytest.raises(ChainLookupError) as e:
        resolve_chain(snap, "生物医药")
    assert not e.value.ambiguous and "集成电路（ic）" in e.value.candidates
    with pytest.raises(ChainLookupError):
        resolve_place(snap, "不存在的地方")


def test_segment_firms_leader_first_then_by_weight(snap):
    scope = resolve_scope(snap, "900100")
    firms, total = segment_firms(snap, scope=scope, segment="ic.s1", config=CFG)
    assert total == 2 and [f.key for f in firms] == ["E-L1", "E-L2"] and firms[0].leader
    assert firms[0].region_name == "甲一县" and firms[1].tags == ["小巨人"]
    page, total = segment_firms(snap, scope=scope, segment="ic.s1", limit=1, offset=1)
    assert total == 2 and [f.key for f in page] == ["E-L2"]
    with pytest.raises(ChainLookupError):
        segment_firms(snap, scope=scope, segment="ic.none")


def test_summary_of_every_chain(snap):
    scope, rows = summarise_chains(snap, region="900100", config=CFG)
    assert scope.key == "900100"
    got = {r.chain.key: (r.segments, r.local_firms, r.strong, r.weak, r.gap) for r in rows}
    assert got == {"ic": (7, 4, 1, 2, 4), "nm": (2, 2, 1, 0, 1)}


def test_empty_region_is_all_gaps(snap):
    cm = analyse_chain(snap, chain="ic", region="800000", config=CFG)  # 外省: firms elsewhere only in 丙市
    assert cm.scope.firms == 5
    cm = analyse_chain(snap, chain="ic", region="900200", config=CFG)  # 乙市: N3 (s1), N6 (s2)
    s = by_key(cm)
    assert s["ic.s1"].local_count == 1 and s["ic.s3"].klass == "空白"


READ_SIDE = ("__init__", "analysis", "classify", "index", "leaders", "mainpath", "models", "moves", "scope",
             "strength")


@pytest.mark.parametrize("module", READ_SIDE)
def test_matching_never_imports_a_store_backend(module):
    src = (ROOT / "chains" / f"{module}.py").read_text(encoding="utf-8")
    imported = {n.module for n in ast.walk(ast.parse(src)) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m and (m.startswith("graph.sqlite") or m.startswith("graph.neo4j")
                                              or m.startswith("neo4j") or m == "sqlite3" or m.startswith("api"))}


def test_import_chains_is_light():
    """`import chains` (every read-side module) loads no store backend, no API and no XLSX writer."""
    code = ("import sys, chains; "
            "print(sorted(m for m in ('graph.sqlite_store', 'graph.neo4j_store', 'neo4j', 'sqlite3', 'api', 'fastapi',"
            " 'chains.router', 'openpyxl') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_settings_defaults_are_the_analysis_defaults():
    from api.settings import AnalysisSettings, RenderSettings
    from chains.render.png import PngOptions

    assert AnalysisConfig(**AnalysisSettings().model_dump()) == AnalysisConfig()
    r = RenderSettings()
    assert PngOptions(r.png_timeout_s, r.png_default_width, r.png_default_height) == PngOptions()
    assert PngOptions(r.png_timeout_s, r.png_default_width, r.png_default_height, r.chromium_concurrency) == PngOptions()
