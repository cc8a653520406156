"""The generic node API's list filters take names, through the one resolver (api/node_service.py, kernel.resolve):
`region=衢州` is 衢州市 and every 行政区 below it; an unknown name is 404 with suggestions, never an empty list."""
from __future__ import annotations

import pytest

from factories import USCC_A, graph_data, parcel, project, quzhou_districts, tiny_graph_objects, tiny_graph_relations

KECHENG, JIANGSHAN = "firm-kecheng", "firm-jiangshan"


@pytest.fixture(scope="module")
def app_data():
    return graph_data(tiny_graph_objects() + quzhou_districts() + [parcel(), project()], tiny_graph_relations())


def keys_of(r):
    assert r.status_code == 200, r.text
    return sorted(e["key"] for e in r.json()["items"])


def test_region_by_short_name_covers_the_regions_below_it(api_env):
    c = api_env.client
    expected = sorted([USCC_A, KECHENG, JIANGSHAN])
    for name in ("衢州", "衢州市", "330800"):
        assert keys_of(c.get("/api/v1/enterprises", params={"region": name})) == expected, name
    assert keys_of(c.get("/api/v1/enterprises", params={"region": "江山市"})) == [JIANGSHAN]
    assert c.get("/api/v1/enterprises", params={"region": "衢州"}).json()["total"] == 3


def test_an_unknown_region_is_404_with_suggestions(api_env):
    r = api_env.client.get("/api/v1/enterprises", params={"region": "衢洲市"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert "衢洲市" in body["detail"] and "您是不是要找" in body["detail"] and "衢州市" in body["detail"]
    assert body["errors"][0]["field"] == "region"


def test_chain_segment_and_park_filters_take_names(api_env):
    c = api_env.client
    assert keys_of(c.get("/api/v1/segments", params={"chain": "集成电路"})) == ["ic.app", "ic.fab", "ic.mat", "ic.pkg"]
    assert keys_of(c.get("/api/v1/parks", params={"leading_chains": "集成电路"})) == ["qz-zz"]
    assert keys_of(c.get("/api/v1/parcels", params={"park": "衢州智造新城"})) == ["pc-1"]
    assert keys_of(c.get("/api/v1/projects", params={"chain": "ic", "park": "qz-zz"})) == ["pj-1"]
    assert keys_of(c.get("/api/v1/regions", params={"parent": "衢州"})) == ["330802", "330881"]
    r = c.get("/api/v1/segments", params={"chain": "不存在的链"})
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "chain"
    assert c.get("/api/v1/parcels", params={"park": "没有这个园区"}).status_code == 404


def test_a_blank_or_control_character_name_is_404_and_an_empty_one_is_refused_by_the_schema(api_env):
    c = api_env.client
    for text in ("\x1d", "  "):
        r = c.get("/api/v1/enterprises", params={"region": text})
        assert r.status_code == 404 and r.json()["errors"][0]["field"] == "region", r.text
    r = c.get("/api/v1/segments", params={"chain": ""})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "chain"
