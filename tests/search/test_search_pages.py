"""The 信息检索 page and the search box of the navigation bar: on every page of the shell (each NAV page, the chain
map, the firm page, the search page itself), a plain GET form to /pages/search; the page lists hits by kind with
links to their pages; an empty or unknown query gets a helpful page; the 工作台's firm search goes through it."""
from __future__ import annotations

import re

import pytest

from factories import graph_data, tiny_graph_objects, tiny_graph_relations
from graph.schema import Enterprise
from kernel.pages import NAV

BOX = re.compile(r"<form class='cm-nav-search' method='get' action='/pages/search' role='search' id='cm-nav-search'>"
                 r"<input type='search' name='q'")


@pytest.fixture(scope="module")
def app_data():
    objects = tiny_graph_objects() + [Enterprise(key="E-HX", name="华芯国际微电子有限公司（测试）", region="330800"),
                                      Enterprise(key="E-HY", name="华芯源科技有限公司（测试）", region="330800"),
                                      Enterprise(key="E-ZX", name="中芯国际集成电路制造有限公司（测试）", region="330800"),
                                      Enterprise(key="E-ZX1", name="钟鑫精密机械有限公司（测试）", region="330800"),
                                      Enterprise(key="E-ZX2", name="忠信五金制品有限公司（测试）", region="330800")]
    return graph_data(objects, tiny_graph_relations())


@pytest.mark.parametrize("path", [p for _, p in NAV] + ["/pages/chains/ic/map?region=330800", "/pages/enterprises/E-HX",
                                                        "/pages/parks/qz-zz", "/pages/search", "/pages/search?q=华芯"])
def test_every_shell_page_has_the_search_box(api_env, path):
    r = api_env.client.get(path)
    assert r.status_code == 200, (path, r.text[:300])
    assert len(BOX.findall(r.text)) == 1, path
    assert "<script" not in r.text.split("</nav>")[0]  # the box needs no script


def test_search_page_lists_hits_with_kind_reason_and_link(api_env):
    r = api_env.client.get("/pages/search", params={"q": "华芯"})
    assert r.status_code == 200
    table = re.search(r"<table class='cm-hits' id='cm-hits'>(.*?)</table>", r.text, re.S).group(1)
    assert "<a href='/pages/enterprises/E-HX'>华芯国际微电子有限公司（测试）</a>" in table
    assert "企业" in table and "名称 · 前缀" in table and "衢州市" in table
    assert "value='华芯'" in r.text.split("</nav>")[0]  # the box keeps the query
    assert re.search(r"id='cm-kinds'>.*企业 2", r.text)


def test_empty_and_unknown_queries_get_a_helpful_page(api_env):
    r = api_env.client.get("/pages/search")
    assert r.status_code == 200 and "id='cm-tips'" in r.text and "拼音" in r.text
    r = api_env.client.get("/pages/search", params={"q": "无此企业无此园区"})
    assert r.status_code == 200 and "id='cm-empty'" in r.text and "没有找到与“无此企业无此园区”相关的结果" in r.text
    r = api_env.client.get("/pages/search", params={"q": "华" * 101})
    assert r.status_code == 422 and "text/html" in r.headers["content-type"]


def test_workbench_firm_search_goes_through_the_one_search(api_env):
    c = api_env.client
    r = c.get("/pages/enterprise-lookup", params={"q": "华芯国际微电子有限公司（测试）"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/pages/enterprises/E-HX"
    r = c.get("/pages/enterprise-lookup", params={"q": "huaxinyuan"}, follow_redirects=False)  # pinyin, one firm
    assert r.status_code == 303 and r.headers["location"] == "/pages/enterprises/E-HY"
    r = c.get("/pages/enterprise-lookup", params={"q": "华芯"}, follow_redirects=True)  # two firms: the list
    assert r.status_code == 200 and "cm-flash" in r.text and "E-HX" in r.text and "E-HY" in r.text
    assert str(r.url).split("?")[0].endswith("/pages/search")


def test_workbench_firm_search_opens_the_one_firm_named_though_homophones_come_close(api_env):
    """中芯: one firm's name holds it; 钟鑫 and 忠信 only sound like it (同音) — they name nothing, so the firm opens."""
    c = api_env.client
    for q in ("中芯", "中芯公司", "zhongxinguoji"):
        r = c.get("/pages/enterprise-lookup", params={"q": q}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/pages/enterprises/E-ZX", (q, r.headers)
    r = c.get("/pages/enterprise-lookup", params={"q": "钟芯"}, follow_redirects=True)  # only homophones: the list
    assert str(r.url).split("?")[0].endswith("/pages/search") and "E-ZX1" in r.text


@pytest.mark.parametrize("params, said", [({"q": "衢州", "limit": 0}, "显示条数（limit）"),
                                          ({"q": "衢州", "limit": "many"}, "显示条数（limit）")])
def test_a_bad_page_parameter_is_an_error_page_in_the_shell(api_env, params, said):
    r = api_env.client.get("/pages/search", params=params)
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert len(BOX.findall(r.text)) == 1 and said in r.text
