"""Chain analysis API, offline pages (chain map, report, enterprise, park), exports and the map/report CLI."""
from __future__ import annotations

import io
import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
from chain_testgraph import IC_SEGMENTS, objects, relations, write  # noqa: E402

from conftest import open_api  # noqa: E402
from factories import graph_data  # noqa: E402
from graph.snapshot import Snapshot  # noqa: E402
from graph.sqlite_store import SQLiteStore  # noqa: E402

HAND = {"strong_min_count": 2, "main_path_min_share": 0.3}  # the thresholds of the hand computation
EXTERNAL = re.compile(r"""(?:\b(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//)|(?:url\(\s*["']?\s*(?:https?:)?//)|@import""",
                      re.IGNORECASE)


def assert_self_contained(html: str) -> None:
    """No URL the browser would fetch from another host: no CDN, no remote script/style/image/font."""
    bad = EXTERNAL.findall(html)
    assert not bad, f"external references: {bad[:5]}"
    for word in ("cdnjs", "jsdelivr", "unpkg", "bootstrap.min", "googleapis"):
        assert word not in html, word


def page_data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="cm-data">(.*?)</script>', html, re.S)
    assert m, "page has no embedded graph data"
    return json.loads(m.group(1))


@pytest.fixture(scope="module")
def app_data():
    """The hand-built graph of tests/browser/chain_testgraph.py (no firm→park links)."""
    return graph_data(objects(), relations(), park="pk1")


@pytest.fixture(scope="module")
def env(api_env):
    return api_env.client, api_env.store


# ------------------------------------------------------------------------------------------- JSON API
def test_chain_maps_summary(env):
    client, _ = env
    r = client.get("/api/v1/chain-maps", params={"region": "甲市", **HAND})
    assert r.status_code == 200
    body = r.json()
    assert body["scope"]["key"] == "900100" and body["config"]["strong_min_count"] == 2
    rows = {c["chain"]["key"]: c for c in body["chains"]}
    assert (rows["ic"]["strong"], rows["ic"]["weak"], rows["ic"]["gap"], rows["ic"]["fill"]) == (1, 2, 4, 1)


def test_chain_map_json(env):
    client, _ = env
    r = client.get("/api/v1/chains/集成电路/map", params={"region": "900100", **HAND})
    assert r.status_code == 200
    body = r.json()
    segs = {s["key"]: s for s in body["segments"]}
    assert list(segs) == ["ic.s1", "ic.s2", "ic.s6", "ic.s7", "ic.s3", "ic.s4", "ic.s5"]
    assert segs["ic.s1"]["class"] == "优势" and segs["ic.s4"]["class"] == "空白" and segs["ic.s3"]["class"] == "薄弱"
    assert segs["ic.s1"]["lq"] == pytest.approx(2.347, abs=1e-3)
    assert {m["kind"] for m in body["moves"]} == {"补链", "强链", "延链"}
    assert {s["key"] for s in body["context_segments"]} == {"nm.m1", "nm.m2"}
    assert "区位熵" in body["measure"]


def test_chain_gaps_json(env):
    client, _ = env
    r = client.get("/api/v1/chains/ic/gaps", params={"region": "甲市", **HAND})
    body = r.json()
    assert r.status_code == 200
    assert [m["segment"] for m in body["fill"]] == ["ic.s4"]
    assert [m["segment"] for m in body["strengthen"]] == ["ic.s3"]
    assert {m["segment"] for m in body["extend"]} == {"nm.m2", "ic.s7"}
    assert {s["key"] for s in body["gaps"]} == {"ic.s2", "ic.s4", "ic.s6", "ic.s7"}
    # thresholds are query parameters: with the defaults m1 (2 firms) is no strength, so no 延链 to s7
    r = client.get("/api/v1/chains/ic/gaps", params={"region": "甲市"})
    assert {m["segment"] for m in r.json()["extend"]} == {"nm.m2"}


