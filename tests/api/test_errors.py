"""api/errors.py: a page whose parameters do not validate answers the error page inside the shell — HTML, the status
kept (422), the parameter named in Chinese — while the same mistake on an /api/v1 path stays problem+json."""
from __future__ import annotations

import pytest

from factories import USCC_A, graph_data, text_of, tiny_graph_objects, tiny_graph_relations


@pytest.fixture(scope="module")
def app_data():
    return graph_data(tiny_graph_objects(), tiny_graph_relations())


@pytest.mark.parametrize("path, params, said", [
    ("/pages/search", {"q": "衢州", "limit": 0}, "显示条数（limit）"),
    (f"/pages/enterprises/{USCC_A}", {"as_of": "2025-13-01"}, "基准日期（as_of）"),
    ("/pages/chains/ic/map", {"region": "330800", "strong_lq": -1}, "参数 strong_lq"),
])
def test_a_page_parameter_error_is_the_html_error_page(api_env, path, params, said):
    r = api_env.client.get(path, params=params)
    assert r.status_code == 422, r.text[:300]
    assert r.headers["content-type"].startswith("text/html"), r.headers["content-type"]
    assert "<nav class='cm'>" in r.text and "出错了（422）" in r.text  # the shell's error page
    assert said in text_of(r.text), text_of(r.text)[-400:]


@pytest.mark.parametrize("path, params, field", [
    ("/api/v1/search", {"q": "衢州", "limit": 0}, "limit"),
    ("/api/v1/chains/ic/map", {}, "region"),
])
def test_the_api_keeps_answering_problem_json(api_env, path, params, field):
    r = api_env.client.get(path, params=params)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == field
