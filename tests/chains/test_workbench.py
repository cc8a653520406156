"""The chain pages of the officer's workbench (chains/render/workbench.py, firm.py, park.py, investor.py, shell.py;
chains/pages.py; `chainmatch report --audience`): one shell, names not codes, the firm's facts and reasons, the
park's own firms and parcels, the investor handout beside the internal report.

Data: the hand-built graph of tests/browser/chain_testgraph.py with firm→park links (E-L1 and E-L3 in 甲园), plus a
registration record for E-L1, products, a customer of the local 链主 and a policy of 甲市.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
from chain_testgraph import objects, relations  # noqa: E402

from factories import USCC_A, graph_data, text_of  # noqa: E402
from graph.schema import Policy, Product  # noqa: E402
from graph.store import RelRec  # noqa: E402
from kernel.pages import NAV  # noqa: E402

HAND = {"strong_min_count": 2, "main_path_min_share": 0.3}
INTERNAL_ONLY = ("空白", "薄弱", "补链", "强链")  # the diagnosis an investor handout never shows


def workbench_graph():
    objs = []
    for o in objects():
        if getattr(o, "key", None) == "E-L1":
            o = o.model_copy(update={"uscc": USCC_A, "founded": dt.date(2009, 3, 1), "registered_capital_wan": 20000.0,
                                     "stock_code": "688001", "business_scope": "原料的研发、生产与销售"})
        objs.append(o)
    objs += [Product(key="pr-1", name="高纯原料"), Product(key="pr-2", name="电子级溶剂"),
             Policy(key="pol-1", name="甲市集成电路项目落户奖励（测试）", region="900100", document="甲市招商引资办法（测试）")]
    rels = relations(park_links=True) + [
        RelRec("MAKES", "Enterprise", "E-L1", "Product", "pr-1"),
        RelRec("MAKES", "Enterprise", "E-L1", "Product", "pr-2"),
        RelRec("APPLIES_TO", "Policy", "pol-1", "Region", "900100"),
    ]
    return objs, rels


@pytest.fixture(scope="module")
def app_data():
    objs, rels = workbench_graph()
    return graph_data(objs, rels, park="pk1")


@pytest.fixture(scope="module")
def client(api_env):
    return api_env.client


PAGES = ["/pages", "/pages/chains/ic/map?region=甲市", "/pages/chains/ic/report?region=甲市",
         "/pages/chains/ic/investor?region=甲市", "/pages/enterprises/E-L1", "/pages/parks/pk1"]


@pytest.mark.parametrize("path", PAGES)
def test_every_chain_page_sits_in_the_one_shell(client, path):
    r = client.get(path)
    assert r.status_code == 200, (path, r.text[:300])
    assert "<nav class='cm'>" in r.text and "cm-login" in r.text  # the shell's bar, with 登录 for a visitor
    for title, href in NAV:
        assert f"href='{href}'" in r.text and title in r.text, (path, title)
    assert r.text.count("<header>") == 1 and r.text.count("<html") == 1  # one document, not a page in a page


@pytest.mark.parametrize("path", PAGES[1:])
def test_graph_pages_let_only_their_own_scripts_run(client, path):
    r = client.get(path)
    csp = r.headers["content-security-policy"]
    scripts = re.findall(r"<script>(.*?)</script>", r.text, re.S)
    if "investor" in path:  # the handout has no graph and no script
        assert not scripts and "script-src" not in csp
        return
    allowed = set(re.findall(r"'sha256-[^']+'", csp))
    assert len(scripts) == 2 and "unsafe-inline" not in csp.split("script-src")[1]
    for s in scripts:
        assert "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'" in allowed
    assert "default-src 'none'" in csp


def test_signed_in_officer_is_shown_on_a_chain_page(api_env):
    c, _ = api_env.signed_in("officer")
    r = c.get("/pages/chains/ic/map", params={"region": "甲市"})
    assert "officer-user（招商专员）" in r.text


def test_firm_page_registration_products_segments_partners_funds(client):
    r = client.get("/pages/enterprises/E-L1", params={"region": "甲市"})
    assert r.status_code == 200
    seen = text_of(r.text)
    for text in (f"{USCC_A}（校验通过）", "测试省 · 甲市 · 甲一县", "2009-03-01", "20,000.0 万元", "已上市（股票代码 688001）",
                 "大型", "高纯原料", "电子级溶剂", "已登记的环节归属（权重 1.00）", "经营范围含「原料」",
                 "本地原料乙（测试）", "外地制造一（测试）", "外地终端（测试）", "测试产业基金", "本地基金", "相似企业"):
        assert text in seen, text
    assert "本企业已在甲市，是本地企业" in seen  # a local firm is no 招商目标 of its own region


def test_firm_page_names_the_local_leader_it_supplies_and_why_it_is_recommended(client):
    r = client.get("/pages/enterprises/E-N1", params={"region": "甲市"})
    seen = text_of(r.text)
    assert "本地链主甲（测试）" in seen and "甲市本地链主（集成电路）" in seen
    verdict = re.search(r"<p id='cm-verdict'>(.*?)</p>", r.text).group(1)
    assert "甲市「制造」环节" in verdict and "排第 1 名" in verdict
    assert re.search(r"<ol id='cm-reasons'><li>", r.text)  # the recommender's reasons, listed
    assert "E-L1" not in seen and "900100" not in seen  # names, never codes


def test_firm_page_by_name_and_unknown_firm(client):
    r = client.get("/pages/enterprise-lookup", params={"q": "本地链主甲（测试）"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/pages/enterprises/E-L1"
    r = client.get("/pages/enterprise-lookup", params={"q": " "}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/pages?")
    r = client.get("/pages/enterprise-lookup", params={"q": "本地链主已"}, follow_redirects=True)
    assert r.status_code == 200 and "cm-flash" in r.text and "本地链主甲（测试）" in r.text  # 您是不是要找…
    r = client.get("/pages/enterprises/不存在的企业")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")


def test_park_page_lists_only_the_firms_registered_in_the_park_and_its_parcels(client):
    r = client.get("/pages/parks/pk1")
    assert r.status_code == 200
    firms = re.search(r"<table class='cm-table' id='cm-park-firms'>(.*?)</table>", r.text, re.S).group(1)
    assert "本地链主甲（测试）" in firms and "本地制造丙（测试）" in firms
    assert "本地原料乙（测试）" not in firms and "本地终端己（测试）" not in firms  # in 甲市, not in the park
    parcels = re.search(r"<table class='cm-table' id='cm-parcels'>(.*?)</table>", r.text, re.S).group(1)
    assert re.search(r"甲园一号地块.*?可供", parcels, re.S) and re.search(r"甲园二号地块.*?已预留", parcels, re.S)
    assert "园区企业（2 家）" in r.text and "集成电路" in text_of(r.text)


def test_investor_handout_shows_what_the_region_offers_and_no_weakness(client):
    r = client.get("/pages/chains/ic/investor", params={"region": "甲市", **HAND})
    assert r.status_code == 200
    seen = text_of(r.text)
    for text in ("甲市集成电路产业投资推介", "产业基础", "集聚优势", "原料", "链主企业", "本地链主甲（测试）", "投资机会",
                 "承载园区", "甲园", "可供地块（1 宗，80 亩）", "甲园一号地块", "扶持政策", "甲市集成电路项目落户奖励（测试）"):
        assert text in seen, text
    assert "甲园二号地块" not in seen  # reserved: not on offer
    for word in INTERNAL_ONLY:
        assert word not in seen, word
    report = text_of(client.get("/pages/chains/ic/report", params={"region": "甲市", **HAND}).text)
    assert "空白" in report and "内部诊断" in report  # the internal one keeps its diagnosis


def test_report_with_targets_never_says_they_were_not_computed(client):
    r = client.get("/pages/chains/ic/report", params={"region": "甲市", **HAND})
    assert "目标企业未随本文件计算" not in r.text
    assert "外地封测链主（测试）" in r.text


def test_cli_report_audience(api_env, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from api.settings import get_settings
    from chains.cli import app
    from conftest import point_cli_at

    if api_env.store.backend != "sqlite":
        pytest.skip("the CLI test runs on the SQLite store")
    point_cli_at(monkeypatch, api_env.store)
    monkeypatch.setenv("CHAINMATCH_SNAPSHOT_DIR", str(tmp_path / "snaps"))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        res = runner.invoke(app, ["report", "ic", "-r", "甲市", "-o", str(tmp_path / "inv"), "--audience", "investor",
                                  "--strong-min-count", "2"])
        assert res.exit_code == 0, res.output
        assert sorted(p.name for p in (tmp_path / "inv").iterdir()) == ["ic-900100-investor.html"]
        html = (tmp_path / "inv" / "ic-900100-investor.html").read_text(encoding="utf-8")
        assert "<nav" not in html and "<script" not in html and "甲园一号地块" in html
        assert not any(w in text_of(html) for w in INTERNAL_ONLY)
        res = runner.invoke(app, ["report", "ic", "-r", "甲市", "-o", str(tmp_path / "int"), "--no-png"])
        assert res.exit_code == 0, res.output
        internal = (tmp_path / "int" / "ic-900100-report.html").read_text(encoding="utf-8")
        assert "空白" in internal and "目标企业未随本文件计算" not in internal
        assert runner.invoke(app, ["report", "ic", "-r", "甲市", "--audience", "press"]).exit_code == 2
    finally:
        get_settings.cache_clear()
