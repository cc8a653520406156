"""GET /api/v1/search ranking as an officer reads it, on both backends, over a hand-built graph shaped like the seeded
demo's: a pinyin query puts the node whose whole name it spells first (not parks whose machine keys start with it,
not a chain whose alias starts with it); a homophone typo puts the chain it names above segments whose keywords hold
that name; 公司 / 集团 / 产业链 added to what is found without them still finds it; pinyin with tone marks and text
with a zero-width space are read as typed without them."""
from __future__ import annotations

import pytest

from dataclasses import asdict

from factories import graph_data, tiny_graph_objects, tiny_graph_relations
from graph.schema import Enterprise, IndustryChain, Park, Region, Segment
from graph.snapshot import Snapshot
from graph.store import RelRec
from graph.writer import write_objects
from search.documents import DocMaker
from search.ranking import Query, judge
from search.text import normalize

SMIC = "中芯国际集成电路制造（上海）有限公司（测试）"
JUHUA = "浙江巨化股份有限公司（测试）"
TCL = "TCL科技集团股份有限公司（测试）"
HEFENG = "衢州禾峰新材料有限公司（测试）"
# firms whose own words end in a chain word (供应链, 区块链) beside firms named by what is left without it
SUPPLY_CHAIN, SUPPLIER, SUPPLY = "供应链管理有限公司（测试）", "供应商有限公司（测试）", "供应有限公司（测试）"
BLOCKCHAIN, BLOCK_DATA = "区块链科技有限公司（测试）", "区块数据有限公司（测试）"


@pytest.fixture(scope="module")
def app_data():
    objects = tiny_graph_objects() + [
        Region(key="610100", name="西安市", level="city"),
        Region(key="430300", name="湘潭市", level="city"),
        Region(key="430400", name="衡阳市", level="city"),
        Region(key="430421", name="衡阳县", level="county", parent="430400"),  # spelled hengyang as well
        IndustryChain(key="nm", name="新材料", aliases=["先进材料"]),
        Segment(key="ic.packaging", name="封装测试", chain="ic", keywords=["集成电路封装"]),
        Segment(key="ic.design", name="芯片设计", chain="ic", keywords=["集成电路设计"]),
        # parks keyed by their place's pinyin, as the seed keys them; a firm of the place in each
        Park(key="quzhou_zhihui", name="衢州智慧新城（测试）", region="330800"),
        Park(key="quzhou_zhizao", name="衢州智造新城（测试）", region="330800"),
        Park(key="hengyang_songmu", name="衡阳松木经济开发区（测试）", region="430400"),
        Enterprise(key="E-QZ1", name="衢州示例丰达机械有限公司（测试）", region="330800"),
        Enterprise(key="E-QZ2", name="衢州示例昊嘉机械有限公司（测试）", region="330800"),
        Enterprise(key="E-HY1", name="衡阳示例昊泰新材料有限公司（测试）", region="430400"),
        Enterprise(key="E-XA1", name="西安示例先达电子有限公司（测试）", region="610100"),
        Enterprise(key="E-SMIC", name=SMIC, region="330800"),
        Enterprise(key="E-ZX1", name="钟鑫精密机械有限公司（测试）", region="330800"),  # 同音 of 中芯
        Enterprise(key="E-ZX2", name="忠信五金制品有限公司（测试）", region="330800"),  # 同音 of 中芯
        Enterprise(key="E-JH", name=JUHUA, region="330800"),
        Enterprise(key="E-TCL", name=TCL, region="440300"),
        Enterprise(key="E-HF", name=HEFENG, region="330800"),
        Enterprise(key="E-SC", name=SUPPLY_CHAIN, region="330800"),
        Enterprise(key="E-SR", name=SUPPLIER, region="330800"),
        Enterprise(key="E-SY", name=SUPPLY, region="330800"),
        Enterprise(key="E-BC", name=BLOCKCHAIN, region="330800"),
        Enterprise(key="E-BD", name=BLOCK_DATA, region="330800"),
    ]
    rels = tiny_graph_relations() + [
        RelRec("LOCATED_IN", "Enterprise", "E-QZ1", "Park", "quzhou_zhihui"),
        RelRec("LOCATED_IN", "Enterprise", "E-QZ2", "Park", "quzhou_zhizao"),
        RelRec("LOCATED_IN", "Enterprise", "E-HY1", "Park", "hengyang_songmu"),
    ]
    return graph_data(objects, rels)


