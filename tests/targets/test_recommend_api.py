"""Target recommendation API (/api/v1/recommendations/targets, /enterprises/{id}/similar, /leaders/{id}/targets,
/funds/{id}/targets), the XLSX export, the parcel → enterprises endpoint, the chain map's links from each gap to its
targets, and `chainmatch targets` — on the hand-built graph of tests/targets/test_targets.py, served by the shared `api_env`
fixture (tests/conftest.py) on each backend."""
from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import parse_qs, urlparse

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from test_targets import targets_graph  # noqa: E402

from api.settings import get_settings  # noqa: E402
from conftest import open_api, point_cli_at
from factories import graph_data
from graph.sqlite_store import SQLiteStore  # noqa: E402
from graph.writer import write_objects  # noqa: E402

V1 = "/api/v1"


@pytest.fixture(scope="module")
def app_data():
    return graph_data(*targets_graph(), park="pk1")


def keys(body):
    return [it["enterprise"] for it in body["items"]]


def assert_problem(r, status, field, text=None):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["detail"]
    assert field in [e["field"] for e in body.get("errors", [])], body
    if text:
        assert text in body["detail"], body["detail"]


# ------------------------------------------------------------------------------------------- targets
def test_targets_for_a_segment(api_env):
    client = api_env.client
    r = client.get(f"{V1}/recommendations/targets", params={"region": "甲市", "chain": "ic", "segment": "ic.mat", "k": 10})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["view"] == "region" and body["region"]["key"] == "900100" and body["chain"]["key"] == "ic"
    assert body["segments"] == [{"key": "ic.mat", "name": "材料", "chain": "ic", "chain_name": "集成电路", "class": "薄弱",
                                 "moves": ["强链"]}]
    got = keys(body)
    assert got.index("A") < got.index("B") and not {"L1", "L2", "K", "P"} & set(got)
    a = body["items"][got.index("A")]
    assert a["reasons"][0] == "链主「甲市链主（测试）」（集成电路）的供应商" and a["fit_source"] == "member"
    assert body["weights"]["source"] == "default" and body["weights"]["min_positives"] == 30
    # added, backward compatible: the raw score stays, the 0–100 score and the reasons' evidence join it
    assert isinstance(a["score"], float) and isinstance(a["score_100"], int) and 50 < a["score_100"] <= 100
    assert a["reason_details"][0]["evidence"] == [{"kind": "leader", "key": "L1", "name": "甲市链主（测试）", "chain": None}]
    assert body["weights"]["sign_check"] == "not_learned" and body["weights"]["inverted"] == []
    assert body["excluded_local"] == 3 and body["candidates"] == 6


def test_targets_for_a_chain_choose_the_gap_segments(api_env):
    client = api_env.client
    body = client.get(f"{V1}/recommendations/targets", params={"region": "900100", "chain": "集成电路"}).json()
    assert [s["key"] for s in body["segments"]] == ["ic.pkg", "ic.app", "ic.mat"]
    g = next(it for it in body["items"] if it["enterprise"] == "G")
    assert "填补「封测」环节空白（补链：主干环节）" in g["reasons"]


@pytest.mark.parametrize("params,status,field,text", [
    ({"region": "火星", "chain": "ic"}, 404, "region", "火星"),
    ({"region": "甲市", "chain": "nope"}, 404, "chain", "nope"),
    ({"region": "甲市", "chain": "ic", "segment": "nope"}, 404, "segment", "nope"),
    ({"region": "甲市", "chain": "ic", "segment": "nm.m1"}, 422, "segment", "不属于产业链"),
    ({"region": "甲市"}, 422, "chain", None),
    ({"chain": "ic"}, 422, "region", None),
    ({"region": "甲市", "chain": "ic", "k": 0}, 422, "k", None),
    ({"region": "甲市", "chain": "ic", "k": 501}, 422, "k", None),
    ({"region": "甲市", "chain": "ic", "k": "ten"}, 422, "k", None),
])
def test_targets_bad_input_is_problem_json_naming_the_parameter(api_env, params, status, field, text):
    client = api_env.client
    assert_problem(client.get(f"{V1}/recommendations/targets", params=params), status, field, text)


