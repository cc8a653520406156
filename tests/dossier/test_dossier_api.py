"""The dossier over HTTP on both backends: JSON (/api/v1/enterprises/{key}/dossier), XLSX, PDF (or a clear 503
without a browser), the printable page /pages/enterprises/{key} with every section, and `chainmatch dossier`."""
from __future__ import annotations

import io

import pytest

from dossier_world import AS_OF, world
from factories import graph_data, text_of
from graph.schema import Policy


@pytest.fixture(scope="module")
def app_data():
    objs, rels = world()
    objs.append(Policy(key="pol-qz", name="衢州示例政策（测试）", region="330800"))
    return graph_data(objs, rels, park="qz-zz")


@pytest.fixture(scope="module")
def client(api_env):
    return api_env.client


def test_dossier_json_has_identity_signals_with_evidence_and_sections(client):
    r = client.get("/api/v1/enterprises/SUPPLIER/dossier", params={"region": "衢州", "as_of": AS_OF})
    assert r.status_code == 200, r.text
    d = r.json()
    ident = {x["field"]: x["value"] for x in d["identity"]}
    assert ident["简称"] == "示例供货" and ident["所在园区"] == "衢州智造新城" and ident["注册资本"] == "5,000.0 万元"
    assert ident["上市情况"] == "已上市（上交所科创板，股票代码 688999）" and ident["成立日期"] == "2012-05-01"
    rel = d["signals"]["relocation"]
    assert rel["score"] == 8 and rel["as_of"] == AS_OF and rel["evidence"][0]["component"] == "链主客户在外地"
    assert d["signals"]["expansion"]["status"] == "数据不足" and d["signals"]["expansion"]["score"] is None
    sec = {s["id"]: s for s in d["sections"]}
    assert {"segs", "products", "suppliers", "customers", "funds", "projects", "policies"} <= set(sec)
    customers = {c["企业"]: c["链主"] for c in sec["customers"]["rows"]}
    assert customers == {"LEADAWAY示例企业（合成）": "链主（集成电路）", "LEADHOME示例企业（合成）": "衢州市本地链主（集成电路）"}
    assert sec["funds"]["rows"] == [{"基金": "衢州示例产业基金（合成）", "所在地": "衢州市", "本地": "本地基金"}]
    assert sec["policies"]["note"].startswith("按政策计算器")


def test_projects_and_their_stages_by_name(client):
    d = client.get("/api/v1/enterprises/PROJ示例企业（合成）/dossier", params={"as_of": AS_OF}).json()
    rows = {p["项目"]: (p["阶段"], p["阶段日期"], p["拟落地"]) for p in next(s for s in d["sections"] if s["id"] == "projects")["rows"]}
    assert rows["本地扩产项目（合成）"] == ("签约", "2024-08-01", "柯城区")
    assert rows["深圳新基地项目（合成）"][0] == "洽谈" and len(rows) == 3


def test_unknown_firm_and_bad_date(client):
    assert client.get("/api/v1/enterprises/无此企业/dossier").status_code == 404
    assert client.get("/api/v1/enterprises/SUPPLIER/dossier", params={"as_of": "2025-13-40"}).status_code == 422


def test_dossier_xlsx(client):
    from openpyxl import load_workbook

    r = client.get("/api/v1/enterprises/MOVE/dossier.xlsx", params={"region": "衢州", "as_of": AS_OF})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames[:2] == ["概览", "信号依据"] and "招商项目" in wb.sheetnames and "可享政策" in wb.sheetnames
    over = {row[0]: row[1] for row in wb["概览"].iter_rows(min_row=2, values_only=True)}
    assert over["外迁预警"] == "20（低）" and over["扩张指数"] == "0（平稳）" and over["数据截至"] == AS_OF
    ev = [row for row in wb["信号依据"].iter_rows(min_row=2, values_only=True)]
    assert ("外迁预警", "分支机构外迁", "2025-01-15 生产基地迁出至深圳市", 20, "2025-01-15") in ev


def test_dossier_pdf_or_503(client):
    from chains.render.png import find_chromium

    r = client.get("/api/v1/enterprises/MOVE/dossier.pdf", params={"as_of": AS_OF})
    if find_chromium() is None:
        assert r.status_code == 503 and "Chromium" in r.json()["detail"]
    else:
        assert r.status_code == 200 and r.content.startswith(b"%PDF") and len(r.content) > 5000


def test_dossier_page_sections_and_print_css(client):
    r = client.get("/pages/enterprises/SUPPLIER", params={"region": "衢州", "as_of": AS_OF})
    assert r.status_code == 200
    html = r.text
    for hid in ("ds-signals", "ds-expansion", "ds-relocation", "cm-facts", "cm-segs", "cm-customers", "cm-funds",
                "cm-projects", "cm-policies", "cm-why"):
        assert f"id='{hid}'" in html, hid
    seen = text_of(html)
    for t in ("扩张指数", "外迁预警", "数据不足", "衢州智造新城", "示例供货", "衢州市本地链主（集成电路）", "本地基金",
              "项目库中没有本企业的项目", "可享政策（政策计算器）", "2 家链主客户中 1 家在衢州市以外"):
        assert t in seen, t
    assert "@media print" in html and ".cm-graph" in html.split("@media print", 1)[1]
    assert "/api/v1/enterprises/SUPPLIER/dossier.xlsx?region=" in html and "dossier.pdf" in html
    assert "SUPPLIER" not in seen.replace("SUPPLIER示例企业", "")  # names, never codes


def test_the_park_page_lists_the_firm_registered_in_it(client):
    r = client.get("/pages/parks/qz-zz")
    assert r.status_code == 200 and "SUPPLIER示例企业（合成）" in r.text


def test_cli_dossier_writes_xlsx_and_json(api_env, tmp_path, monkeypatch):
    import json

    from typer.testing import CliRunner

    from api.cli import app
    from api.settings import get_settings
    from conftest import point_cli_at

    if api_env.store.backend != "sqlite":
        pytest.skip("the CLI test runs once, on the embedded store")
    point_cli_at(monkeypatch, api_env.store)
    try:
        runner = CliRunner()
        out = tmp_path / "d.json"
        res = runner.invoke(app, ["dossier", "MOVE示例企业（合成）", "--output", str(out), "--as-of", AS_OF,
                                  "--region", "衢州"])
        assert res.exit_code == 0, res.output
        assert json.loads(out.read_text(encoding="utf-8"))["signals"]["relocation"]["score"] == 20
        res = runner.invoke(app, ["dossier", "MOVE", "--output", str(tmp_path / "d.xlsx")])
        assert res.exit_code == 0 and (tmp_path / "d.xlsx").read_bytes()[:2] == b"PK"
        res = runner.invoke(app, ["dossier", "无此企业", "--output", str(tmp_path / "x.xlsx")])
        assert res.exit_code != 0 and "不存在" in res.output
        assert runner.invoke(app, ["dossier", "MOVE", "--output", str(tmp_path / "x.doc")]).exit_code != 0
    finally:
        get_settings.cache_clear()