def test_segment_firms_json(env):
    client, _ = env
    r = client.get("/api/v1/chains/ic/segments/ic.s1/firms", params={"region": "900100"})
    body = r.json()
    assert r.status_code == 200 and body["total"] == 2 and [f["key"] for f in body["items"]] == ["E-L1", "E-L2"]
    assert body["items"][0]["leader"] is True


def test_lookup_errors_are_problem_json(env):
    client, _ = env
    r = client.get("/api/v1/chains/生物医药/map", params={"region": "900100"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    assert "不存在" in r.json()["detail"] and "集成电路（ic）" in r.json()["detail"]
    r = client.get("/api/v1/chains/ic/map", params={"region": "火星"})
    assert r.status_code == 404 and "火星" in r.json()["detail"]
    r = client.get("/api/v1/chains/ic/map")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "region"
    r = client.get("/api/v1/chains/ic/map", params={"region": "900100", "strong_lq": -1})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "strong_lq"
    # the node routes of /chains still work next to the new sub-resources
    assert client.get("/api/v1/chains/ic").json()["name"] == "集成电路"


# ------------------------------------------------------------------------------------------- pages
def test_chain_map_page_is_self_contained_with_every_segment(env):
    client, _ = env
    r = client.get("/pages/chains/ic/map", params={"region": "甲市", **HAND})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert_self_contained(html)
    assert "vis-network" in html and "new vis.Network" in html and 'rel="icon" href="data:,"' in html
    data = page_data(html)
    ids = [n["id"] for n in data["graph"]["nodes"]]
    assert sorted(ids) == sorted(list(IC_SEGMENTS) + ["nm.m1", "nm.m2"])
    gap = next(n for n in data["graph"]["nodes"] if n["id"] == "ic.s4")
    assert gap["shapeProperties"]["borderDashes"] and "补链" in gap["label"]
    # upstream → downstream: x grows with DAG depth
    x = {n["id"]: n["x"] for n in data["graph"]["nodes"]}
    assert x["ic.s1"] < x["ic.s3"] < x["ic.s4"] < x["ic.s5"]
    # the side panel of a segment lists its local firms (with links when served) and the targets hook
    d = data["details"]["ic.s1"]
    firms = d["sections"][0]["items"]
    assert [f["text"] for f in firms] == ["本地链主甲（测试）", "本地原料乙（测试）"]
    assert firms[0]["href"] == "/pages/enterprises/E-L1"
    assert d["sections"][2]["hook"] == "targets" and data["targets"]["ic.s4"][0]["name"] == "外地封测链主（测试）"
    for text in ("图例", "优势环节", "空白环节", "补链", "强链", "延链", "区位熵", "方法说明"):
        assert text in html, text
    assert 'id="cm-segments"' in html and html.count("<tr data-key=") == 7


def test_chain_map_page_errors_are_html(env):
    client, _ = env
    r = client.get("/pages/chains/nope/map", params={"region": "900100"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html") and "不存在" in r.text
    r = client.get("/pages/parks/nope")
    assert r.status_code == 404 and "园区" in r.text


@pytest.mark.parametrize("page", ["map", "report", "investor"])
def test_a_chain_page_without_region_is_a_page_not_a_422(env, page):
    """No region asked and none of the officer's own in the data (this graph has only 甲市/乙市): the 工作台's
    region picker with a message, never a JSON 422 (the pages with the home region: tests/search/test_links.py)."""
    client, _ = env
    r = client.get(f"/pages/chains/ic/{page}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].split("?")[0] == "/pages", r.text[:200]
    r = client.get(f"/pages/chains/ic/{page}")
    assert r.status_code == 200 and "请选择地区或园区" in r.text and "id='cm-form'" in r.text


def test_report_page_svg_and_xlsx(env):
    client, _ = env
    r = client.get("/pages/chains/ic/report", params={"region": "900100", **HAND})
    html = r.text
    assert r.status_code == 200
    assert_self_contained(html)
    for text in ("甲市集成电路产业链招商报告", "招商方向", "环节明细", "本地链主", "承载园区", "甲园", "招商目标企业",
                 "外地封测链主（测试）", "<svg", "本地链主甲（测试）"):
        assert text in html, text
    assert len(page_data(html)["graph"]["nodes"]) == 9
    svg = client.get("/pages/chains/ic/map.svg", params={"region": "900100", **HAND})
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(svg.text)
    groups = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "node"]
    assert sorted(g.get("data-key") for g in groups) == sorted(list(IC_SEGMENTS) + ["nm.m1", "nm.m2"])
    assert {g.get("data-key"): g.get("data-class") for g in groups}["ic.s4"] == "空白"
    assert "Noto Sans CJK SC" in root.get("font-family")
    x = client.get("/pages/chains/ic/report.xlsx", params={"region": "900100", **HAND})
    assert x.status_code == 200 and "filename*=UTF-8''ic-900100-segments.xlsx" in x.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(x.content))
    assert wb.sheetnames == ["环节分析", "招商方向", "本地链主", "承载园区", "说明"]
    ws = wb["环节分析"]
    header = [c.value for c in ws[1]]
    rows = {r[1]: dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == set(IC_SEGMENTS)
    assert rows["ic.s1"]["分类"] == "优势" and rows["ic.s1"]["本地企业数"] == 2 and rows["ic.s1"]["链主"] == "本地链主甲（测试）"
    assert rows["ic.s4"]["招商方向"] == "补链" and rows["ic.s3"]["招商方向"] == "强链"
    assert [r[0] for r in wb["招商方向"].iter_rows(min_row=2, values_only=True)] == ["补链", "强链", "延链", "延链"]


def test_enterprise_page(env):
    client, _ = env
    r = client.get("/pages/enterprises/E-L1")
    assert r.status_code == 200
    assert_self_contained(r.text)
    data = page_data(r.text)
    ids = {n["id"] for n in data["graph"]["nodes"]}
    assert ids == {"E:E-L1", "E:E-L2", "E:E-L3", "E:E-N1", "E:E-N4", "F:F1", "R:900101", "S:ic.s1", "C:ic"}
    edges = {(e["from"], e["to"]) for e in data["graph"]["edges"]}
    assert ("E:E-L2", "E:E-L1") in edges and ("E:E-L1", "E:E-N4") in edges and ("F:F1", "E:E-L1") in edges
    assert data["aggregated"] is None and "企业→园区" in r.text  # the data has no firm→park links: said so


def test_enterprise_view_aggregates_large_neighbourhoods(env):
    from chains.render.html import graph_page
    from chains.render.profiles import enterprise_view

    _, store = env
    snap = Snapshot.build(store)
    view = enterprise_view(snap, "E-L1", max_nodes=5)
    ids = {n["id"] for n in view.nodes}
    # suppliers by main segment: L2 → s1; L3, N1 → s3; customer N4 → s5
    assert {i for i in ids if i.startswith("G:")} == {"G:supplier:ic.s1", "G:supplier:ic.s3", "G:customer:ic.s5"}
    assert not any(i.startswith("E:") and i != "E:E-L1" for i in ids)
    html = graph_page(view)
    assert "图已汇总" in html and "超过 5 个节点" in html
    assert "2 家" in next(n["label"] for n in view.nodes if n["id"] == "G:supplier:ic.s3")


def test_park_page(env):
    client, _ = env
    r = client.get("/pages/parks/pk1")
    assert r.status_code == 200
    assert_self_contained(r.text)
    data = page_data(r.text)
    ids = {n["id"] for n in data["graph"]["nodes"]}
    # park, its region, the chain it hosts, 2 parcels, and (no firm→park links) the 甲市 firms of that chain
    assert ids == {"P:pk1", "R:900100", "C:ic", "L:pc1", "L:pc2", "E:E-L1", "E:E-L2", "E:E-L3", "E:E-L6"}
    assert "没有企业→园区的位置关系" in r.text


def test_index_page(env):
    client, _ = env
    r = client.get("/pages")
    assert r.status_code == 200 and "集成电路" in r.text and "/pages/parks/pk1" in r.text
    r = client.get("/pages/chain-map", params={"chain": "ic", "region": "甲市"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/pages/chains/ic/map?region=")


# ------------------------------------------------------------------------------------------- CLI
@pytest.fixture
def cli_store(tmp_path, monkeypatch):
    from api.settings import get_settings

    db = tmp_path / "cli.db"
    write(SQLiteStore(db)).close()
    monkeypatch.setenv("CHAINMATCH_SQLITE_PATH", str(db))
    monkeypatch.setenv("CHAINMATCH_SNAPSHOT_DIR", str(tmp_path / "snaps"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_cli_map_and_report(cli_store):
    from typer.testing import CliRunner

    from chains.cli import app

    runner = CliRunner()
    out = cli_store / "ic-map.html"
    res = runner.invoke(app, ["map", "集成电路", "--region", "甲市", "--output", str(out), "--strong-min-count", "2"])
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert_self_contained(html)
    assert len(page_data(html)["graph"]["nodes"]) == 9 and "优势 1、薄弱 2、空白 4" in res.output
    svg = cli_store / "ic-map.svg"
    assert runner.invoke(app, ["map", "ic", "-r", "900100", "-o", str(svg)]).exit_code == 0
    assert svg.read_text(encoding="utf-8").startswith("<svg")
    data = cli_store / "ic-map.json"
    assert runner.invoke(app, ["map", "ic", "-r", "甲市", "-o", str(data)]).exit_code == 0
    assert json.loads(data.read_text(encoding="utf-8"))["segments"][0]["class"] == "优势"
    res = runner.invoke(app, ["report", "ic", "--region", "甲市", "--output", str(cli_store / "rep"), "--no-png"])
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in (cli_store / "rep").iterdir())
    assert names == ["ic-900100-map.svg", "ic-900100-report.html", "ic-900100-segments.xlsx"]
    assert_self_contained((cli_store / "rep" / "ic-900100-report.html").read_text(encoding="utf-8"))
    res = runner.invoke(app, ["map", "生物医药", "--region", "甲市"])
    assert res.exit_code == 2 and "不存在" in res.output


def test_empty_store_answers_cleanly(tmp_path):
    """An empty store (no park, so no park_admin key: not open_api) answers pages and lookups cleanly."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings

    store = SQLiteStore(tmp_path / "empty.db")
    app = create_app(Settings(sqlite_path=str(tmp_path / "empty.db"), snapshot_dir=str(tmp_path / "snaps")), store=store)
    with TestClient(app) as client:
        assert client.get("/pages").status_code == 200
        r = client.get("/api/v1/chain-maps", params={"region": "330800"})
        assert r.status_code == 404 and "不存在" in r.json()["detail"]
        assert client.get("/pages/chains/ic/map", params={"region": "330800"}).status_code == 404
        assert client.get("/pages/enterprises/x").status_code == 404
    store.close()


def test_settings_set_the_analysis_defaults(tmp_path):
    """Settings.analysis are the thresholds a request gets unless it overrides them in the query."""
    from api.settings import AnalysisSettings

    store = write(SQLiteStore(tmp_path / "g.db"))
    data = graph_data(objects(), relations(), park="pk1", analysis=AnalysisSettings(strong_lq=2.5, strong_min_count=2))
    with open_api(store, tmp_path, data) as env:
        client = env.client
        cfg = client.get("/api/v1/chains/ic/map", params={"region": "900100"}).json()["config"]
        assert cfg["strong_lq"] == 2.5 and cfg["strong_min_count"] == 2
        cfg = client.get("/api/v1/chains/ic/map", params={"region": "900100", "strong_lq": 1.1}).json()["config"]
        assert cfg["strong_lq"] == 1.1 and cfg["strong_min_count"] == 2
    store.close()