def hits(api_env, q, **params):
    r = api_env.client.get("/api/v1/search", params={"q": q, **params})
    assert r.status_code == 200, r.text
    return r.json()["hits"]


@pytest.mark.parametrize("q, key", [("quzhou", "330800"), ("hengyang", "430400"), ("xian", "610100"),
                                    ("QuZhou", "330800"), ("qu zhou", "330800")])
def test_pinyin_of_a_whole_name_comes_first(api_env, q, key):
    found = hits(api_env, q)
    assert (found[0]["key"], found[0]["why"], found[0]["how"]) == (key, "拼音", "完全一致"), found[:4]


def test_a_city_comes_before_the_county_of_the_same_name(api_env):
    assert [h["key"] for h in hits(api_env, "hengyang")[:2]] == ["430400", "430421"]
    assert [h["key"] for h in hits(api_env, "衡阳", label="Region")[:2]] == ["430400", "430421"]


def test_machine_keys_rank_below_every_name_match(api_env):
    found = hits(api_env, "quzhou", limit=50)
    by_key = [i for i, h in enumerate(found) if h["why"] == "代码"]
    by_name = [i for i, h in enumerate(found) if h["why"] != "代码"]
    assert not by_key or min(by_key) > max(by_name), [(h["name"], h["why"]) for h in found]
    parks = {h["key"]: h["why"] for h in found if h["label"] == "Park"}
    assert parks == {"qz-zz": "拼音", "quzhou_zhihui": "拼音", "quzhou_zhizao": "拼音"}  # names, not keys
    # a key is still found whole, and by its start or a part when nothing else is named by the text
    assert hits(api_env, "quzhou_zhihui")[0]["key"] == "quzhou_zhihui"
    for q, how in (("hengyang_s", "前缀"), ("yang_song", "包含")):
        h = hits(api_env, q)[0]
        assert (h["key"], h["why"], h["how"]) == ("hengyang_songmu", "代码", how), h


def test_an_alias_spelled_by_the_pinyin_ranks_below_the_name_it_spells(api_env):
    found = hits(api_env, "xian", limit=50)
    keys = [h["key"] for h in found]
    assert keys.index("610100") < keys.index("nm"), keys  # 西安市 before 新材料 (alias 先进材料 starts xian)
    assert keys.index("430300") < keys.index("nm"), keys  # 湘潭 spells its own name; 新材料 only an alias's start


@pytest.mark.parametrize("q", ["集成电陆", "集成店路", "基成电路"])
def test_a_homophone_typo_puts_the_named_chain_above_keyword_matches(api_env, q):
    found = hits(api_env, q)
    assert (found[0]["key"], found[0]["label"], found[0]["how"]) == ("ic", "IndustryChain", "同音"), found[:3]
    assert {"ic.packaging", "ic.design"} <= {h["key"] for h in found[1:]}


@pytest.mark.parametrize("q, key", [("中芯公司", "E-SMIC"), ("巨化集团", "E-JH"), ("tcl集团", "E-TCL"),
                                    ("TCL集团", "E-TCL"), ("禾峰公司", "E-HF"), ("巨化集团有限公司", "E-JH")])
def test_a_kind_word_added_to_a_name_still_finds_it(api_env, q, key):
    found = hits(api_env, q)
    assert found and found[0]["key"] == key and found[0]["why"] != "错字容错", found[:3]


