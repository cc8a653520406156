"""免申即享 push and the graph's facts of a subject for firms outside 衢州市本级 (defect 4 of issue 13): a firm or
project registered in 江山市 is never listed for the 市本级 FDI rewards, neither as qualifying nor as 待确认, and
the calculator started from its graph facts answers out_of_scope."""
from __future__ import annotations

import datetime as dt

import pytest

from graph.schema import Enterprise, Park, Project, Region
from graph.snapshot import Snapshot
from graph.sqlite_store import SQLiteStore
from graph.writer import write_objects
from incentives.calculator import calculate
from incentives.facts import subject_facts
from incentives.push import push
from incentives.rules import default_rules

ON = dt.date(2025, 12, 31)


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    store = SQLiteStore(tmp_path_factory.mktemp("push-scope") / "p.db")
    write_objects(store, [
        Region(key="330800", name="衢州市", level="city"),
        Region(key="330881", name="江山市", level="county", parent="330800"),
        Park(key="quzhou_zhizao", name="衢州智造新城", region="330800"),
        Enterprise(key="JS1", name="江山外资企业（合成）", region="330881", tags=["外资"], size="中型"),
        Project(key="JSP", name="江山外资项目（合成）", region="330881", industry_class="制造业",
                fdi_total_usd_wan=5000, fdi_first_year_usd_wan=800, fdi_year_usd_wan=800),
        Project(key="QZP", name="智造新城外资项目（合成）", park="quzhou_zhizao", region="330800",
                industry_class="制造业", fdi_total_usd_wan=5000, fdi_first_year_usd_wan=800, fdi_year_usd_wan=800),
    ])
    s = Snapshot.build(store)
    store.close()
    return s


@pytest.mark.parametrize("item", ["qz-fdi.17.tiers", "qz-fdi.17.major", "qz-fdi.18.other-tiers"])
def test_jiangshan_firms_are_not_pushed_for_shi_benji_rewards(snap, item):
    book = default_rules()
    res = push(book, snap, item, on=ON).as_dict(book)
    listed = {e["key"] for e in res["qualified"] + res["to_confirm"]}
    assert not listed & {"JS1", "JSP"}


def test_the_park_project_still_qualifies(snap):
    book = default_rules()
    res = push(book, snap, "qz-fdi.17.tiers", on=ON).as_dict(book)
    assert [(e["key"], e["amount"]) for e in res["qualified"]] == [("QZP", "16")]


@pytest.mark.parametrize("subject", [{"enterprise": "JS1"}, {"project": "JSP"}])
def test_calculating_from_the_graph_facts_of_a_jiangshan_subject_is_out_of_scope(snap, subject):
    book = default_rules()
    facts = subject_facts(snap, **subject)
    assert facts["region"] == "330881" and "registered_park" not in facts
    r = next(r for r in calculate(book, facts, on=ON).results if r.item.key == "qz-fdi.17.tiers")
    assert r.status == "out_of_scope" and r.missing == []
