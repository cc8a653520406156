"""Where "here" is when an officer names no region (kernel.regions): the one rule the chain pages, the 企业尽调 page and
API, and 信息检索's chain links share — the region asked for; else the officer's own (settings alerts.home_region)
when the data holds it; else the first demo city the data holds. Checked on both backends with 衡阳 as home and
衢州 (the first demo city) in the data as well, so a page that picked its own default would show 衢州."""
from __future__ import annotations

import re

import pytest

from factories import USCC_A, graph_data, tiny_graph_objects, tiny_graph_relations
from graph.schema import Region
from kernel.regions import demo_city, region_or_home

HOME = "430400"  # 衡阳市


@pytest.fixture(scope="module")
def app_data():
    objects = tiny_graph_objects() + [Region(key=HOME, name="衡阳市", level="city")]
    return graph_data(objects, tiny_graph_relations(), alerts={"home_region": HOME})


def test_asked_then_home_then_the_first_demo_city(api_env):
    snap = api_env.app.state.chainmatch.snapshots.get()
    assert region_or_home(snap, "衢州", HOME) == "衢州"  # asked: kept as typed (the page resolves it)
    assert region_or_home(snap, "  ", HOME) == HOME == region_or_home(snap, None, HOME)
    assert region_or_home(snap, None, "999999") == demo_city(snap) == "330800"  # home not in the data
    assert region_or_home(snap, None, None) == "330800"


def title_of(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def test_dossier_page_chain_page_and_search_link_all_default_to_the_home_region(api_env):
    c = api_env.client
    page = c.get(f"/pages/enterprises/{USCC_A}")  # a firm of 衢州, opened without a region
    assert page.status_code == 200, page.text[:300]
    assert f"/api/v1/enterprises/{USCC_A}/dossier.xlsx?region={HOME}" in page.text
    assert "招商地区 衡阳市" in page.text and "value='衡阳市'" in page.text
    chain = c.get("/pages/chains/ic/map")
    assert chain.status_code == 200 and "衡阳市" in title_of(chain.text), title_of(chain.text)
    hit = next(h for h in c.get("/api/v1/search", params={"q": "集成电路"}).json()["hits"]
               if h["label"] == "IndustryChain")
    assert hit["url"] == f"/pages/chains/ic/map?region={HOME}", hit
    d = c.get(f"/api/v1/enterprises/{USCC_A}/dossier").json()  # the API's dossier as the page's
    assert (d["region"], d["region_name"]) == (HOME, "衡阳市")
    asked = c.get(f"/pages/enterprises/{USCC_A}", params={"region": "330800"})
    assert "dossier.xlsx?region=330800" in asked.text  # a region asked for is kept


def test_the_dossier_cli_without_region_uses_the_home_region(api_env, monkeypatch, tmp_path):
    import json

    from typer.testing import CliRunner

    from api.cli import app
    from api.settings import get_settings
    from conftest import point_cli_at

    if api_env.store.backend != "sqlite":
        pytest.skip("the CLI test runs once, on the embedded store")
    point_cli_at(monkeypatch, api_env.store)
    monkeypatch.setenv("CHAINMATCH_ALERTS__HOME_REGION", HOME)
    get_settings.cache_clear()
    try:
        out = tmp_path / "d.json"
        res = CliRunner().invoke(app, ["dossier", USCC_A, "--output", str(out)])
        assert res.exit_code == 0, res.output
        assert json.loads(out.read_text(encoding="utf-8"))["region"] == HOME
    finally:
        get_settings.cache_clear()
