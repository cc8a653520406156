"""The calculator's scope decision (defect 4 of issue 13): the FDI rewards of 衢政办发〔2025〕30号 are for firms
registered in 衢州市本级 (智造新城、智慧新城). A firm known to be registered in a county such as 江山市 is out of
scope — the calculator must not ask it for its park (缺少信息) — while a firm of 柯城区 without a park still is
asked, and one whose park is given is decided by its park."""
from __future__ import annotations

import datetime as dt

import pytest

from incentives.calculator import calculate
from incentives.rules import RulesError, build_rules, default_rules, load_rules

ON = dt.date(2025, 12, 31)
FDI_MFG = {"foreign_invested": True, "industry_class": "制造业", "fdi_form": "新设", "fdi_total_usd_wan": 5000,
           "fdi_first_year_usd_wan": 1000, "fdi_year_usd_wan": 800}


def status(facts: dict, item: str = "qz-fdi.17.tiers") -> tuple[str, list[str], list[str]]:
    book = default_rules()
    r = next(r for r in calculate(book, facts, on=ON).results if r.item.key == item)
    return r.status, r.missing, r.reasons


@pytest.mark.parametrize("region", ["330881", "330822", "330824", "330825", "330702"])
def test_a_firm_registered_outside_shi_benji_is_out_of_scope_not_asked_for_its_park(region):
    st, missing, reasons = status(FDI_MFG | {"region": region})
    assert st == "out_of_scope", (st, missing)
    assert "registered_park" not in missing
    assert "衢州市本级" in reasons[0] and region in reasons[0]


def test_every_fdi_item_says_out_of_scope_for_jiangshan():
    book = default_rules()
    calc = calculate(book, FDI_MFG | {"region": "330881"}, on=ON)
    fdi = [r for r in calc.results if r.item.doc.key == "qz-fdi"]
    assert fdi and {r.status for r in fdi} == {"out_of_scope"}
    # the 2019 policy covers the whole city, 江山市 included
    inno = next(r for r in calc.results if r.item.key == "qz-inno.8.high-tech")
    assert inno.status != "out_of_scope"


@pytest.mark.parametrize("region", ["330800", "330802", "330803"])
def test_a_shi_benji_firm_without_a_park_is_still_asked_for_it(region):
    st, missing, _ = status(FDI_MFG | {"region": region})
    assert st == "missing_facts" and missing == ["registered_park"]


def test_the_park_decides_when_it_is_given():
    assert status(FDI_MFG | {"region": "330881", "registered_park": "quzhou_zhizao"})[0] == "applies"
    assert status(FDI_MFG | {"region": "330802", "registered_park": "longyou_ez"})[0] == "out_of_scope"


def test_scope_regions_are_checked_when_the_rules_are_loaded():
    import json

    from incentives.rules import RULES_FILE

    raw = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    fdi = next(d for d in raw["documents"] if d["key"] == "qz-fdi")
    assert fdi["scope"]["regions"] == ["330800", "330802", "330803"]
    fdi["scope"]["regions"] = [330800]
    with pytest.raises(RulesError, match="scope.regions"):
        build_rules(raw)
    assert load_rules().documents["qz-fdi"].scope["regions"]
