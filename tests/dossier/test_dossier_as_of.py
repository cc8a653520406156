"""企业尽调 over HTTP, on both backends, read as of a date and found by what officers type: the page's downloads,
links and forms carry its as_of and region (the download shows what the page showed); a project counts with the
stage it was in on as_of (its stage history, read from the store); the firm is found by its 简称, a lower-case
统一社会信用代码 or half-width brackets; identical records written through the API each count; points are shown to
one decimal on the page and in the workbook."""
from __future__ import annotations

import io
import json
import re
from html import unescape

import pytest

from dossier_world import AWAY, LOCAL, base_objects, firm, j
from factories import USCC_A, graph_data, text_of
from graph.schema import Project
from graph.store import RelRec

HISTORY = [json.dumps(e, ensure_ascii=False) for e in (
    {"on": "2024-04-25", "to": "线索", "by": "示例专员（合成）", "at": "2024-04-25T09:00:00Z", "note": "建档"},
    {"on": "2024-06-10", "from": "线索", "to": "接洽", "by": "示例专员（合成）", "at": "2024-06-10T09:00:00Z"},
    {"on": "2024-10-01", "from": "接洽", "to": "洽谈", "by": "示例专员（合成）", "at": "2024-10-01T09:00:00Z"},
    {"on": "2024-12-06", "from": "洽谈", "to": "签约", "by": "示例专员（合成）", "at": "2024-12-06T09:00:00Z"},
    {"on": "2025-03-21", "from": "签约", "to": "注册", "by": "示例专员（合成）", "at": "2025-03-21T09:00:00Z"})]
LATER = [json.dumps({"on": "2025-02-01", "to": "接洽", "by": "示例专员（合成）", "at": "2025-02-01T09:00:00Z"},
                    ensure_ascii=False)]
FULL_WIDTH = "源达智能装备（衢州）有限公司（合成）"


@pytest.fixture(scope="module")
def app_data():
    objs = base_objects() + [
        firm("MOVE", branches=[j(on="2025-01-15", kind="迁出", region=AWAY, name="生产基地")]),
        firm("PAST"),
        firm(USCC_A, short_name="示例源达"),
        firm("TWIN1", short_name="示例同名"), firm("TWIN2", short_name="示例同名"),
        firm("CAPPED", headcount_history=[j(on="2024-06-30", employees=1000),
                                          j(on="2025-06-30", employees=1298, openings=269)]),
        Project(key="p-past", name="深圳基地项目（合成）", investor="PAST", region=AWAY, stage="注册",
                stage_on="2025-03-21", signed_on="2024-12-06", stage_history=HISTORY, synthetic=True),
        Project(key="p-later", name="后来的项目（合成）", investor="PAST", region=LOCAL, stage="接洽",
                stage_on="2025-02-01", stage_history=LATER, synthetic=True),
    ]
    objs[objs.index(next(o for o in objs if getattr(o, "key", None) == USCC_A))] = \
        firm(USCC_A, short_name="示例源达").model_copy(update={"name": FULL_WIDTH})
    rels = [RelRec("SUPPLIES", "Enterprise", "PAST", "Enterprise", "MOVE", {"share": 0.4})]
    return graph_data(objs, rels, park="qz-zz")


@pytest.fixture(scope="module")
def client(api_env):
    return api_env.client


def _hrefs(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r"href='([^']*)'", html)]


def test_the_pages_downloads_links_and_forms_carry_its_date_and_region(client):
    r = client.get("/pages/enterprises/MOVE", params={"region": "衢州", "as_of": "2024-12-31"})
    assert r.status_code == 200
    page_score = re.search(r"id='ds-relocation' data-score='(\d*)'", r.text).group(1)
    assert page_score == "0"  # its 迁出 of 2025-01-15 is after the page's date
    links = [h for h in _hrefs(r.text) if "/dossier" in h]
    assert {h.split("?")[0].rsplit("/", 1)[1] for h in links} == {"dossier", "dossier.xlsx", "dossier.pdf"}
    for h in links:
        assert "as_of=2024-12-31" in h and "region=%E8%A1%A2%E5%B7%9E" in h, h
    assert any(h.startswith("/pages/incentives?") and "on=2024-12-31" in h for h in _hrefs(r.text))
    form = re.search(r"<form class='cm-inline' method='get'[^>]*>.*?</form>", r.text, re.S).group(0)
    assert "name='as_of' value='2024-12-31'" in form and "name='region'" in form
    from openpyxl import load_workbook

    xlsx = next(h for h in links if "dossier.xlsx" in h)
    wb = load_workbook(io.BytesIO(client.get(xlsx).content))
    over = {row[0]: row[1] for row in wb["概览"].iter_rows(min_row=2, values_only=True)}
    assert over["外迁预警"] == "0（低）" and over["数据截至"] == "2024-12-31"  # what the page showed
    data = client.get(next(h for h in links if h.split("?")[0].endswith("/dossier"))).json()
    assert data["as_of"] == "2024-12-31" and data["signals"]["relocation"]["score"] == 0


