"""The seed facts (chains, regions, parks) are well formed, consistent with each other and valid for the schema."""
from __future__ import annotations

from collections import Counter

import networkx as nx
import pytest

from graph.schema import MODELS, STREAMS, Label
from seed_data.facts import fact_links, fact_nodes, load_chains, load_parks, load_regions

CHAIN_KEYS = {"nm", "ic", "pte", "ne", "nev", "ie", "lh", "sp"}
CHAIN_NAMES = {
    "nm": "新材料", "ic": "集成电路", "pte": "输变电装备", "ne": "新能源",
    "nev": "新能源汽车", "ie": "智能装备", "lh": "生命健康", "sp": "特种纸",
}
COUNTIES = {
    "330800": {"330802": "柯城区", "330803": "衢江区", "330822": "常山县", "330824": "开化县", "330825": "龙游县",
               "330881": "江山市"},
    "330700": {"330702": "婺城区", "330703": "金东区", "330723": "武义县", "330726": "浦江县", "330727": "磐安县",
               "330781": "兰溪市", "330782": "义乌市", "330783": "东阳市", "330784": "永康市"},
    "430400": {"430405": "珠晖区", "430406": "雁峰区", "430407": "石鼓区", "430408": "蒸湘区", "430412": "南岳区",
               "430421": "衡阳县", "430422": "衡南县", "430423": "衡山县", "430424": "衡东县", "430426": "祁东县",
               "430481": "耒阳市", "430482": "常宁市"},
}
REQUIRED_PARKS = {"衢州智造新城", "衢州智慧新城", "金义新区", "金华经济技术开发区", "义乌经济技术开发区",
                  "衡阳高新技术产业开发区", "衡阳松木经济开发区"}
STREAM_ORDER = {s: i for i, s in enumerate(STREAMS)}


@pytest.fixture(scope="module")
def chains():
    return load_chains()


@pytest.fixture(scope="module")
def segments(chains):
    return {s["key"]: {**s, "chain": c["key"]} for c in chains["chains"] for s in c["segments"]}


@pytest.fixture(scope="module")
def regions():
    return {r["key"]: r for r in load_regions()}


# ------------------------------------------------------------------ nodes and the schema

def test_every_fact_node_validates_and_keeps_a_source():
    nodes = fact_nodes()
    labels = Counter(label for label, _ in nodes)
    assert set(labels) == {Label.IndustryChain, Label.Segment, Label.Region, Label.Park}
    for label, props in nodes:
        model = MODELS[label](**props)  # raises with the field name on a bad row
        assert model.source and model.source != "manual", (label, props["key"])
        assert not model.synthetic
    keys = Counter((label, props["key"]) for label, props in nodes)
    assert [k for k, n in keys.items() if n > 1] == []


def test_segment_nodes_carry_their_chain(chains):
    seg_nodes = [p for label, p in fact_nodes() if label == Label.Segment]
    chain_of = {s["key"]: c["key"] for c in chains["chains"] for s in c["segments"]}
    assert {p["key"]: p["chain"] for p in seg_nodes} == chain_of
    pte = next(c for c in chains["chains"] if c["key"] == "pte")
    assert all(p["source"] == pte["source"] for p in seg_nodes if p["chain"] == "pte")
    assert "衡政办发〔2025〕11号" in pte["source"]


# ------------------------------------------------------------------ chains and segments

def test_the_eight_chains_with_their_names_and_aliases(chains):
    by_key = {c["key"]: c for c in chains["chains"]}
    assert set(by_key) == CHAIN_KEYS
    assert {k: c["name"] for k, c in by_key.items()} == CHAIN_NAMES
    assert {"半导体", "集成电路/半导体"} <= set(by_key["ic"]["aliases"])
    assert {"锂电池", "光伏"} <= set(by_key["ne"]["aliases"])
    assert chains["source"].strip()


@pytest.mark.parametrize("chain_key", sorted(CHAIN_KEYS))
def test_each_chain_has_enough_segments_in_every_stream(chains, chain_key):
    chain = next(c for c in chains["chains"] if c["key"] == chain_key)
    segs = chain["segments"]
    assert len(segs) >= 10
    assert {s["stream"] for s in segs} == set(STREAMS)
    for s in segs:
        assert s["key"].startswith(chain_key + "."), s["key"]
        assert s["key"].isascii(), s["key"]
        assert 6 <= len(s["keywords"]) <= 15, s["key"]
        assert all(k.strip() == k and k for k in s["keywords"]), s["key"]
        assert s["description"].strip(), s["key"]
        if s.get("parent"):
            assert s["parent"] in {x["key"] for x in segs}, s["key"]
    # a keyword names one segment of a chain, so text matching is unambiguous inside the chain
    counts = Counter(k for s in segs for k in s["keywords"])
    assert [k for k, n in counts.items() if n > 1] == []


def test_ic_has_a_packaging_segment_found_by_fengce(segments):
    packaging = [s for s in segments.values() if s["chain"] == "ic" and s["name"] in ("封测", "封装测试")]
    assert len(packaging) == 1
    assert "封测" in packaging[0]["keywords"]


