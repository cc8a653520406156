"""政策计算器 against amounts computed by hand from the documents, for every encoded item: tier edges (500 万美元
exactly, 3000 万美元 first year exactly, 5 亿 / 10 亿 募集资金 exactly, 3 % R&D share exactly), caps, per-deal sums,
excluded industries, registration outside the scope, 就高不重复, 就高补差, effective dates; the rules file's own
checks; and the 免申即享 push over a small graph."""
from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal

import pytest

from graph.schema import Enterprise, IndustryChain, Park, Project, Region, Segment
from graph.snapshot import Snapshot
from graph.sqlite_store import SQLiteStore
from graph.store import RelRec
from graph.writer import write_objects
from incentives.calculator import calculate
from incentives.facts import FactsError, parse_facts
from incentives.push import push
from incentives.rules import RULES_FILE, RulesError, build_rules, default_rules

ON = dt.date(2025, 12, 31)
FDI = {"registered_park": "quzhou_zhizao", "foreign_invested": True}
MFG = FDI | {"industry_class": "制造业", "fdi_form": "新设", "fdi_total_usd_wan": 5000, "fdi_first_year_usd_wan": 1000}
HT = FDI | {"industry_class": "高技术服务业"}
OS = FDI | {"industry_class": "其他服务业"}
QZ = {"region": "330802"}  # 柯城区, 衢州市


@pytest.fixture(scope="module")
def book():
    return default_rules()


def one(book, item, facts, *, on=ON, received=None):
    """The result of one item, with the others of its group evaluated too (so 就高不重复 applies)."""
    keys = [k for k, it in book.items.items() if it.group and it.group == book.items[item].group] or [item]
    calc = calculate(book, facts, on=on, items=keys, already_received=received)
    return next(r for r in calc.results if r.item.key == item)