def test_targets_xlsx_export(api_env):
    client = api_env.client
    r = client.get(f"{V1}/recommendations/targets.xlsx", params={"region": "甲市", "chain": "ic", "segment": "ic.mat"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "attachment" in r.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["招商目标", "说明", "权重"]
    rows = list(wb["招商目标"].iter_rows(values_only=True))
    assert rows[0][:5] == ("排名", "企业", "企业代码", "得分", "推荐理由1") and "贡献：链主供需" in rows[0]
    by_key = {row[2]: row for row in rows[1:]}
    assert by_key["A"][4] == "链主「甲市链主（测试）」（集成电路）的供应商" and "L1" not in by_key
    about = dict(row for row in wb["说明"].iter_rows(min_row=2, values_only=True))
    assert about["地区"].startswith("甲市（900100）") and "默认权重" in about["权重来源"]
    assert_problem(client.get(f"{V1}/recommendations/targets.xlsx", params={"region": "甲市", "chain": "nope"}),
                   404, "chain")


# ------------------------------------------------------------------------------------------- views
def test_similar_enterprises(api_env):
    client = api_env.client
    r = client.get(f"{V1}/enterprises/A/similar", params={"k": 5})
    assert r.status_code == 200
    body = r.json()
    assert body["enterprise"]["key"] == "A" and "A" not in keys(body) and len(body["items"]) == 5
    assert body["items"][0]["reasons"] and body["items"][0]["score"] >= body["items"][-1]["score"]
    local = client.get(f"{V1}/enterprises/A/similar", params={"region": "甲市", "k": 50}).json()
    assert not {"L1", "L2", "K"} & set(keys(local))
    assert_problem(client.get(f"{V1}/enterprises/nope/similar"), 404, "id")
    assert_problem(client.get(f"{V1}/enterprises/A/similar", params={"region": "火星"}), 404, "region")


def test_leader_targets(api_env):
    client = api_env.client
    body = client.get(f"{V1}/leaders/L1/targets").json()
    assert body["view"] == "leader" and body["anchor"]["key"] == "L1" and body["region"]["key"] == "900100"
    assert keys(body) == ["A", "C"]
    assert "链主「甲市链主（测试）」的二级供应商（经「丙市供货甲（测试）」）" in body["items"][1]["reasons"]
    assert keys(client.get(f"{V1}/leaders/L1/targets", params={"region": "丙市"}).json()) == []
    assert_problem(client.get(f"{V1}/leaders/B/targets"), 404, "id", "未登记为链主")
    assert_problem(client.get(f"{V1}/leaders/nope/targets"), 404, "id")
    assert_problem(client.get(f"{V1}/leaders/L1/targets", params={"region": "火星"}), 404, "region")


def test_fund_targets(api_env):
    client = api_env.client
    body = client.get(f"{V1}/funds/FP/targets", params={"region": "甲市"}).json()
    assert body["view"] == "fund" and keys(body) == ["E"] and body["excluded_local"] == 1
    assert "「丙市创投基金（测试）」已投资（该基金也投资了本地企业「甲市材料（测试）」）" in body["items"][0]["reasons"]
    assert_problem(client.get(f"{V1}/funds/FP/targets"), 422, "region")
    assert_problem(client.get(f"{V1}/funds/nope/targets", params={"region": "甲市"}), 404, "id")
    assert_problem(client.get(f"{V1}/funds/FP/targets", params={"region": "火星"}), 404, "region")


def test_parcel_enterprises_use_the_recommender(api_env):
    client = api_env.client
    r = client.get(f"{V1}/parcels/pc1/enterprises", params={"limit": 10})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["chains"] == ["ic"] and body["region"] == "900100"
    got = {it["enterprise"]: it for it in body["items"]}
    assert "G" in got and not {"L1", "L2", "K", "P"} & set(got)
    assert "填补「封测」环节空白（补链：主干环节）" in got["G"]["reasons"]
    assert client.get(f"{V1}/parcels/nope/enterprises").status_code == 404


# ------------------------------------------------------------------------------------------- chain map page
def test_chain_map_links_each_gap_to_its_targets(api_env):
    client = api_env.client
    html = client.get("/pages/chains/ic/map", params={"region": "甲市"}).text
    data = json.loads(re.search(r'<script type="application/json" id="cm-data">(.*?)</script>', html, re.S).group(1))
    assert [t["name"] for t in data["targets"]["ic.pkg"]] == ["丙市封测己（测试）"]
    assert data["targets"]["ic.pkg"][0]["href"] == "/pages/enterprises/G"
    assert "填补「封测」环节空白（补链：主干环节）" in data["targets"]["ic.pkg"][0]["reasons"]
    section = next(s for s in data["details"]["ic.pkg"]["sections"] if s["title"] == "目标企业清单")
    links = [it["href"] for it in section["items"]]
    assert any(h.startswith("/api/v1/recommendations/targets.xlsx?") for h in links)
    url = urlparse(links[0])
    assert parse_qs(url.query) == {"region": ["900100"], "chain": ["ic"], "segment": ["ic.pkg"], "k": ["50"]}
    followed = client.get(links[0])
    assert followed.status_code == 200 and keys(followed.json()) == ["G"]
    report = client.get("/pages/chains/ic/report", params={"region": "甲市"}).text
    assert "丙市封测己（测试）" in report and "填补「封测」环节空白" in report


# ------------------------------------------------------------------------------------------- CLI
def test_cli_targets_writes_xlsx_and_csv_and_refuses_bad_input(api_env, monkeypatch, tmp_path):
    from api.cli import app as cli

    store = api_env.store
    point_cli_at(monkeypatch, store)
    monkeypatch.setenv("CHAINMATCH_SNAPSHOT_DIR", str(tmp_path / "snaps"))
    get_settings.cache_clear()
    try:
        out = tmp_path / "out" / "t.csv"
        r = CliRunner().invoke(cli, ["targets", "--region", "甲市", "--chain", "ic", "--segment", "材料", "--k", "3",
                                     "--output", str(out)])
        assert r.exit_code == 0, r.output
        assert "写出 3 家" in r.output
        with out.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        assert rows[0][:3] == ["排名", "企业", "企业代码"] and [row[2] for row in rows[1:]][0] == "A"
        xlsx = tmp_path / "t.xlsx"
        r = CliRunner().invoke(cli, ["targets", "-r", "900100", "-c", "ic", "-o", str(xlsx)])
        assert r.exit_code == 0 and load_workbook(xlsx).sheetnames[0] == "招商目标"
        bad = tmp_path / "bad.xlsx"
        r = CliRunner().invoke(cli, ["targets", "-r", "甲市", "-c", "ic", "-s", "nope", "-o", str(bad)])
        assert r.exit_code == 2 and "参数 segment" in r.output and not bad.exists()
        r = CliRunner().invoke(cli, ["targets", "-r", "甲市", "-c", "ic", "-o", str(tmp_path / "t.pdf")])
        assert r.exit_code == 2 and not (tmp_path / "t.pdf").exists()
        assert not [p for p in tmp_path.rglob("*.tmp")]
    finally:
        get_settings.cache_clear()


def test_cli_targets_prints_the_list_without_output(api_env, monkeypatch, tmp_path):
    from api.cli import app as cli

    point_cli_at(monkeypatch, api_env.store)
    monkeypatch.setenv("CHAINMATCH_SNAPSHOT_DIR", str(tmp_path / "snaps"))
    get_settings.cache_clear()
    try:
        r = CliRunner().invoke(cli, ["targets", "--region", "甲市", "--chain", "集成电路", "--segment", "材料", "--k", "3"])
        assert r.exit_code == 0, r.output
        lines = r.output.splitlines()
        first = next(i for i, line in enumerate(lines) if line.strip().startswith("1."))
        assert re.match(r"\s+1\.\s+\d{1,3} 分  丙市供货甲（测试）（丙市 · 材料）$", lines[first]), lines[first]
        assert lines[first + 1].strip() == "- 链主「甲市链主（测试）」（集成电路）的供应商"
        assert "写出" not in r.output and not list(tmp_path.glob("*.xlsx"))
    finally:
        get_settings.cache_clear()


def test_a_repeated_query_is_served_again_until_a_write_changes_the_answer(tmp_path):
    """Answers are cached per snapshot: the same query twice gives the same body, and after a write (firm A
    moves into the region) the next answer reflects it — never a stale list."""
    from targets.router import CACHE
    from graph.schema import MODELS, Label

    store = SQLiteStore(tmp_path / "c.db")
    data = graph_data(*targets_graph(), park="pk1")
    data.fill(store)
    params = {"region": "甲市", "chain": "ic", "segment": "ic.mat", "k": 10}
    with open_api(store, tmp_path, data) as env:
        client = env.client
        first = client.get(f"{V1}/recommendations/targets", params=params)
        hits = CACHE.hits
        again = client.get(f"{V1}/recommendations/targets", params=params)
        assert again.status_code == 200 and again.content == first.content and CACHE.hits == hits + 1
        assert "A" in keys(first.json())
        local = store.get("Enterprise", "L1")["region"]
        write_objects(store, [MODELS[Label.Enterprise].model_validate(store.get("Enterprise", "A") | {"region": local})])
        after = client.get(f"{V1}/recommendations/targets", params=params).json()
        assert "A" not in keys(after) and after["excluded_local"] == first.json()["excluded_local"] + 1
    store.close()


def test_settings_reach_the_recommender(tmp_path):
    """Settings.targets (weights, k limit) are what the API ranks with (wiring only: on SQLite, so that the shared
    test Neo4j of the module's fixture is left alone)."""
    from api.settings import TargetSettings

    store = SQLiteStore(tmp_path / "s.db")
    data = graph_data(*targets_graph(), park="pk1", targets=TargetSettings(weights={"need": 2.5}, max_k=5))
    data.fill(store)
    with open_api(store, tmp_path, data) as env:
        client = env.client
        r = client.get(f"{V1}/recommendations/targets", params={"region": "甲市", "chain": "ic", "k": 5})
        assert r.status_code == 200, r.text
        assert r.json()["weights"]["values"]["need"] == 2.5
        assert_problem(client.get(f"{V1}/recommendations/targets", params={"region": "甲市", "chain": "ic", "k": 6}),
                       422, "k")
    store.close()
