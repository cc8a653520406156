"""扩张指数 and 外迁预警 (dossier/signals.py) on hand-built firms: each evidence item adds the points docs/dossier.md
documents, old records add nothing, a firm with no input at all is 数据不足 (None, never 0), and 外迁预警 does not
apply to a firm outside the officer's region."""
from __future__ import annotations

import datetime as dt

import pytest

from dossier import INSUFFICIENT, NOT_LOCAL, signals_for
from dossier_world import AS_OF, world
from graph.snapshot import Snapshot
from graph.sqlite_store import SQLiteStore
from graph.writer import write_objects


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    store = SQLiteStore(tmp_path_factory.mktemp("dossier") / "s.db")
    objs, rels = world()
    write_objects(store, objs, rels)
    yield Snapshot.build(store)
    store.close()


def exp(snap, key, **kw):
    return signals_for(snap, key, AS_OF, **kw)[0]


def rel(snap, key, **kw):
    return signals_for(snap, key, AS_OF, **kw)[1]


def test_no_input_is_insufficient_data_not_zero(snap):
    e, r = signals_for(snap, "BARE", AS_OF)
    assert e.score is None and e.status == INSUFFICIENT and e.level == INSUFFICIENT
    assert r.score is None and r.status == INSUFFICIENT
    assert "融资记录" in e.missing and "分支机构记录" in r.missing


@pytest.mark.parametrize("key,score,says", [
    ("ROUND", 15, "2025-01-15 完成A轮融资 3,000 万元，投资方 示例资本（合成）"),
    ("BIGROUND", 20, "完成B轮融资 2.00 亿元"),
    ("SUM", 15, "近两年融资额 500 万元（汇总数，无轮次明细）"),
    ("BRANCH", 8, "在柯城区新设柯城分公司"),
    ("CAPUP", 10, "注册资本由 1,000 万元 增至 1,200 万元（+20%）"),
    ("CAPBIG", 15, "（+100%）"),
    ("HIRE", 8, "在职人数由 100 人（2024-01-10）增至 115 人（2025-01-15），+15%"),  # 5 for +15 %, 3 for openings
    ("PROJ", 20, "招商项目「本地扩产项目（合成）」2024-08-01 进入签约阶段"),  # and the one in 深圳 at 洽谈
])
def test_each_expansion_item_adds_its_documented_points(snap, key, score, says):
    e = exp(snap, key)
    assert e.score == score, e
    assert any(says in ev.text for ev in e.evidence), [ev.text for ev in e.evidence]
    assert e.as_of == AS_OF


def test_a_round_before_the_window_is_known_but_adds_nothing(snap):
    e = exp(snap, "OLDROUND")
    assert e.score == 0 and e.status == "ok" and e.evidence == [] and "融资记录" not in e.missing
    # and it counts once the window reaches back to it
    assert signals_for(snap, "OLDROUND", "2022-06-30")[0].score == 15
    assert signals_for(snap, "ROUND", "2024-12-31")[0].score == 0  # a round after as_of is not yet known


@pytest.mark.parametrize("key,score,says", [
    ("MOVE", 20, "生产基地迁出至深圳市"),
    ("AWAYBR", 6, "在衢州市以外的深圳市新设深圳分公司"),
    ("CLOSE", 8, "注销柯城区的柯城分公司"),
    ("FALL", 12, "2024 年税收 70 万元，较 2023 年（100 万元）下降 30%"),
    ("SUPPLIER", 7.5, "2 家链主客户中 1 家在衢州市以外：LEADAWAY示例企业（合成）（深圳市，集成电路链主）"),
    ("PROJ", 10, "招商项目「深圳新基地项目（合成）」拟落地深圳市（衢州市以外），阶段 洽谈"),
])
def test_each_relocation_item_adds_its_documented_points(snap, key, score, says):
    r = rel(snap, key, region="衢州")
    assert r.score == round(score), r
    assert sum(ev.points for ev in r.evidence) == score
    assert any(says in ev.text for ev in r.evidence), [ev.text for ev in r.evidence]


def test_a_move_within_the_home_city_is_evidence_worth_nothing(snap):
    r = rel(snap, "INCITY", region="衢州")
    assert r.status == "ok" and r.score == 0 and r.components["分支机构外迁"] == 0
    assert [(ev.text, ev.points) for ev in r.evidence] == [("2025-01-15 仓库迁至衢江区（衢州市内），市内迁移，不计分", 0)]
    assert rel(snap, "INCITY").score == 0  # from its own city's point of view too


def test_a_branch_region_is_read_like_every_region_parameter(snap):
    """Branch records name regions as officers type them: 衢江 is 衢江区 (kernel.resolve), so still in 衢州市."""
    r = rel(snap, "INCITYNAME", region="衢州")
    assert r.score == 0 and "仓库迁至衢江区（衢州市内）" in r.evidence[0].text, r.evidence


def test_a_move_to_a_region_the_data_does_not_know_counts(snap):
    r = rel(snap, "MOVEUNK", region="衢州")
    assert r.score == 20 and any("研发中心迁出至某某新区" in ev.text for ev in r.evidence), r.evidence


def test_falling_indicators_by_size_of_the_fall_and_rising_ones_add_nothing(snap):
    r = rel(snap, "FALL")
    pts = {ev.text.split("，")[0]: ev.points for ev in r.evidence}
    assert pts == {"2024 年营业收入 900 万元": 4, "2024 年税收 70 万元": 8}  # −10 % → 4, −30 % → 8, output flat → 0
    rise = rel(snap, "RISE")
    assert rise.score == 0 and rise.status == "ok"


def test_relocation_does_not_apply_outside_the_officers_region(snap):
    r = rel(snap, "OUTSIDER", region="衢州")
    assert r.score is None and r.status == NOT_LOCAL and "不在衢州市" in r.note
    assert rel(snap, "OUTSIDER").score == 20  # from its own city's point of view it is moving away


def test_a_firm_without_a_registered_place_is_insufficient_data_not_outside(snap):
    r = rel(snap, "NOWHERE", region="衢州")
    assert r.score is None and r.status == INSUFFICIENT and r.level == INSUFFICIENT
    assert "不在" not in r.note and "注册地" in r.note and "未知" in r.note, r.note
    assert rel(snap, "NOWHERE").score == 20  # without a region: judged from no city, 迁出 still counts


def test_caps_hold_and_scores_stay_within_0_100(snap):
    for key in snap.keys("Enterprise").tolist():
        for s in signals_for(snap, key, dt.date(2025, 6, 30)):
            assert s.score is None or 0 <= s.score <= 100
    e = exp(snap, "PROJ")
    assert e.components["招商项目"] == 20  # 签约 here and 洽谈 in 深圳 count, 10 each …
    assert [ev.text for ev in e.evidence if "线索" in ev.text] == []  # … a 线索 never counts


def test_unknown_firm_is_404(snap):
    from kernel.errors import NotFound

    with pytest.raises(NotFound):
        signals_for(snap, "NOPE", AS_OF)
