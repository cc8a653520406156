"""GET /api/v1/search on both backends: every kind of match an officer relies on (名称, 简称/字号, 拼音, 拼音首字母,
错字容错, 代码), the ranking (exact > prefix > contains > pinyin > typo; 链主 first on ties), each hit's page, the
index following writes through the API without a rebuild, and bad input answered 422 in Chinese naming the field."""
from __future__ import annotations

import pytest

from factories import USCC_B, graph_data, tiny_graph_objects, tiny_graph_relations
from graph.schema import Enterprise, LandParcel, Park, Product, Project
from graph.store import RelRec

HX = "华芯国际微电子有限公司（测试）"
HX_LEAD = "华芯国际半导体装备有限公司（测试）"
JN = "衢州巨能新材料有限公司（测试）"


@pytest.fixture(scope="module")
def app_data():
    objects = tiny_graph_objects() + [
        Enterprise(key="E-HX", name=HX, region="330800"),
        Enterprise(key="E-HXL", name=HX_LEAD, region="440300"),
        Enterprise(key="E-JN", name=JN, region="330800"),
        Enterprise(key="E-SN", name="浙江示例晶圆测试服务有限公司（测试）", short_name="晶测微", region="330800",
                   stock_code="688123"),
        Park(key="qz-zz2", name="衢州智造新城（测试）", region="330800"),
        LandParcel(key="P-1", name="智造新城一号地块（测试）", region="330800", park="qz-zz2", area_mu=80),
        Project(key="PJ-1", name="华芯封测基地项目（测试）", investor="E-HX", chain="ic", park="qz-zz2"),
        Product(key="PR-1", name="光刻胶（测试）"),
    ]
    rels = tiny_graph_relations() + [
        RelRec("LEADS", "Enterprise", "E-HXL", "IndustryChain", "ic", {"region": "440300"}),
        RelRec("MAKES", "Enterprise", "E-JN", "Product", "PR-1", {"weight": 1.0}),
    ]
    return graph_data(objects, rels)


def find(api_env, q, **params):
    r = api_env.client.get("/api/v1/search", params={"q": q, **params})
    assert r.status_code == 200, r.text
    return r.json()


def first(api_env, q, **params):
    hits = find(api_env, q, **params)["hits"]
    assert hits, f"nothing found for {q!r}"
    return hits[0]


def test_exact_name_comes_first_with_its_kind_reason_and_page(api_env):
    h = first(api_env, HX)
    assert (h["key"], h["label"], h["label_name"], h["why"], h["how"]) == ("E-HX", "Enterprise", "企业", "名称", "完全一致")
    assert h["url"] == "/pages/enterprises/E-HX" and h["context"] == "衢州市"
    assert api_env.client.get(h["url"]).status_code == 200


@pytest.mark.parametrize("q, key, why", [
    ("华芯国", "E-HXL", "名称"),          # a prefix: the 链主 before the other firm of the same prefix
    ("巨能", "E-JN", "简称"),            # the 字号 without the city in front (衢州巨能…)
    ("巨能新材料", "E-JN", "简称"),
    ("huaxin", "E-HXL", "拼音"),
    ("jnxcl", "E-JN", "拼音首字母"),
    ("华芯国计", "E-HXL", "错字容错"),      # a homophone typo (计 for 际), as a pinyin input method makes it
    ("巨能新材科", "E-JN", "错字容错"),      # another typo: most trigrams in common
    (USCC_B, USCC_B, "代码"),
    (USCC_B[:8], USCC_B, "代码"),
    ("半导体", "E-HXL", "名称"),          # contains
    ("晶测微", "E-SN", "简称"),          # the firm's recorded 简称 (Enterprise.short_name), in no part of its name
    ("jcw", "E-SN", "拼音首字母"),        # … and its initials
    ("688123", "E-SN", "代码"),          # its stock code (the key is not a stock code)
])
def test_each_kind_of_match(api_env, q, key, why):
    hits = find(api_env, q, label="Enterprise")["hits"]
    assert hits and hits[0]["key"] == key and hits[0]["why"] == why, hits[:3]


