"""政策兑现 and 招商项目库 over HTTP: calculator, policy list, push list, project create / stage change / tracking /
patch with roles and park scope, illegal jumps as 409 problem+json, the generic PUT refusing stage changes, board,
overdue, evaluation, Excel export and import, the offline pages, and the audit log."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook

from factories import INJECT, graph_data
from graph.schema import Enterprise, IndustryChain, LandParcel, Park, Project, Region, Segment

TODAY = dt.date.today()


def objects():
    return [
        Region(key="330800", name="衢州市", level="city"),
        Region(key="330802", name="柯城区", level="county", parent="330800"),
        IndustryChain(key="ic", name="集成电路"),
        Segment(key="ic.pkg", name="封测", chain="ic"),
        Park(key="quzhou_zhizao", name="衢州智造新城", region="330800"),
        Park(key="longyou_ez", name="浙江龙游经济开发区", region="330800"),
        Enterprise(key="E1", name="甲上市（合成）", region="330802", tags=["上市"], size="大型"),
        LandParcel(key="A", name="A地块", park="quzhou_zhizao", region="330800", area_mu=100,
                   min_invest_intensity_wan_per_mu=300, min_tax_wan_per_mu=15, status="transferred", transferred_to="FDI1"),
        Project(key="FDI1", name=f"外资制造项目{INJECT}（合成）", park="quzhou_zhizao", region="330800",
                industry_class="制造业", fdi_total_usd_wan=12000, fdi_first_year_usd_wan=3000, fdi_year_usd_wan=3000,
                total_investment_wan=28000, jobs=100, stage="签约", signed_on="2025-03-01", stage_on="2025-03-01",
                actual_investment_wan=25000, actual_jobs=60),
    ]


@pytest.fixture(scope="module")
def app_data():
    return graph_data(objects(), park="quzhou_zhizao").with_keys(park_admin_ly=("park_admin", "longyou_ez"))


def h(keys, role):
    return {"X-API-Key": keys[role]}


def problem(r, status):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


# ------------------------------------------------------------------------------------------------ 政策兑现
def test_policy_items_list_with_document_numbers_and_dates(api_env):
    client = api_env.client
    body = client.get("/api/v1/incentives/items").json()
    fdi = next(i for i in body["items"] if i["item"] == "qz-fdi.17.tiers")
    assert fdi["doc_no"] == "衢政办发〔2025〕30号" and fdi["effective_from"] == "2025-01-01"
    assert "第17小点" in fdi["article"] and fdi["currency"] == "万美元" and "500万—1000万美元（不含） 2%" in fdi["formula"]
    assert {d["key"] for d in body["documents"]} == {"qz-fdi", "qz-innovation-2019"}
    assert client.get("/api/v1/incentives/items?doc=qz-fdi").json()["total"] == 7
    assert problem(client.get("/api/v1/incentives/items/nope"), 404)["detail"] == "政策条款 'nope' 不存在"
    facts = client.get("/api/v1/incentives/facts").json()["facts"]
    assert {"name": "fdi_year_usd_wan", "label": "当年度实际利用外资", "type": "number", "unit": "万美元",
            "choices": None, "help": None} in facts


def test_calculator_gives_amounts_formulas_and_articles(api_env):
    client = api_env.client
    r = client.post("/api/v1/incentives/calculate", json={
        "facts": {"registered_park": "quzhou_zhizao", "foreign_invested": True, "industry_class": "制造业",
                  "fdi_total_usd_wan": 10000, "fdi_first_year_usd_wan": 3000, "fdi_year_usd_wan": 3000},
        "on": "2025-12-31"})
    assert r.status_code == 200, r.text
    body = r.json()
    items = {i["item"]: i for i in body["items"]}
    assert items["qz-fdi.17.major"]["amount"] == "135" and items["qz-fdi.17.major"]["status"] == "applies"
    assert items["qz-fdi.17.tiers"]["status"] == "duplicate" and items["qz-fdi.17.tiers"]["computed_amount"] == "120"
    assert body["totals"] == {"万美元": {"total": "135", "exact": "135", "up_to": "0"}}
    assert "qz-inno.8.rd" not in items  # nothing given about R&D: not listed by default
    everything = client.post("/api/v1/incentives/calculate", json={"facts": {}, "show": "all"}).json()
    assert len(everything["items"]) == 43


def test_calculator_from_a_project_in_the_graph_and_outside_scope(api_env):
    client = api_env.client
    r = client.post("/api/v1/incentives/calculate", json={"project": "FDI1", "on": "2025-12-31"})
    items = {i["item"]: i for i in r.json()["items"]}
    assert items["qz-fdi.17.major"]["amount"] == "135"
    r = client.post("/api/v1/incentives/calculate", json={"project": "FDI1", "on": "2025-12-31",
                                                         "facts": {"registered_park": "longyou_ez"}})
    items = {i["item"]: i for i in r.json()["items"]}
    assert items["qz-fdi.17.major"]["status"] == "out_of_scope"
    assert problem(client.post("/api/v1/incentives/calculate", json={"project": "nope"}), 404)


def test_a_number_is_not_a_date(api_env):
    """Pydantic would read 9e-231 as a Unix timestamp (1970-01-01); found by schemathesis."""
    client, keys = api_env.client, api_env.keys
    body = problem(client.post("/api/v1/incentives/calculate", json={"on": 9.36e-231}), 422)
    assert body["errors"][0]["field"] == "on" and "不能是数字" in body["errors"][0]["message"]
    for path, payload in (("QZ-001/stage", {"to": "接洽", "on": 20250101}),
                          ("QZ-001/tracking", {"note": "回访", "next_action_on": 1.5})):
        assert problem(client.post(f"/api/v1/pipeline/projects/{path}", json=payload, headers=h(keys, "officer")), 422)


def test_calculator_rejects_bad_facts_naming_each_field(api_env):
    client = api_env.client
    body = problem(client.post("/api/v1/incentives/calculate", json={
        "facts": {"fdi_year_usd_wan": "很多", "industry_class": "农业", "unknown_fact": 1}}), 422)
    assert {e["field"] for e in body["errors"]} == {"fdi_year_usd_wan", "industry_class", "unknown_fact"}
    assert body["detail"].startswith("字段 ")
    assert problem(client.post("/api/v1/incentives/calculate", json={"facts": {}, "bogus": 1}), 422)


def test_push_lists_qualifying_projects_with_amounts(api_env):
    client = api_env.client
    body = client.get("/api/v1/incentives/items/qz-fdi.17.major/push?on=2025-12-31").json()
    assert [(e["key"], e["amount"]) for e in body["qualified"]] == [("FDI1", "135")]
    assert body["counts"]["qualified"] == 1
    refi = client.get("/api/v1/incentives/items/qz-inno.14.refinancing/push?on=2025-12-31").json()
    assert [e["key"] for e in refi["to_confirm"]] == ["E1"]
    assert problem(client.get("/api/v1/incentives/items/nope/push"), 404)


# ------------------------------------------------------------------------------------------------ 项目库
def test_create_and_move_a_project_with_roles(api_env):
    client, keys, store = api_env.client, api_env.keys, api_env.store
    body = {"key": "QZ-001", "name": "示例封测基地项目（合成）", "park": "quzhou_zhizao", "chain": "ic",
            "total_investment_wan": 120000, "owner": "张三", "on": "2025-01-02"}
    assert problem(client.post("/api/v1/pipeline/projects", json=body), 401)
    assert problem(client.post("/api/v1/pipeline/projects", json=body, headers=h(keys, "viewer")), 403)
    assert problem(client.post("/api/v1/pipeline/projects", json=body, headers=h(keys, "park_admin_ly")), 403)
    r = client.post("/api/v1/pipeline/projects", json=body, headers=h(keys, "officer"))
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["view"]["classification"] == "重大" and out["project"]["stage"] == "线索"
    assert out["allowed_next"] == ["接洽"] and out["history"][0]["on"] == "2025-01-02"
    assert problem(client.post("/api/v1/pipeline/projects", json=body, headers=h(keys, "officer")), 409)

    jump = problem(client.post("/api/v1/pipeline/projects/QZ-001/stage", json={"to": "签约", "on": "2025-02-01"},
                               headers=h(keys, "officer")), 409)
    assert jump["detail"] == "不能从“线索”跳到“签约”：须依次经过“接洽、洽谈”；当前可转入：接洽"
    assert jump["errors"][0]["field"] == "to"
    for to, on in (("接洽", "2025-01-10"), ("洽谈", "2025-02-01"), ("签约", "2025-03-01")):
        r = client.post("/api/v1/pipeline/projects/QZ-001/stage", json={"to": to, "on": on},
                        headers=h(keys, "park_admin"))
        assert r.status_code == 200, r.text
    p = r.json()
    assert p["project"]["stage"] == "签约" and p["project"]["signed_on"] == "2025-03-01"
    assert [e["to"] for e in p["history"]] == ["线索", "接洽", "洽谈", "签约"]
    late = problem(client.post("/api/v1/pipeline/projects/QZ-001/stage", json={"to": "注册", "on": "2025-02-01"},
                               headers=h(keys, "officer")), 422)
    assert "早于2025-03-01" in late["detail"]
    assert problem(client.post("/api/v1/pipeline/projects/QZ-001/stage", json={"to": "注册"},
                               headers=h(keys, "park_admin_ly")), 403)
    assert problem(client.post("/api/v1/pipeline/projects/nope/stage", json={"to": "注册"},
                               headers=h(keys, "officer")), 404)
    audit = client.get("/api/v1/audit", headers=h(keys, "admin")).json()
    entries = audit if isinstance(audit, list) else audit.get("items", audit)
    signed = next(a for a in entries if a["action"] == "project.stage 洽谈→签约")
    assert signed["before"]["stage"] == "洽谈" and signed["after"]["stage"] == "签约" and "park_admin" in signed["actor"]


def test_a_boolean_is_not_a_number_and_nothing_is_written(api_env):
    client, keys, store = api_env.client, api_env.keys, api_env.store
    body = {"key": "QZ-BOOL", "name": "示例项目（合成）", "park": "quzhou_zhizao", "total_investment_wan": True}
    out = problem(client.post("/api/v1/pipeline/projects", json=body, headers=h(keys, "officer")), 422)
    assert "total_investment_wan 应为数字，不能是 true" in out["detail"] + str(out.get("errors"))
    assert store.get("Project", "QZ-BOOL") is None
    r = client.put("/api/v1/projects/QZ-BOOL", json=body | {"stage": "线索"}, headers=h(keys, "officer"))
    assert r.status_code == 422 and store.get("Project", "QZ-BOOL") is None


def test_generic_put_cannot_change_the_stage_but_keeps_the_history(api_env):
    client, keys, store = api_env.client, api_env.keys, api_env.store
    client.post("/api/v1/pipeline/projects", json={"key": "QZ-002", "name": "项目二", "park": "quzhou_zhizao",
                                                   "on": "2025-01-02"}, headers=h(keys, "officer"))
    r = client.put("/api/v1/projects/QZ-002", json={"name": "项目二", "park": "quzhou_zhizao", "stage": "签约"},
                   headers=h(keys, "officer"))
    body = problem(r, 422)
    assert body["errors"][0]["field"] == "stage" and "/api/v1/pipeline/projects/{key}/stage" in body["detail"]
    assert store.get("Project", "QZ-002")["stage"] == "线索"
    r = client.put("/api/v1/projects/QZ-002", json={"name": "项目二（改名）", "park": "quzhou_zhizao"},
                   headers=h(keys, "officer"))
    assert r.status_code == 200, r.text
    kept = store.get("Project", "QZ-002")
    assert kept["name"] == "项目二（改名）" and kept["stage_on"] == "2025-01-02" and len(kept["stage_history"]) == 1


def test_tracking_patch_board_overdue_and_stalled(api_env):
    client, keys, store = api_env.client, api_env.keys, api_env.store
    client.post("/api/v1/pipeline/projects", json={"key": "QZ-003", "name": "项目三", "park": "quzhou_zhizao",
                                                   "total_investment_wan": 5000, "on": "2025-01-02"},
                headers=h(keys, "officer"))
    r = client.post("/api/v1/pipeline/projects/QZ-003/tracking",
                    json={"note": "电话回访", "on": "2025-02-01", "next_action": "拜访企业", "next_action_on": "2025-02-10"},
                    headers=h(keys, "officer"))
    assert r.status_code == 200, r.text
    assert r.json()["tracking"][-1]["note"] == "电话回访"
    r = client.patch("/api/v1/pipeline/projects/QZ-003", json={"owner": "李四"}, headers=h(keys, "officer"))
    assert r.status_code == 200 and r.json()["project"]["owner"] == "李四"
    assert problem(client.patch("/api/v1/pipeline/projects/QZ-003", json={"stage": "签约"},
                                headers=h(keys, "officer")), 422)
    b = client.get("/api/v1/pipeline/board?today=2025-03-01").json()
    col = next(s for s in b["stages"] if s["stage"] == "线索")
    three = next(v for v in col["projects"] if v["key"] == "QZ-003")
    assert three["overdue"] and three["overdue_days"] == 19 and three["classification"] == "一般"
    od = client.get("/api/v1/pipeline/overdue?today=2025-03-01").json()
    assert [v["key"] for v in od] == ["QZ-003"]
    st = client.get("/api/v1/pipeline/stalled?today=2025-03-01&stall_days=20").json()
    assert "QZ-003" in [v["key"] for v in st]
    assert "QZ-003" not in [v["key"] for v in client.get("/api/v1/pipeline/stalled?today=2025-03-01").json()]
    assert problem(client.get("/api/v1/pipeline/board?key_wan=50000&major_wan=10000"), 422)
    custom = client.get("/api/v1/pipeline/board?key_wan=1000&major_wan=4000&today=2025-03-01").json()
    assert custom["by_class"]["重大"] >= 1


def test_evaluation_endpoint(api_env):
    client = api_env.client
    ev = client.get("/api/v1/pipeline/projects/FDI1/evaluation").json()
    by = {i["name"]: i for i in ev["indicators"]}
    assert by["投资强度"]["value"] == 250 and by["投资强度"]["outcome"] == "shortfall"
    assert by["就业"]["message"] == "实际就业 60 人 < 承诺 100 人，差 40 人"
    allev = client.get("/api/v1/pipeline/evaluations?shortfalls_only=true").json()
    assert "FDI1" in [e["project"] for e in allev]


def test_excel_export_and_import_over_http(api_env):
    client, keys, store = api_env.client, api_env.keys, api_env.store
    r = client.get("/api/v1/pipeline/export.xlsx")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb.active
    header = [c.value for c in ws[1]]
    assert "项目编号" in header and "逾期天数" in header
    ws.append(["QZ-100", "导入的新项目"])
    buf = io.BytesIO()
    wb.save(buf)
    assert problem(client.post("/api/v1/pipeline/import", content=buf.getvalue(), headers=h(keys, "viewer")), 403)
    r = client.post("/api/v1/pipeline/import?file_name=周报.xlsx", content=buf.getvalue(), headers=h(keys, "officer"))
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 1 and store.get("Project", "QZ-100")["stage"] == "线索"
    bad = problem(client.post("/api/v1/pipeline/import", content=b"nonsense", headers=h(keys, "officer")), 422)
    assert "无法读取" in bad["detail"]


# ------------------------------------------------------------------------------------------------ pages
def test_board_page_is_offline_escaped_and_highlights_overdue(api_env):
    client = api_env.client
    r = client.get("/pages/pipeline?today=2025-03-01")
    assert r.status_code == 200 and "default-src 'none'" in r.headers["content-security-policy"]
    page = r.text
    assert INJECT not in page and "&lt;script&gt;" in page
    assert not re.search(r"(src|href)=['\"]https?://", page)
    assert "逾期 19 天" in page and "card overdue" in page
    for stage in ("线索", "接洽", "洽谈", "签约", "注册", "开工", "投产", "达产"):
        assert f"<h2>{stage} " in page
    detail = client.get("/pages/pipeline/FDI1")
    assert detail.status_code == 200 and "落地评价" in detail.text and INJECT not in detail.text
    assert client.get("/pages/pipeline/nope").status_code == 404
    pol = client.get("/pages/incentives")
    assert pol.status_code == 200 and "衢政办发〔2025〕30号" in pol.text and "qz-inno.8.rd" in pol.text