# (item, facts, status, amount in the document's currency) — every amount worked out by hand from the text
CASES = [
    # --- 衢政办发〔2025〕30号 第17小点：制造业 (万美元)
    ("qz-fdi.17.tiers", MFG | {"fdi_year_usd_wan": 99.99}, "not_applicable", None),
    ("qz-fdi.17.tiers", MFG | {"fdi_year_usd_wan": 100}, "applies", "1.5"),  # 100 × 1.5 %
    ("qz-fdi.17.tiers", MFG | {"fdi_year_usd_wan": 499.99}, "applies", "7.4999"),  # 7.49985 rounded to one dollar
    ("qz-fdi.17.tiers", MFG | {"fdi_year_usd_wan": 500}, "applies", "10"),  # 500 exactly is in the 2 % tier
    ("qz-fdi.17.tiers", MFG | {"fdi_year_usd_wan": 999}, "applies", "19.98"),
    ("qz-fdi.17.tiers", MFG | {"fdi_year_usd_wan": 1000}, "applies", "30"),  # 3 %
    ("qz-fdi.17.tiers", MFG | {"fdi_year_usd_wan": 1999.99}, "applies", "59.9997"),
    ("qz-fdi.17.tiers", MFG | {"fdi_year_usd_wan": 2000}, "applies", "80"),  # 4 %
    ("qz-fdi.17.major", MFG | {"fdi_total_usd_wan": 10000, "fdi_first_year_usd_wan": 3000, "fdi_year_usd_wan": 3000},
     "applies", "135"),  # 1亿 and 3000万 exactly: 3000 × 4.5 %
    ("qz-fdi.17.tiers", MFG | {"fdi_total_usd_wan": 10000, "fdi_first_year_usd_wan": 3000, "fdi_year_usd_wan": 3000},
     "duplicate", "0"),  # 4 % = 120 < 135: 就高不重复
    ("qz-fdi.17.major", MFG | {"fdi_total_usd_wan": 12000, "fdi_first_year_usd_wan": 2999.99, "fdi_year_usd_wan": 2999},
     "not_applicable", None),
    ("qz-fdi.17.tiers", MFG | {"fdi_total_usd_wan": 12000, "fdi_first_year_usd_wan": 2999.99, "fdi_year_usd_wan": 2999},
     "applies", "119.96"),  # 2999 × 4 %
    ("qz-fdi.17.major", MFG | {"fdi_total_usd_wan": 9999, "fdi_first_year_usd_wan": 5000, "fdi_year_usd_wan": 5000},
     "not_applicable", None),  # total below 1 亿
    ("qz-fdi.17.major", MFG | {"fdi_total_usd_wan": 20000, "fdi_first_year_usd_wan": 6000, "fdi_year_usd_wan": 1500},
     "applies", "67.5"),  # a later year: 4.5 % of that year's 1500; the 3 % tier (45) is not granted
    ("qz-fdi.17.reinvest", MFG | {"fdi_form": "增资", "fdi_first_year_usd_wan": 3000, "fdi_year_usd_wan": 5000},
     "applies", "225"),  # 5000 × 4.5 %
    ("qz-fdi.17.reinvest", MFG | {"fdi_form": "利润再投资", "fdi_first_year_usd_wan": 3000, "fdi_year_usd_wan": 3000},
     "applies", "135"),
    ("qz-fdi.17.reinvest", MFG | {"fdi_form": "增资", "fdi_first_year_usd_wan": 2999.99, "fdi_year_usd_wan": 5000},
     "not_applicable", None),
    ("qz-fdi.17.reinvest", MFG | {"fdi_form": "新设", "fdi_first_year_usd_wan": 3000, "fdi_year_usd_wan": 5000},
     "not_applicable", None),
    # --- 第18小点：服务业
    ("qz-fdi.18.hightech-tiers", HT | {"fdi_year_usd_wan": 100}, "applies", "0.75"),  # 1.5 × 50 %
    ("qz-fdi.18.hightech-tiers", HT | {"fdi_year_usd_wan": 800}, "applies", "8"),  # 800 × 2 % = 16, × 50 %
    ("qz-fdi.18.hightech-tiers", HT | {"fdi_year_usd_wan": 9999.99}, "applies", "199.9998"),  # × 4 % × 50 %
    ("qz-fdi.18.hightech-major", HT | {"fdi_year_usd_wan": 10000}, "applies", "200"),  # 1 亿 exactly: 2 %
    ("qz-fdi.18.hightech-tiers", HT | {"fdi_year_usd_wan": 10000}, "duplicate", "0"),  # also 200: one only
    ("qz-fdi.18.hightech-major", HT | {"fdi_year_usd_wan": 9999.99}, "not_applicable", None),
    ("qz-fdi.18.other-tiers", OS | {"fdi_year_usd_wan": 100}, "applies", "0.525"),  # 1.5 × 35 %
    ("qz-fdi.18.other-tiers", OS | {"fdi_year_usd_wan": 800}, "applies", "5.6"),  # 16 × 35 %
    ("qz-fdi.18.other-tiers", OS | {"fdi_year_usd_wan": 2000}, "applies", "28"),  # 80 × 35 %
    ("qz-fdi.18.other-major", OS | {"fdi_year_usd_wan": 15000}, "applies", "210"),  # 1.4 %
    ("qz-fdi.18.other-tiers", OS | {"fdi_year_usd_wan": 99}, "not_applicable", None),
    # --- scope, exclusions, dates
    ("qz-fdi.17.tiers", MFG | {"fdi_year_usd_wan": 800, "registered_park": "longyou_ez"}, "out_of_scope", None),
    ("qz-fdi.17.tiers", MFG | {"fdi_year_usd_wan": 800, "registered_park": "quzhou_zhihui"}, "applies", "16"),
    ("qz-fdi.17.tiers", {k: v for k, v in MFG.items() if k != "registered_park"} | {"fdi_year_usd_wan": 800},
     "missing_facts", None),
    ("qz-fdi.17.tiers", MFG | {"fdi_year_usd_wan": 800, "foreign_invested": False}, "not_applicable", None),
    ("qz-fdi.18.other-tiers", FDI | {"industry_class": "房地产", "fdi_year_usd_wan": 800}, "excluded", None),
    ("qz-fdi.18.other-major", FDI | {"industry_class": "金融", "fdi_year_usd_wan": 20000}, "excluded", None),

    # --- 创新驱动政策意见 五、第14条 (万元)
    ("qz-inno.14.private-equity", QZ | {"private_equity_raised_wan": [3000]}, "applies", "30"),
    ("qz-inno.14.private-equity", QZ | {"private_equity_raised_wan": [5000]}, "applies", "50"),  # at the cap
    ("qz-inno.14.private-equity", QZ | {"private_equity_raised_wan": [6000]}, "applies", "50"),  # 60 capped
    ("qz-inno.14.private-equity", QZ | {"private_equity_raised_wan": [3000, 8000]}, "applies", "80"),  # 每单: 30 + 50
    ("qz-inno.14.bonds", QZ | {"is_listed": False, "bond_raised_wan": [50000]}, "applies", "50"),  # 1‰
    ("qz-inno.14.bonds", QZ | {"is_listed": False, "bond_raised_wan": [2_000_000]}, "applies", "100"),  # 2000 capped
    ("qz-inno.14.bonds", QZ | {"is_listed": True, "bond_raised_wan": [50000]}, "not_applicable", None),
    ("qz-inno.14.ipo-local", QZ | {"is_listed": True, "ipo_local_share": 0.7, "ipo_raised_wan": 50000}, "applies", "100"),
    ("qz-inno.14.ipo-local", QZ | {"is_listed": True, "ipo_local_share": 0.7, "ipo_raised_wan": 50000.01}, "applies", "200"),
    ("qz-inno.14.ipo-local", QZ | {"is_listed": True, "ipo_local_share": 0.7, "ipo_raised_wan": 99999}, "applies", "200"),
    ("qz-inno.14.ipo-local", QZ | {"is_listed": True, "ipo_local_share": 0.7, "ipo_raised_wan": 100000}, "applies", "300"),
    ("qz-inno.14.ipo-local", QZ | {"is_listed": True, "ipo_local_share": "69%", "ipo_raised_wan": 100000},
     "not_applicable", None),
    ("qz-inno.14.refinancing", QZ | {"is_listed": False, "is_large_enterprise": True, "refinancing_local_wan": [100000]},
     "applies", "300"),  # 3‰
    ("qz-inno.14.refinancing", QZ | {"is_listed": True, "refinancing_local_wan": [200000, 100000]}, "applies", "800"),
    ("qz-inno.14.refinancing", QZ | {"is_listed": False, "is_large_enterprise": False, "refinancing_local_wan": [100000]},
     "not_applicable", None),
    ("qz-inno.14.green-bond", QZ | {"green_bond_issued": True}, "applies", "10"),
    ("qz-inno.14.green-bond", QZ | {"green_bond_issued": False}, "not_applicable", None),
    # --- 第15条
    ("qz-inno.15.neeq", QZ | {"neeq_listed": True}, "applies", "100"),
    ("qz-inno.15.listing", QZ | {"listing_event": "A股申报材料受理"}, "applies", "100"),
    ("qz-inno.15.listing", QZ | {"listing_event": "A股上市成功"}, "applies", "200"),
    ("qz-inno.15.listing", QZ | {"listing_event": "境外上市成功"}, "applies", "300"),
    ("qz-inno.15.relocation", QZ | {"relocated_listed_company": True}, "applies", "300"),
    # --- 第16条 绿色贷款贴息
    ("qz-inno.16.green-loan", QZ | {"green_rating": "深绿", "green_loan_wan": 10000, "loan_benchmark_rate": "4.35%"},
     "applies", "50"),  # 10000 × 4.35 % × 15 % = 65.25 → 50
    ("qz-inno.16.green-loan", QZ | {"green_rating": "中绿", "green_loan_wan": 5000, "loan_benchmark_rate": 0.0435},
     "applies", "21.75"),  # 217.5 × 10 %
    ("qz-inno.16.green-loan", QZ | {"green_rating": "浅绿", "green_loan_wan": 20000, "loan_benchmark_rate": 0.0435},
     "applies", "30"),  # 870 × 5 % = 43.5 → 30
    ("qz-inno.16.green-loan", QZ | {"green_rating": "浅绿", "green_loan_wan": 1000, "loan_benchmark_rate": 0.0435},
     "applies", "2.175"),
    # --- 一至四、六、七
    ("qz-inno.3.digital-subsidiary", QZ | {"digital_subsidiary_set_up": True}, "applies", "200"),
    ("qz-inno.4.informatization-pilot", QZ | {"informatization_pilot_level": "国家级"}, "applies", "50"),
    ("qz-inno.4.informatization-pilot", QZ | {"informatization_pilot_level": "省级"}, "applies", "30"),
    ("qz-inno.4.two-integration", QZ | {"two_integration_certified": True}, "applies", "50"),
    ("qz-inno.4.it-application", QZ | {"it_application_investment_wan": 300}, "applies", "90"),
    ("qz-inno.7.incubator-lab", QZ | {"incubator_or_lab_level": "国家级"}, "applies", "300"),
    ("qz-inno.7.incubator-lab", QZ | {"incubator_or_lab_level": "省级"}, "applies", "100"),
    ("qz-inno.7.mfg-innovation-center", QZ | {"mfg_innovation_center": "列入省级制造业创新中心创建名单"}, "applies", "200"),
    ("qz-inno.7.innovation-complex", QZ | {"innovation_complex_level": "市级"}, "applies", "200"),
    ("qz-inno.7.tech-center", QZ | {"tech_center_level": "国家级"}, "applies", "100"),
    ("qz-inno.7.tech-center", QZ | {"tech_center_level": "省级"}, "applies", "30"),
    ("qz-inno.8.rd", QZ | {"rd_subject_type": "国家高新技术企业", "rd_spend_wan": 1000, "rd_spend_prev_wan": 800,
                           "revenue_wan": 20000}, "applies", "60"),  # 50 + 200 × 5 %
    ("qz-inno.8.rd", QZ | {"rd_subject_type": "龙头标杆企业", "rd_spend_wan": 6000, "rd_spend_prev_wan": 2000,
                           "revenue_wan": 100000}, "applies", "300"),  # 300 + 200 capped
    ("qz-inno.8.rd", QZ | {"rd_subject_type": "科技型中小企业", "rd_spend_wan": 300, "rd_spend_prev_wan": 300,
                           "revenue_wan": 10000}, "applies", "15"),  # 3 % exactly qualifies (以上 含本数)
    ("qz-inno.8.rd", QZ | {"rd_subject_type": "科技型中小企业", "rd_spend_wan": 200, "rd_spend_prev_wan": 150,
                           "revenue_wan": 6000}, "applies", "12.5"),  # 200 exactly: 10 + 2.5
    ("qz-inno.8.rd", QZ | {"rd_subject_type": "科技型中小企业", "rd_spend_wan": 500, "rd_spend_prev_wan": 600,
                           "revenue_wan": 10000}, "applies", "25"),  # a decrease adds nothing
    ("qz-inno.8.rd", QZ | {"rd_subject_type": "科技型中小企业", "rd_spend_wan": 199.99, "rd_spend_prev_wan": 100,
                           "revenue_wan": 1000}, "not_applicable", None),
    ("qz-inno.8.rd", QZ | {"rd_subject_type": "科技型中小企业", "rd_spend_wan": 300, "rd_spend_prev_wan": 100,
                           "revenue_wan": 10001}, "not_applicable", None),  # 2.9997 % < 3 %
    ("qz-inno.8.rd", QZ | {"rd_subject_type": "其他", "rd_spend_wan": 1000, "rd_spend_prev_wan": 800,
                           "revenue_wan": 20000}, "not_applicable", None),
    ("qz-inno.8.high-tech", QZ | {"new_high_tech_enterprise": True}, "applies", "30"),
    ("qz-inno.8.new-product", QZ | {"new_product_accepted_count": 3}, "applies", "30"),
    ("qz-inno.8.excellent-product", QZ | {"excellent_product_award": "三等奖"}, "applies", "20"),
    ("qz-inno.10.invention-patent", QZ | {"invention_patents": 10}, "applies", "8"),
    ("qz-inno.10.pct", QZ | {"pct_applications": 2}, "applies", "8"),
    ("qz-inno.10.ip-demo", QZ | {"ip_demo_enterprise": True}, "applies", "30"),
    ("qz-inno.12.single-champion", QZ | {"single_champion": ["单项冠军示范企业", "单项冠军产品"]}, "applies", "100"),
    ("qz-inno.12.single-champion", QZ | {"single_champion": "单项冠军产品"}, "applies", "50"),
    ("qz-inno.12.hidden-champion", QZ | {"hidden_champion": True}, "applies", "30"),
    ("qz-inno.12.revenue-2000", QZ | {"is_industrial": True, "revenue_first_reached_2000": True, "revenue_wan": 2000},
     "applies", "12"),
    ("qz-inno.12.revenue-2000", QZ | {"is_industrial": True, "revenue_first_reached_2000": True, "revenue_wan": 1999.99},
     "not_applicable", None),
    ("qz-inno.12.sme-platform", QZ | {"sme_platform_level": "省级"}, "applies", "20"),
    ("qz-inno.13.design-center", QZ | {"design_center_level": "国家级"}, "applies", "100"),
    ("qz-inno.17.well-known-trademark", QZ | {"well_known_trademark": True}, "applies", "100"),
    ("qz-inno.17.aaa-credit", QZ | {"aaa_contract_credit": True}, "applies", "10"),
    ("qz-inno.18.standards-led", QZ | {"standards_led": ["国际标准", "省地方标准"]}, "applies", "110"),
    ("qz-inno.18.standards-led", QZ | {"standards_led": "国家标准、行业标准"}, "applies", "70"),
    ("qz-inno.18.secretariat", QZ | {"standards_secretariat": ["全国专业标准化技术委员会", "浙江省标准化技术委员会"]},
     "applies", "50"),
    ("qz-inno.19.green-honour", QZ | {"green_honour_level": "省级"}, "applies", "20"),
    ("qz-inno.20.clean-production", QZ | {"clean_production_level": "省级"}, "applies", "10"),
    ("qz-inno.20.energy-management", QZ | {"energy_management_certified": True}, "applies", "10"),
    # scope and exclusion of the 2019 policy
    ("qz-inno.8.high-tech", {"region": "330702", "new_high_tech_enterprise": True}, "out_of_scope", None),  # 金华
    ("qz-inno.8.high-tech", {"region": "330881", "new_high_tech_enterprise": True}, "applies", "30"),  # 江山市: 全市
    ("qz-inno.8.high-tech", QZ | {"new_high_tech_enterprise": True, "provincial_ministerial_non_manufacturing": True},
     "excluded", None),
]