def test_ties_put_the_chain_leader_first_and_exact_above_prefix(api_env):
    hits = find(api_env, "华芯")["hits"]
    firms = [h["key"] for h in hits if h["label"] == "Enterprise"]
    assert firms[:2] == ["E-HXL", "E-HX"]  # same tier (prefix): the 链主 first although its name is longer
    assert hits[0]["leader"] is True and hits[1]["leader"] is False
    tiers = [h["how"] for h in find(api_env, "集成电路")["hits"]]
    assert tiers[0] == "完全一致" and find(api_env, "集成电路")["hits"][0]["label"] == "IndustryChain"


def test_every_kind_of_node_is_found_and_opens_its_page(api_env):
    want = {"衢州智造新城（测试）": ("Park", "/pages/parks/qz-zz2"),
            "智造新城一号地块（测试）": ("LandParcel", "/pages/land?parcel=P-1"),
            "华芯封测基地项目（测试）": ("Project", "/pages/pipeline/PJ-1"),
            "集成电路": ("IndustryChain", "/pages/chains/ic/map?region=330800"),  # the home region's map
            "晶圆制造": ("Segment", "/pages/chains/ic/map?region=330800&segment=ic.fab"),
            "衢州市": ("Region", "/pages/targets?region=330800"),
            "光刻胶（测试）": ("Product", "/pages/enterprises/E-JN")}
    for q, (label, url) in want.items():
        h = first(api_env, q)
        assert (h["label"], h["url"]) == (label, url), (q, h)
        assert api_env.client.get(h["url"]).status_code == 200, (q, h["url"])  # every link opens a page
    assert first(api_env, "智造新城一号地块（测试）")["context"] == "衢州智造新城（测试） · 可供"
    assert "衢州巨能新材料有限公司（测试）" in first(api_env, "光刻胶（测试）")["context"]
    counts = find(api_env, "衢州")["by_label"]
    assert {"Region", "Park", "Enterprise"} <= set(counts)


def test_label_filter_accepts_chinese_and_limit_cuts(api_env):
    out = find(api_env, "华芯", label="企业", limit=1)
    assert out["label"] == "Enterprise" and len(out["hits"]) == 1 and out["total"] >= 2


def test_unknown_text_is_an_empty_list(api_env):
    out = find(api_env, "无此企业无此园区")
    assert out["hits"] == [] and out["total"] == 0


@pytest.mark.parametrize("params, field", [
    ({"q": ""}, "q"), ({}, "q"), ({"q": "   "}, "q"), ({"q": "华" * 101}, "q"),
    ({"q": "华芯", "limit": 0}, "limit"), ({"q": "华芯", "limit": 101}, "limit"),
    ({"q": "华芯", "label": "星球"}, "label"),
])
def test_bad_input_is_422_in_chinese_naming_the_field(api_env, params, field):
    r = api_env.client.get("/api/v1/search", params=params)
    assert r.status_code == 422, r.text
    body = r.json()
    assert field in body["detail"] and any(e["field"] == field for e in body["errors"])
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"])


def test_the_index_follows_writes_without_a_rebuild(api_env):
    from search.commands import _indexes

    find(api_env, "华芯")  # the index is current
    path = next(p for p in _indexes if api_env.settings.snapshot_dir in p)
    built = _indexes[path]._generation
    r = api_env.client.put("/api/v1/enterprises/E-NEW", json={"name": "星链测控技术有限公司（测试）", "region": "330800"},
                           headers=api_env.h("officer"))
    assert r.status_code in (200, 201), r.text
    h = first(api_env, "xinglian")
    assert (h["key"], h["why"]) == ("E-NEW", "拼音")
    assert first(api_env, "星链测控")["key"] == "E-NEW"
    r = api_env.client.delete("/api/v1/enterprises/E-NEW", headers=api_env.h("admin"))
    assert r.status_code == 204, r.text
    assert all(h["key"] != "E-NEW" for h in find(api_env, "星链测控")["hits"])
    assert _indexes[path]._generation == built  # updated from the change log, never rebuilt
