"""What 企业尽调's signals count (dossier/signals.py, docs/dossier.md): only records of the two years before as_of
— headcount and yearly indicators too, a year only once it has ended —, every recorded entry (two identical A轮
rounds are two rounds, through a full build, a patched snapshot and a saved one), and points shown to one decimal
that add up to the score."""
from __future__ import annotations

import datetime as dt

import pytest

from dossier import signals_for
from dossier_world import AWAY, base_objects, firm, j
from graph.snapshot import Snapshot
from graph.sqlite_store import SQLiteStore
from graph.store import RelRec
from graph.writer import write_objects

TODAY = "2026-12-06"
SAME_BRANCH = j(on="2026-03-01", kind="新设", region=AWAY, name="深圳分公司")
SAME_ROUND = j(on="2026-03-01", round="A轮", amount_wan=3000)


def window_firms() -> list:
    return [
        # the reviewer's firm: everything it records is ten years old
        firm("OLDHC", headcount_history=[j(on="2015-06-30", employees=100), j(on="2016-06-30", employees=200)],
             yearly_indicators=[j(year=2015, revenue_wan=1000, tax_wan=100, output_wan=1000),
                                j(year=2016, revenue_wan=500, tax_wan=50, output_wan=500)]),
        firm("OLDFALL", headcount_history=[j(on="2015-06-30", employees=200), j(on="2016-06-30", employees=100)]),
        firm("YEARS", yearly_indicators=[j(year=2023, revenue_wan=1000), j(year=2024, revenue_wan=1000),
                                         j(year=2025, revenue_wan=500)]),
        firm("CAPPED", headcount_history=[j(on="2025-06-30", employees=1000),
                                          j(on="2026-06-30", employees=1298, openings=269)]),
        firm("HALF", headcount_history=[j(on="2025-06-30", employees=100), j(on="2026-06-30", employees=80)]),
        firm("LEADAWAY", region=AWAY), firm("LEADHOME"),
        firm("TWICE", branches=[SAME_BRANCH] * 3, financing_rounds=[SAME_ROUND] * 2),
    ]


def window_rels() -> list[RelRec]:
    return [
        RelRec("SUPPLIES", "Enterprise", "HALF", "Enterprise", "LEADAWAY", {"share": 0.3}),
        RelRec("SUPPLIES", "Enterprise", "HALF", "Enterprise", "LEADHOME", {"share": 0.2}),
        RelRec("LEADS", "Enterprise", "LEADAWAY", "IndustryChain", "ic", {"region": AWAY}),
        RelRec("LEADS", "Enterprise", "LEADHOME", "IndustryChain", "ic", {"region": "330800"}),
    ]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = SQLiteStore(tmp_path_factory.mktemp("window") / "s.db")
    write_objects(s, base_objects() + window_firms(), window_rels())
    yield s
    s.close()


@pytest.fixture(scope="module")
def snap(store):
    return Snapshot.build(store)


def test_headcount_and_indicators_older_than_two_years_add_nothing(snap):
    e, r = signals_for(snap, "OLDHC", TODAY, region="衢州")
    assert e.status == "ok" and e.components["用工"] == 0 and e.evidence == [], e.evidence
    assert r.status == "ok" and r.components["经营指标下滑"] == 0 and r.evidence == [], r.evidence
    fall = signals_for(snap, "OLDFALL", TODAY, region="衢州")[1]
    assert fall.status == "ok" and fall.components["经营指标下滑"] == 0
    # in their own time they counted
    assert signals_for(snap, "OLDHC", "2017-01-01")[0].components["用工"] == 10
    assert signals_for(snap, "OLDHC", "2017-01-01")[1].components["经营指标下滑"] == 24


def test_a_years_figures_count_only_once_the_year_has_ended(snap):
    def falling(on: str) -> float:
        return signals_for(snap, "YEARS", on)[1].components["经营指标下滑"]

    assert falling("2025-01-02") == 0  # 2023 → 2024 flat; 2025's halving is not known on 2 January 2025
    assert falling("2025-12-30") == 0
    assert falling("2025-12-31") == 8  # 2025 has ended: revenue −50 % (≥ 20 %: 8)
    r = signals_for(snap, "YEARS", "2026-01-02")[1]
    assert [ev.text for ev in r.evidence] == ["2025 年营业收入 500 万元，较 2024 年（1,000 万元）下降 50%"]
    assert r.evidence[0].points == 8