@pytest.mark.parametrize("item,facts,status,amount", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_hand_computed_amounts(book, item, facts, status, amount):
    r = one(book, item, facts)
    assert r.status == status, (r.status, r.reasons, r.missing)
    if amount is None:
        assert r.amount is None and r.reasons
    else:
        assert r.amount == Decimal(amount), r.computation


def test_every_encoded_item_has_a_hand_computed_amount(book):
    covered = {c[0] for c in CASES if c[2] == "applies"}
    assert set(book.items) <= covered, sorted(set(book.items) - covered)
    assert len([k for k in book.items if k.startswith("qz-inno.1")]) >= 9  # all of section 五 and more


def test_amounts_are_in_the_currency_of_the_base_and_split_by_recipient(book):
    r = one(book, "qz-fdi.17.tiers", MFG | {"fdi_year_usd_wan": 500})
    assert r.item.currency == "万美元" and "500 万美元" in r.computation and "2%" in r.computation
    r = one(book, "qz-inno.15.listing", QZ | {"listing_event": "境外上市成功"})
    assert r.item.currency == "万元"
    assert r.parts == [("企业", Decimal(200)), ("企业管理层", Decimal(100))]
    r = one(book, "qz-inno.15.relocation", QZ | {"relocated_listed_company": True})
    assert r.parts == [("企业管理层", Decimal(300))]


def test_explanations_cite_the_article_and_show_the_numbers(book):
    calc = calculate(book, MFG | {"fdi_total_usd_wan": 10000, "fdi_first_year_usd_wan": 3000, "fdi_year_usd_wan": 3000},
                     on=ON)
    out = calc.as_dict(book)
    major = next(r for r in out["items"] if r["item"] == "qz-fdi.17.major")
    assert major["doc_no"] == "衢政办发〔2025〕30号" and "第17小点" in major["article"]
    assert major["computation"] == "3,000 万美元 × 4.5% = 135 万美元"
    assert "4.5%" in major["formula"]
    tiers = next(r for r in out["items"] if r["item"] == "qz-fdi.17.tiers")
    assert tiers["status_cn"] == "就高不重复（未计）" and "135" in tiers["reasons"][0]
    assert tiers["computed_amount"] == "120"
    assert out["totals"] == {"万美元": {"total": "135", "exact": "135", "up_to": "0"}}
    rd = one(book, "qz-inno.8.rd", QZ | {"rd_subject_type": "国家高新技术企业", "rd_spend_wan": 1000,
                                          "rd_spend_prev_wan": 800, "revenue_wan": 20000})
    assert "1,000 万元 − 800 万元 = 200 万元" in rd.computation
    over = one(book, "qz-inno.8.rd", QZ | {"rd_subject_type": "龙头标杆企业", "rd_spend_wan": 6000,
                                            "rd_spend_prev_wan": 2000, "revenue_wan": 100000})
    assert "超过上限 300 万元" in over.computation


def test_failed_conditions_name_the_value_given(book):
    r = one(book, "qz-fdi.17.major", MFG | {"fdi_total_usd_wan": 12000, "fdi_first_year_usd_wan": 2999.99,
                                             "fdi_year_usd_wan": 2999})
    assert any("首年实际利用外资3000万美元（含）以上" in x and "2,999.99 万美元" in x for x in r.reasons)
    r = one(book, "qz-fdi.17.tiers", MFG | {"fdi_year_usd_wan": 800, "registered_park": "longyou_ez"})
    assert "智造新城、智慧新城" in r.reasons[0] and "longyou_ez" in r.reasons[0]
    r = one(book, "qz-fdi.18.other-tiers", FDI | {"industry_class": "房地产", "fdi_year_usd_wan": 800})
    assert "房地产类（含商业综合体）" in r.reasons[0]
    r = one(book, "qz-fdi.17.tiers", MFG | {"fdi_year_usd_wan": 80})
    assert "低于最低档 100 万美元" in r.reasons[0]


def test_missing_facts_are_listed_and_unknown_exclusion_is_assumed_no_with_a_note(book):
    r = one(book, "qz-inno.8.rd", QZ | {"rd_subject_type": "国家高新技术企业", "rd_spend_wan": 1000})
    assert r.status == "missing_facts" and set(r.missing) == {"revenue_wan", "rd_spend_prev_wan"}
    r = one(book, "qz-inno.8.high-tech", QZ | {"new_high_tech_enterprise": True})
    assert any("省部属非制造业企业" in n and "按“否”" in n for n in r.notes)


def test_effective_dates(book):
    facts = MFG | {"fdi_year_usd_wan": 800}
    assert one(book, "qz-fdi.17.tiers", facts, on=dt.date(2024, 12, 31)).status == "not_in_force"
    assert one(book, "qz-fdi.17.tiers", facts, on=dt.date(2025, 1, 1)).amount == Decimal(16)
    assert one(book, "qz-inno.8.high-tech", QZ | {"new_high_tech_enterprise": True},
               on=dt.date(2018, 12, 31)).status == "not_in_force"


def test_topping_up_what_was_already_received(book):
    r = one(book, "qz-inno.7.tech-center", QZ | {"tech_center_level": "国家级"},
            received={"qz-inno.7.tech-center": 30})
    assert r.amount == Decimal(70) and "补差 70 万元" in r.computation
    r = one(book, "qz-inno.7.tech-center", QZ | {"tech_center_level": "国家级"},
            received={"qz-inno.7.tech-center": 150})
    assert r.amount == Decimal(0)


def test_bad_facts_are_all_reported_with_their_field(book):
    with pytest.raises(FactsError) as e:
        parse_facts(book, {"fdi_year_usd_wan": "很多", "industry_class": "农业", "nope": 1, "rd_increase_wan": 5,
                           "ipo_local_share": 75, "rd_spend_wan": -1})
    fields = {f for f, _ in e.value.problems}
    assert fields == {"fdi_year_usd_wan", "industry_class", "nope", "rd_increase_wan", "ipo_local_share", "rd_spend_wan"}
    msgs = dict(e.value.problems)
    assert "制造业" in msgs["industry_class"] and "75%" in msgs["ipo_local_share"] and "负数" in msgs["rd_spend_wan"]
    with pytest.raises(FactsError):
        calculate(book, QZ, items=["no.such.item"])


def test_numbers_written_as_people_write_them(book):
    f = parse_facts(book, {"fdi_year_usd_wan": "3,000万美元", "fdi_total_usd_wan": "1.2亿美元", "revenue_wan": "2,000万元",
                           "ipo_local_share": "70%", "is_listed": "是", "standards_led": "国家标准；行业标准"})
    assert f["fdi_year_usd_wan"] == Decimal(3000) and f["fdi_total_usd_wan"] == Decimal(12000)
    assert f["revenue_wan"] == Decimal(2000) and f["ipo_local_share"] == Decimal("0.7") and f["is_listed"] is True
    assert f["standards_led"] == ["国家标准", "行业标准"]


def _raw():
    return json.loads(RULES_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("mutate,needle", [
    (lambda r: r["items"][0]["formula"].update(kind="guess"), "formula.kind"),
    (lambda r: r["items"][0]["conditions"].append({"fact": "no_such_fact", "op": ">=", "value": 1, "text": "x"}), "no_such_fact"),
    (lambda r: r["items"][2]["formula"]["tiers"][0].update(rate="百分之一"), "应为数字"),
    (lambda r: r["items"][5]["formula"].update(tiers_from="qz-fdi.99"), "tiers_from"),
    (lambda r: r["items"][0].update(doc="unknown-doc"), "未知文件"),
    (lambda r: r["documents"][0].update(duplicate_rule="随便"), "duplicate_rule"),
])
def test_a_malformed_rule_names_the_item_and_field(mutate, needle):
    raw = copy.deepcopy(_raw())
    mutate(raw)
    with pytest.raises(RulesError, match=needle):
        build_rules(raw)


def test_the_shipped_rules_carry_document_numbers_articles_dates_and_versions(book):
    fdi = book.documents["qz-fdi"]
    assert fdi.doc_no == "衢政办发〔2025〕30号" and fdi.effective_from == dt.date(2025, 1, 1)
    assert fdi.in_force_from == dt.date(2025, 11, 11) and fdi.currency == "万美元" and fdi.version
    for it in book.items.values():
        assert it.article and it.text and it.doc.version and it.doc.source


# ---------------------------------------------------------------------------------------------- push
@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    d = tmp_path_factory.mktemp("push")
    store = SQLiteStore(d / "push.db")
    write_objects(store, [
        Region(key="330800", name="衢州市", level="city"),
        Region(key="330802", name="柯城区", level="county", parent="330800"),
        Region(key="330702", name="婺城区", level="county"),
        IndustryChain(key="ic", name="集成电路"),
        Segment(key="ic.pkg", name="封测", chain="ic"),
        Park(key="quzhou_zhizao", name="衢州智造新城", region="330800"),
        Park(key="longyou_ez", name="浙江龙游经济开发区", region="330800"),
        Enterprise(key="E1", name="甲上市（合成）", region="330802", tags=["上市"], size="大型", revenue_wan=90000),
        Enterprise(key="E2", name="乙非上市（合成）", region="330802", size="中型", revenue_wan=3000),
        Enterprise(key="E3", name="丙金华上市（合成）", region="330702", tags=["上市"], size="大型"),
        Enterprise(key="E4", name="丁高新（合成）", region="330802", tags=["高新技术"], revenue_wan=8000),
        Project(key="P1", name="外资制造项目（合成）", park="quzhou_zhizao", region="330800", industry_class="制造业",
                fdi_total_usd_wan=5000, fdi_first_year_usd_wan=800, fdi_year_usd_wan=800),
        Project(key="P2", name="外资房地产项目（合成）", park="quzhou_zhizao", region="330800", industry_class="房地产",
                fdi_total_usd_wan=5000, fdi_year_usd_wan=3000),
        Project(key="P3", name="龙游外资项目（合成）", park="longyou_ez", region="330800", industry_class="制造业",
                fdi_total_usd_wan=5000, fdi_year_usd_wan=3000),
        Project(key="P4", name="外资服务项目（合成）", park="quzhou_zhizao", region="330800", industry_class="其他服务业",
                fdi_total_usd_wan=5000, fdi_year_usd_wan=800),
        Project(key="P5", name="内资项目（合成）", park="quzhou_zhizao", region="330800", total_investment_wan=30000),
    ], [RelRec("IN_SEGMENT", "Enterprise", "E4", "Segment", "ic.pkg")])
    s = Snapshot.build(store)
    store.close()
    return s


def test_push_fdi_tiers_lists_qualifying_projects_with_amounts(book, snap):
    res = push(book, snap, "qz-fdi.17.tiers", on=ON).as_dict(book)
    assert [(e["key"], e["amount"]) for e in res["qualified"]] == [("P1", "16")]  # 800 × 2 %
    assert res["qualified_total"] == "16" and res["currency"] == "万美元"
    keys = {e["key"] for e in res["qualified"] + res["to_confirm"]}
    assert not keys & {"P2", "P3", "P4", "P5"}  # 房地产 excluded, 龙游 out of scope, 服务业, no FDI
    res = push(book, snap, "qz-fdi.18.other-tiers", on=ON).as_dict(book)
    assert [(e["key"], e["amount"]) for e in res["qualified"]] == [("P4", "5.6")]


def test_push_lists_firms_to_confirm_only_with_evidence_and_inside_the_scope(book, snap):
    res = push(book, snap, "qz-inno.14.refinancing", on=ON).as_dict(book)
    assert res["qualified"] == []
    assert [e["key"] for e in res["to_confirm"]] == ["E1"]  # listed and in 衢州; E3 is in 金华, E2 has no evidence
    assert [m["fact"] for m in res["to_confirm"][0]["missing"]] == ["refinancing_local_wan"]
    rd = push(book, snap, "qz-inno.8.rd", on=ON).as_dict(book)
    assert [e["key"] for e in rd["to_confirm"]] == ["E4"]  # tagged 高新技术
    none = push(book, snap, "qz-inno.17.aaa-credit", on=ON).as_dict(book)
    assert none["counts"]["qualified"] == 0 and none["to_confirm"] == [] and "图谱中没有" in none["note"]
    early = push(book, snap, "qz-fdi.17.tiers", on=dt.date(2024, 6, 1)).as_dict(book)
    assert early["qualified"] == [] and "2025-01-01" in early["note"]
