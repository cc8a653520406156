"""The 政策计算器 form (incentives/form.py): its fields are the rule book's facts with Chinese labels and units, a
firm or project is chosen by name and its graph facts prefill the calculation, parks and 行政区 are typed by name,
and every bad input comes back as (field's Chinese name, what is wrong) instead of an exception."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from graph.snapshot import Snapshot
from graph.sqlite_store import SQLiteStore
from graph.writer import write_objects
from incentives.calculator import calculate
from incentives.form import CalcForm, form_sections, run_form
from incentives.rules import build_rules, default_rules
from kernel.resolve import resolver
from tests.incentives.calc_graph import USCC_FIRM, objects, relations

ON = "2025-12-31"


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    store = SQLiteStore(tmp_path_factory.mktemp("calc-form") / "f.db")
    write_objects(store, objects(), relations())
    s = Snapshot.build(store)
    store.close()
    return s


def run(snap, **q):
    book = default_rules()
    return run_form(book, snap, CalcForm.from_query([(k, str(v)) for k, v in q.items()], book))


def test_every_fact_the_rule_book_asks_for_is_a_field_once_with_its_chinese_label_and_unit():
    book = default_rules()
    fields = [f for s in form_sections(book) for f in s.fields]
    names = [f.name for f in fields]
    assert sorted(names) == sorted(n for n, s in book.facts.items() if not s.derived)
    assert len(names) == len(set(names))
    by = {f.name: f for f in fields}
    assert by["fdi_year_usd_wan"].label == "当年度实际利用外资（万美元）"
    assert by["rd_spend_wan"].label == "年度研发投入（万元）"
    assert by["foreign_invested"].kind == "yesno" and by["industry_class"].choices[0] == "制造业"
    assert "智造新城" in by["registered_park"].help and "quzhou_" not in by["registered_park"].help
    # one section per document after the shared facts, each titled with its 文号
    titles = [s.title for s in form_sections(book)]
    assert titles[0] == "注册地与企业基本情况" and any("衢政办发〔2025〕30号" in t for t in titles)


def test_a_fact_added_to_the_rule_book_becomes_a_field():
    raw = {"facts": {"new_fact_wan": {"label": "新事实", "type": "number", "unit": "万元"}}, "documents": [],
           "items": []}
    [section] = form_sections(build_rules(raw))
    assert [(f.name, f.label) for f in section.fields] == [("new_fact_wan", "新事实（万元）")]


def test_typed_facts_with_a_park_by_its_short_name_give_the_amount_with_its_clause(snap):
    out = run(snap, registered_park="智造新城", foreign_invested="是", industry_class="制造业",
              fdi_total_usd_wan="1亿美元", fdi_first_year_usd_wan="3000", fdi_year_usd_wan="3,000万美元", on=ON)
    assert out.problems == []
    assert out.facts["registered_park"] == "quzhou_zhizao" and out.facts["fdi_total_usd_wan"] == Decimal(10000)
    got = {r.item.key: (r.status, r.amount) for r in out.calc.results}
    assert got["qz-fdi.17.major"] == ("applies", Decimal("135"))
    assert got["qz-fdi.17.tiers"][0] == "duplicate"


def test_a_firm_chosen_by_part_of_its_name_prefills_its_graph_facts(snap):
    out = run(snap, enterprise="示例外资电子", on=ON)
    assert out.problems == [] and [(s.key, s.name) for s in out.subjects] == [(USCC_FIRM, "衢州示例外资电子有限公司（合成）")]
    assert out.graph_facts == {"region": "330802", "registered_park": "quzhou_zhizao", "foreign_invested": True,
                               "is_large_enterprise": False}
    assert out.subjects[0].echo == "衢州示例外资电子有限公司（合成）"  # the form shows the name back, not the code


def test_typed_facts_override_the_graph_facts_of_the_chosen_project(snap):
    out = run(snap, project="智造新城外资电子", fdi_year_usd_wan="2500", on=ON)
    assert out.graph_facts["fdi_year_usd_wan"] == Decimal(800) and out.facts["fdi_year_usd_wan"] == Decimal(2500)
    tiers = next(r for r in out.calc.results if r.item.key == "qz-fdi.17.tiers")
    assert (tiers.status, tiers.amount) == ("applies", Decimal(100))  # 2,500 × 4%


def test_bad_input_comes_back_by_chinese_field_name_never_raised(snap):
    out = run(snap, fdi_year_usd_wan="abc", ipo_local_share="150%", registered_park="火星园", on="2025-13-01",
              industry_class="矿业", project="不存在的项目")
    got = dict(out.problems)
    assert "应为数字" in got["当年度实际利用外资（万美元）"]
    assert "比例应在 0–1 之间" in got["首次募集资金投资（含补充流动资金）在衢州辖区内的比例"]
    assert "不存在" in got["注册园区"] and "衢州智造新城" in got["注册园区"] and "quzhou_zhizao" not in got["注册园区"]
    assert "年-月-日" in got["计算日期"] and "不在可选范围" in got["行业类别"] and "不存在" in got["招商项目"]
    assert out.calc is None


def test_an_ambiguous_firm_name_offers_the_firms_to_choose_from(snap):
    out = run(snap, enterprise="衢州示例")
    assert "企业" in dict(out.problems) and out.calc is None
    assert sorted(out.choices["enterprise"]) == [("衢州示例外资电子有限公司（合成）", USCC_FIRM),
                                                 ("衢州示例材料有限公司（合成）", "FIRM-QZ2")]


def test_a_region_by_name_places_the_firm_out_of_scope_with_the_reason_by_name(snap):
    out = run(snap, region="江山", foreign_invested="是", fdi_year_usd_wan="800", on=ON)
    r = next(r for r in out.calc.results if r.item.key == "qz-fdi.17.tiers")
    assert r.status == "out_of_scope" and "江山市" in r.reasons[0] and "330881" not in r.reasons[0]


def test_out_of_scope_reasons_show_the_park_by_name_when_names_are_given(snap):
    book = default_rules()
    from incentives.facts import value_names

    facts = {"registered_park": "jiangshan_ez", "foreign_invested": True, "fdi_year_usd_wan": 800}
    [r] = calculate(book, facts, on=dt.date(2025, 12, 31), items=["qz-fdi.17.tiers"], names=value_names(snap)).results
    assert r.status == "out_of_scope" and "浙江江山经济开发区" in r.reasons[0] and "jiangshan_ez" not in r.reasons[0]
    [plain] = calculate(book, facts, on=dt.date(2025, 12, 31), items=["qz-fdi.17.tiers"]).results
    assert "jiangshan_ez" in plain.reasons[0]  # the API's answer is unchanged


def test_nothing_submitted_calculates_nothing(snap):
    out = run(snap)
    assert out.calc is None and out.problems == [] and not out.form.submitted


def test_the_resolver_finds_projects_by_part_of_their_name(snap):
    r = resolver(snap)
    assert r.key("Project", r.project("江山外资")) == "JSP"