def test_points_are_shown_to_one_decimal_and_add_up(snap):
    e = signals_for(snap, "CAPPED", TODAY)[0]
    texts = [ev.text for ev in e.evidence]
    assert texts[1] == "2026-06-30 在招岗位 269 个（本项已达上限 10 分，计 0.1 分）", texts
    assert [ev.points for ev in e.evidence] == [9.9, 0.1]
    assert e.components["用工"] == 10 and e.score == 10
    for key in ("CAPPED", "HALF", "OLDHC", "YEARS", "TWICE"):
        for s in signals_for(snap, key, TODAY, region="衢州"):
            if s.score is not None:
                assert all(ev.points == round(ev.points, 1) for ev in s.evidence)
                assert round(sum(ev.points for ev in s.evidence), 1) == round(sum(s.components.values()), 1)


def test_the_score_is_the_points_shown_rounded_half_up(snap):
    r = signals_for(snap, "HALF", TODAY, region="衢州")[1]
    assert sorted(ev.points for ev in r.evidence) == [5, 7.5]  # headcount −20 %, one of two 链主 customers away
    assert r.score == 13  # 12.5 → 13, as an officer adds it up (not 12, as round-half-even would)


def _twice(s: Snapshot) -> tuple[dict[str, float], dict[str, float]]:
    e, r = signals_for(s, "TWICE", TODAY, region="衢州")
    return e.components, r.components


def test_identical_entries_each_count_in_a_built_snapshot(snap):
    e, r = _twice(snap)
    assert e["融资"] == 30 and e["新设分支机构"] == 20 and r["分支机构外迁"] == 18  # 2 × 15; 3 × 8 capped; 3 × 6


def test_identical_entries_each_count_after_a_patch_and_a_save(store, snap, tmp_path):
    from graph.writer import write_objects as write

    write(store, [firm("TWICE2", branches=[SAME_BRANCH] * 3, financing_rounds=[SAME_ROUND] * 2),
                  firm("TWICE", branches=[SAME_BRANCH] * 2, financing_rounds=[SAME_ROUND] * 2)])
    patched = snap.apply(store.changes_since(snap.version))
    e, r = signals_for(patched, "TWICE2", TODAY, region="衢州")
    assert e.components["融资"] == 30 and r.components["分支机构外迁"] == 18
    assert _twice(patched)[1]["分支机构外迁"] == 12  # the rewritten firm: two now
    full = Snapshot.build(store)
    m, p = full.multi_hot("Enterprise", "branches"), patched.multi_hot("Enterprise", "branches")
    assert (m[0] != p[0]).nnz == 0 and list(m[1]) == list(p[1])  # the patch equals a full build, counts and all
    path = tmp_path / "snap.npz"
    patched.save(str(path))
    assert signals_for(Snapshot.load(str(path)), "TWICE2", TODAY)[0].components["融资"] == 30


def test_a_tag_listed_twice_is_still_one_membership(store):
    write_objects(store, [firm("TAGS", tags=["专精特新", "专精特新"])])
    m, vocab = Snapshot.build(store).multi_hot("Enterprise", "tags")
    assert set(m.data.tolist()) == {1.0}


@pytest.mark.parametrize("day,expect", [
    ("2024-04-24", None),  # before its first stage: the project did not exist yet
    ("2024-06-10", ("接洽", "2024-06-10")),
    ("2024-11-01", ("洽谈", "2024-10-01")),
    ("2025-06-30", ("注册", "2025-03-21")),
])
def test_a_projects_stage_on_a_day_is_its_last_transition_by_then(day, expect):
    from dossier.records import stage_as_of

    history = [{"on": "2024-04-25", "to": "线索"}, {"on": "2024-06-10", "from": "线索", "to": "接洽"},
               {"on": "2024-10-01", "from": "接洽", "to": "洽谈"}, {"on": "2024-12-06", "from": "洽谈", "to": "签约"},
               {"on": "2025-03-21", "from": "签约", "to": "注册"}]
    assert stage_as_of("注册", "2025-03-21", "2024-12-06", history, dt.date.fromisoformat(day)) == expect


def test_without_a_history_the_current_stage_counts_from_its_date():
    from dossier.records import stage_as_of

    assert stage_as_of("签约", "2025-03-01", None, None, dt.date(2025, 2, 1)) is None
    assert stage_as_of("签约", "2025-03-01", None, None, dt.date(2025, 3, 1)) == ("签约", "2025-03-01")
    assert stage_as_of("线索", None, None, None, dt.date(2020, 1, 1)) == ("线索", None)  # undated: as recorded
