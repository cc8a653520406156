"""Where a 信息检索 hit opens, on both backends: every 产业链 and 环节 hit opens a working chain map — for the officer's
own region (settings alerts.home_region; 衡阳 here, to tell it from the default 衢州), a segment hit with its segment
shown — never a link the page refuses; and the chain pages opened without a region (an old link, a bookmark) show the
home region instead of a 422."""
from __future__ import annotations

import json
import re

import pytest

from factories import graph_data, tiny_graph_objects, tiny_graph_relations
from graph.schema import IndustryChain, Region, Segment


@pytest.fixture(scope="module")
def app_data():
    objects = tiny_graph_objects() + [Region(key="430400", name="衡阳市", level="city"),
                                      IndustryChain(key="nm", name="新材料"),
                                      Segment(key="nm.fiber", name="碳纤维", chain="nm")]
    return graph_data(objects, tiny_graph_relations(), alerts={"home_region": "430400"})


def hits(client, q, **params):
    r = client.get("/api/v1/search", params={"q": q, **params})
    assert r.status_code == 200, r.text
    return r.json()["hits"]


def title_of(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def initial_node(html: str) -> str | None:
    m = re.search(r'<script type="application/json" id="cm-data">(.*?)</script>', html, re.S)
    assert m, "the chain map has no graph data"
    return json.loads(m.group(1))["initial"]


@pytest.mark.parametrize("q, label, url", [
    ("集成电路", "IndustryChain", "/pages/chains/ic/map?region=430400"),
    ("新材料", "IndustryChain", "/pages/chains/nm/map?region=430400"),
    ("晶圆制造", "Segment", "/pages/chains/ic/map?region=430400&segment=ic.fab"),
    ("碳纤维", "Segment", "/pages/chains/nm/map?region=430400&segment=nm.fiber"),
])
def test_chain_and_segment_hits_open_the_home_regions_map(api_env, q, label, url):
    h = hits(api_env.client, q)[0]
    assert (h["label"], h["url"]) == (label, url), h
    r = api_env.client.get(h["url"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), r.text[:300]
    assert "衡阳市" in title_of(r.text)
    if label == "Segment":
        assert initial_node(r.text) == url.rsplit("=", 1)[1]  # the segment's panel is the one shown


def test_every_chain_and_segment_link_on_the_search_page_works(api_env):
    r = api_env.client.get("/pages/search", params={"q": "jcdl"})  # the page's own example
    r2 = api_env.client.get("/pages/search", params={"q": "封测"})
    links = set(re.findall(r"href='(/pages/chains/[^']+)'", r.text + r2.text))
    assert links, "no chain or segment hit"
    for url in links:
        page = api_env.client.get(url.replace("&amp;", "&"))
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), (url, page.text[:200])


@pytest.mark.parametrize("path", ["/pages/chains/ic/map", "/pages/chains/ic/report", "/pages/chains/ic/investor",
                                  "/pages/chains/ic/map?region=", "/pages/chains/集成电路/map"])
def test_a_chain_page_without_region_shows_the_home_region(api_env, path):
    r = api_env.client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), r.text[:300]
    assert "衡阳市" in title_of(r.text), title_of(r.text)
    r = api_env.client.get(path.split("?")[0], params={"region": "330800"})  # a region asked for is kept
    assert r.status_code == 200 and "衢州市" in title_of(r.text), title_of(r.text)


def test_an_unknown_segment_opens_the_map_as_usual(api_env):
    r = api_env.client.get("/pages/chains/ic/map", params={"region": "430400", "segment": "nope"})
    assert r.status_code == 200 and initial_node(r.text) != "nope"