@pytest.mark.parametrize("q", ["集成电路产业链", "集成电路链"])
def test_a_chain_named_with_its_chain_suffix_is_named_exactly(api_env, q):
    h = hits(api_env, q)[0]
    assert (h["key"], h["label"], h["how"]) == ("ic", "IndustryChain", "完全一致"), h


@pytest.mark.parametrize("q, key", [("hé fēng", "E-HF"), ("HÉFĒNG", "E-HF"), ("he feng", "E-HF"),
                                    ("中\u200b芯", "E-SMIC"), ("\ufeff巨化", "E-JH"), ("巨\u00ad化", "E-JH")])
def test_tone_marks_and_invisible_characters_are_ignored(api_env, q, key):
    found = hits(api_env, q, label="Enterprise")
    assert found and found[0]["key"] == key, found[:3]


@pytest.mark.parametrize("q, first, below", [
    ("供应链", "E-SC", ("E-SR", "E-SY")),  # not 供应商 / 供应 (供应链 cut to 供应) above the firm named 供应链…
    ("区块链", "E-BC", ("E-BD",)),
    ("供应链公司", "E-SC", ("E-SR", "E-SY")),  # 公司 cut (→ 供应链), 链 not (for firms)
])
def test_a_chain_word_that_is_part_of_a_firms_name_is_not_cut_off(api_env, q, first, below):
    found = hits(api_env, q, label="Enterprise", limit=50)
    keys = [h["key"] for h in found]
    assert keys and keys[0] == first, [(h["name"], h["why"], h["how"]) for h in found[:4]]
    assert all(k not in keys or keys.index(k) > 0 for k in below)
    assert not any(h["key"] in below and h["how"] == "完全一致" for h in found), found  # no "exact" 供应 for 供应链


@pytest.fixture
def rows(sqlite_store):
    """Index rows (search.documents) of a few firms and a chain, built from a real snapshot, keyed by name."""
    write_objects(sqlite_store, [Region(key="330800", name="衢州市", level="city"),
                                 IndustryChain(key="ic", name="集成电路"), IndustryChain(key="bc", name="区块链"),
                                 *(Enterprise(key=f"E{i}", name=n, region="330800") for i, n in enumerate(
                                     [SUPPLY_CHAIN, SUPPLIER, SUPPLY, BLOCKCHAIN, BLOCK_DATA,
                                      "巨化新材料有限公司（测试）", "巨化集团物流有限公司（测试）"]))], [])
    return {d.name: asdict(d) for d in DocMaker(Snapshot.build(sqlite_store)).all()}


def verdicts(rows, q):
    """(name, tier, how) of every row the query matches, in the search's order (tier, then order)."""
    query = Query.of(normalize(q))
    judged = [(v, name) for name, row in rows.items() if (v := judge(query, row)) is not None]
    return [(name, v.tier, v.how) for v, name in sorted(judged, key=lambda x: (x[0].tier, x[0].order, x[1]))]


def test_judge_ranks_the_query_as_typed_above_its_shortened_form(rows):
    got = verdicts(rows, "供应链")
    assert got[0] == (SUPPLY_CHAIN, 2, "前缀"), got
    assert all(not (name == SUPPLY and tier <= 1) for name, tier, _ in got), got  # 供应 is not 供应链 named exactly
    got = verdicts(rows, "区块链")  # the chain named so, then the firm; never 区块数据 through 区块
    assert got[:2] == [("区块链", 0, "完全一致"), (BLOCKCHAIN, 2, "前缀")], got
    assert not any(n == BLOCK_DATA and t <= 3 for n, t, _ in got), got
    assert verdicts(rows, "区块链产业")[0] == ("区块链", 0, "完全一致")  # 产业 cut to name the chain
    # same tier (prefix): the firm matching 巨化集团 as typed before the (shorter) one matching only 巨化
    got = verdicts(rows, "巨化集团")
    assert [n for n, *_ in got[:2]] == ["巨化集团物流有限公司（测试）", "巨化新材料有限公司（测试）"], got
    assert verdicts(rows, "集成电路产业链")[0] == ("集成电路", 0, "完全一致")