def test_links_to_other_firms_read_the_same_date_and_region(client):
    r = client.get("/pages/enterprises/PAST", params={"region": "330800", "as_of": "2024-11-01"})
    firm_links = [h for h in _hrefs(r.text) if h.startswith("/pages/enterprises/")]
    assert any(h.startswith("/pages/enterprises/MOVE?") for h in firm_links), firm_links  # its customer
    assert all("as_of=2024-11-01" in h and "region=330800" in h for h in firm_links), firm_links
    graph = re.findall(r'"href": ?"(/pages/enterprises/[^"]*)"', r.text)  # the graph panel's links
    assert graph and all("as_of=2024-11-01" in h for h in graph), graph


def test_a_past_date_reads_each_projects_stage_on_that_date(client):
    d = client.get("/api/v1/enterprises/PAST/dossier", params={"as_of": "2024-11-01", "region": "衢州"}).json()
    rows = next(s for s in d["sections"] if s["id"] == "projects")["rows"]
    assert [(p["项目"], p["阶段"], p["阶段日期"]) for p in rows] == [("深圳基地项目（合成）", "洽谈", "2024-10-01")]
    exp, rel = d["signals"]["expansion"], d["signals"]["relocation"]
    assert exp["components"]["招商项目"] == 10 and rel["components"]["项目落地外地"] == 10
    assert "阶段 洽谈" in rel["evidence"][0]["text"]
    now = client.get("/api/v1/enterprises/PAST/dossier", params={"as_of": "2025-06-30"}).json()
    rows = {p["项目"]: (p["阶段"], p["阶段日期"]) for p in next(s for s in now["sections"] if s["id"] == "projects")["rows"]}
    assert rows == {"深圳基地项目（合成）": ("注册", "2025-03-21"), "后来的项目（合成）": ("接洽", "2025-02-01")}
    before = client.get("/api/v1/enterprises/PAST/dossier", params={"as_of": "2024-04-01"}).json()
    assert next(s for s in before["sections"] if s["id"] == "projects")["rows"] == []  # neither existed yet


@pytest.mark.parametrize("typed", ["示例源达", USCC_A.lower(), "源达智能装备(衢州)有限公司(合成)",
                                   "源达智能装备（衢州）有限公司（合成）"])
def test_the_dossier_finds_a_firm_by_short_name_lower_case_code_or_half_width_brackets(client, typed):
    r = client.get(f"/api/v1/enterprises/{typed}/dossier", params={"as_of": "2025-06-30"})
    assert r.status_code == 200, r.text
    assert r.json()["key"] == USCC_A and r.json()["name"] == FULL_WIDTH
    page = client.get(f"/pages/enterprises/{typed}", params={"as_of": "2025-06-30"})
    assert page.status_code == 200 and f"/api/v1/enterprises/{USCC_A}/dossier.xlsx" in page.text


def test_a_short_name_two_firms_share_is_ambiguous(client):
    r = client.get("/api/v1/enterprises/示例同名/dossier")
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert "TWIN1示例企业（合成）（TWIN1）" in detail and "TWIN2示例企业（合成）（TWIN2）" in detail, detail


def test_identical_records_put_through_the_api_each_count(api_env):
    branch = json.dumps({"on": "2025-03-01", "kind": "新设", "region": AWAY}, ensure_ascii=False)
    rnd = json.dumps({"on": "2025-03-01", "round": "A轮"}, ensure_ascii=False)
    body = {"name": "重复记录示例企业（合成）", "region": LOCAL, "synthetic": True,
            "branches": [branch] * 3, "financing_rounds": [rnd] * 2}
    r = api_env.client.put("/api/v1/enterprises/DUP", json=body, headers=api_env.h("admin"))
    assert r.status_code in (200, 201), r.text
    assert len(api_env.store.get("Enterprise", "DUP")["branches"]) == 3
    d = api_env.client.get("/api/v1/enterprises/DUP/dossier", params={"as_of": "2025-06-30", "region": "衢州"}).json()
    exp, rel = d["signals"]["expansion"]["components"], d["signals"]["relocation"]["components"]
    assert exp["新设分支机构"] == 20 and exp["融资"] == 30 and rel["分支机构外迁"] == 18, (exp, rel)


def test_points_are_shown_to_one_decimal_on_the_page_and_in_the_workbook(client):
    from openpyxl import load_workbook

    page = text_of(client.get("/pages/enterprises/CAPPED", params={"as_of": "2025-06-30"}).text)
    assert "在招岗位 269 个（本项已达上限 10 分，计 0.1 分）" in page and "+0.1 分" in page and "+9.9 分" in page
    assert not re.search(r"\d\.\d{2,}\s*分", page), re.findall(r"\d\.\d{2,}\s*分", page)
    wb = load_workbook(io.BytesIO(client.get("/api/v1/enterprises/CAPPED/dossier.xlsx",
                                             params={"as_of": "2025-06-30"}).content))
    ev = [row for row in wb["信号依据"].iter_rows(min_row=2, values_only=True) if row[1] == "用工"]
    assert [row[3] for row in ev] == [9.9, 0.1] and "计 0.1 分" in ev[1][2]