def test_links_reference_segments_of_their_own_chain_and_flow_downstream(chains, segments):
    for chain in chains["chains"]:
        own = {s["key"] for s in chain["segments"]}
        for up, down in chain["links"]:
            assert up in own and down in own, (chain["key"], up, down)
            assert up != down
            assert STREAM_ORDER[segments[up]["stream"]] <= STREAM_ORDER[segments[down]["stream"]], (up, down)


def test_cross_links_join_different_chains(chains, segments):
    assert chains["cross_links"]
    for up, down in chains["cross_links"]:
        assert up in segments and down in segments, (up, down)
        assert segments[up]["chain"] != segments[down]["chain"], (up, down)
    pairs = {(segments[u]["chain"], segments[d]["chain"]) for u, d in chains["cross_links"]}
    assert {("nm", "ic"), ("nm", "ne"), ("ne", "nev"), ("sp", "lh")} <= pairs


def test_supply_links_form_a_dag_touching_every_segment(segments):
    links = fact_links()
    assert len(links) == len(set(links)), "duplicate links"
    graph = nx.DiGraph(links)
    assert nx.is_directed_acyclic_graph(graph)
    assert set(graph.nodes) <= set(segments)
    untouched = set(segments) - set(graph.nodes)
    assert untouched == set()
    # each chain on its own is one connected flow
    for chain_key in CHAIN_KEYS:
        own = [k for k, s in segments.items() if s["chain"] == chain_key]
        assert nx.is_weakly_connected(graph.subgraph(own)), chain_key


def test_dag_check_would_catch_a_cycle():
    links = fact_links()
    up, down = links[0]
    assert not nx.is_directed_acyclic_graph(nx.DiGraph(links + [(down, up)]))


# ------------------------------------------------------------------ regions

def test_regions_hierarchy(regions):
    levels = Counter(r["level"] for r in regions.values())
    assert levels["province"] == 31
    assert 70 <= levels["city"] <= 100
    parent_level = {"city": "province", "county": "city"}
    for key, r in regions.items():
        assert len(key) == 6 and key.isdigit(), key
        assert r["macro_region"], key
        if r["level"] == "province":
            assert r["parent"] is None and key.endswith("0000"), key
        else:
            parent = regions[r["parent"]]
            assert parent["level"] == parent_level[r["level"]], key
            assert key[:2] == r["parent"][:2], key
            if r["level"] == "county":
                assert key[:4] == r["parent"][:4], key
            root = parent if parent["level"] == "province" else regions[parent["parent"]]
            assert r["macro_region"] == root["macro_region"], key


def test_every_province_has_a_city_and_macro_regions_are_as_agreed(regions):
    provinces = {k for k, r in regions.items() if r["level"] == "province"}
    with_city = {r["parent"] for r in regions.values() if r["level"] == "city"}
    assert provinces == with_city
    macro = {regions[k]["name"]: regions[k]["macro_region"] for k in provinces}
    for name in ("上海市", "江苏省", "浙江省", "安徽省"):
        assert macro[name] == "长三角"
    assert macro["广东省"] == "粤港澳"
    for name in ("北京市", "天津市", "河北省"):
        assert macro[name] == "京津冀"
    assert macro["四川省"] == macro["重庆市"] == "成渝"
    for name in ("湖北省", "湖南省", "江西省"):
        assert macro[name] == "长江中游"


@pytest.mark.parametrize("city", sorted(COUNTIES))
def test_focus_cities_have_exactly_their_counties(regions, city):
    counties = {k: r["name"] for k, r in regions.items() if r["level"] == "county" and r["parent"] == city}
    assert counties == COUNTIES[city]


def test_region_coordinates_lie_in_china(regions):
    for key, r in regions.items():
        assert 18 <= r["lat"] <= 54 and 73 <= r["lon"] <= 136, key
        assert round(r["lat"], 2) == r["lat"] and round(r["lon"], 2) == r["lon"], key


# ------------------------------------------------------------------ parks

def test_parks_reference_existing_regions_and_chains(regions):
    parks = load_parks()
    assert len({p["key"] for p in parks}) == len(parks)
    for p in parks:
        assert p["region"] in regions and regions[p["region"]]["level"] in ("city", "county"), p["key"]
        assert p["leading_chains"] and set(p["leading_chains"]) <= CHAIN_KEYS, p["key"]
        assert p["level"] in ("国家级", "省级"), p["key"]
        assert p["source"].strip(), p["key"]
        region = regions[p["region"]]
        assert abs(p["lat"] - region["lat"]) < 0.6 and abs(p["lon"] - region["lon"]) < 0.6, p["key"]


def test_the_named_parks_are_present():
    names = {p["name"] for p in load_parks()}
    assert REQUIRED_PARKS <= names
    in_city = Counter(p["region"][:4] for p in load_parks())
    assert in_city["3308"] >= 3 and in_city["3307"] >= 3 and in_city["4304"] >= 3
