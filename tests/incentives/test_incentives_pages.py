"""The 政策计算器 pages on the workbench shell (incentives/pages.py): the form, the answer with amount and clause,
bad input shown by the field's Chinese name (never a 500), names instead of codes, and the 免申即享 list."""
from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from kernel.pages import NAV
from tests.factories import graph_data
from tests.incentives.calc_graph import USCC_FIRM, objects, relations

ON = "2025-12-31"


@pytest.fixture(scope="module")
def app_data():
    return graph_data(objects(), relations(), park="quzhou_zhizao")


@pytest.fixture(scope="module")
def client(api_env):
    return api_env.client


def get(client, **q):
    r = client.get("/pages/incentives?" + urlencode(q))
    assert r.status_code == 200, r.text[:500]
    return r.text


def result(html: str) -> str:
    m = re.search(r"<div class='res' id='calc-result'>(.*?)</div></div><details id='clauses'", html, re.S)
    assert m, html[:500]
    return m.group(1)


def test_the_calculator_is_on_the_shell_under_its_own_header(client):
    html = get(client)
    assert "<h1>政策计算器</h1>" in html and "招商项目库" not in html
    for title, href in NAV:
        assert f"href='{href}'" in html and title in html
    assert "<a href='/pages/incentives' class=on>" in html
    # the form is generated from the rule book: Chinese labels with units, no JSON to type
    assert "<form id='calc-form' method='get' action='/pages/incentives'>" in html
    for label in ("注册园区", "外资总投资（万美元）", "年度研发投入（万元）", "外商投资企业"):
        assert f">{label}</label>" in html
    assert "<script" not in html


def test_typed_facts_give_the_amount_with_formula_and_clause(client):
    res = result(get(client, registered_park="智造新城", foreign_invested="是", industry_class="制造业",
                     fdi_total_usd_wan="1亿美元", fdi_first_year_usd_wan="3000", fdi_year_usd_wan="3,000万美元", on=ON))
    assert "可享受合计：135 万美元" in res
    row = re.search(r"<tr class='item-applies' data-item='qz-fdi.17.major'>(.*?)</tr>", res, re.S).group(1)
    assert "135 万美元" in row and "3,000 万美元 × 4.5% = 135 万美元" in row
    assert "衢政办发〔2025〕30号" in row and "第17小点" in row
    assert "就高不重复（未计入合计）" in res and "按“就高不重复”原则只享受较高者" in res
    assert "还需补充信息" in res and "<a href='#f-fdi_form'>外资投资方式</a>" in res


def test_a_firm_chosen_by_name_is_calculated_from_its_graph_facts_shown_by_name(client):
    html = get(client, enterprise="示例外资电子", industry_class="制造业", fdi_year_usd_wan="800", on=ON)
    res = result(html)
    assert "衢州示例外资电子有限公司（合成）" in res and "注册园区 衢州智造新城" in res and "柯城区" in res
    assert "quzhou_zhizao" not in res and USCC_FIRM not in res and "330802" not in res
    assert "<span class='amt'>16 万美元</span>" in res  # 800 × 2%
    assert "value='衢州示例外资电子有限公司（合成）'" in html  # the field shows the name it found
    assert "placeholder='图谱：衢州智造新城'" in html  # the graph's facts prefill the form


def test_a_project_out_of_scope_says_why_by_name(client):
    res = result(get(client, project="江山外资项目", on=ON, show="all"))
    assert "不在实施范围" in res and "浙江江山经济开发区" in res and "jiangshan_ez" not in res


@pytest.mark.parametrize("q, field, what", [
    ({"fdi_year_usd_wan": "abc"}, "当年度实际利用外资（万美元）", "应为数字"),
    ({"industry_class": "矿业"}, "行业类别", "不在可选范围"),
    ({"registered_park": "火星园"}, "注册园区", "不存在"),
    ({"region": "火星市"}, "注册地行政区", "不存在"),
    ({"on": "2025-13-01", "fdi_year_usd_wan": "1"}, "计算日期", "年-月-日"),
    ({"enterprise": "没有这家企业"}, "企业", "不存在"),
    ({"project": "没有这个项目"}, "招商项目", "不存在"),
    ({"ipo_local_share": "150%"}, "首次募集资金投资（含补充流动资金）在衢州辖区内的比例", "0–1"),
])
def test_bad_input_shows_the_fields_chinese_name_and_what_is_wrong(client, q, field, what):
    res = result(get(client, **q))
    assert "id='calc-problems'" in res and f"<b>{field}</b>" in res and what in res


def test_an_ambiguous_firm_offers_links_by_name(client):
    res = result(get(client, enterprise="衢州示例", on=ON))
    assert "请选择企业" in res and ">衢州示例材料有限公司（合成）</a>" in res
    assert f"enterprise={USCC_FIRM}" in res  # the link picks the firm by key


def test_the_push_list_names_firms_and_projects(client):
    r = client.get("/pages/incentives/push?item=qz-fdi.17.tiers&on=" + ON)
    assert r.status_code == 200 and "<h1>免申即享名单：其他制造业外资项目分档奖励</h1>" in r.text
    assert "智造新城外资电子项目（合成）" in r.text and "16 万美元" in r.text and "注册园区 衢州智造新城" in r.text
    assert "江山外资项目" not in r.text  # out of the 市本级 scope
    assert "衢州示例外资电子有限公司（合成）" in r.text  # 待确认: the graph lacks its figures
    assert "<a href='/pages/incentives' class=on>" in r.text
    body = r.text.split("<main>", 1)[1]
    text = re.sub(r"<[^>]+>", " ", body)
    assert "quzhou_zhizao" not in text and USCC_FIRM not in text
    assert client.get("/pages/incentives/push?item=nope").status_code == 404


def test_the_calculator_links_every_clause_to_its_push_list(client):
    html = get(client)
    assert "href='/pages/incentives/push?item=qz-fdi.17.tiers'" in html and "衢政办发〔2025〕30号" in html


def test_the_push_page_without_an_item_offers_the_items_by_name(client):
    r = client.get("/pages/incentives/push")
    assert r.status_code == 200 and "<form class='filters' id='push-form' method='get'" in r.text
    assert "<option value='qz-fdi.17.tiers'>其他制造业外资项目分档奖励（" in r.text
