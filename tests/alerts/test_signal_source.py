"""The 企业尽调 signals as a 内容订阅 source, on both backends: a firm's 扩张指数 entering 扩张活跃 after a change
to its records reaches its subscriber once; a firm's first change is its own baseline (no event for a level it
was already in); the event names the signal, its score and the score before; a subscription's min_score is its
own floor (it fires when the score crosses it upwards), the level line the default."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from alerts.commands import AlertRules, digest, process, subscribe
from alerts.model import EventDraft
from factories import seeded
from graph.snapshot import Snapshot
from graph.store import Batch, NodeRec

RULES = AlertRules(overdue_days=60, target_min_score=0, target_k=50, home_region="330800")
TODAY = dt.date(2026, 12, 6)
OWNER = "sig-officer"


@pytest.fixture(scope="module")
def app_data():
    return seeded(scale=150, seed=11)


def _run(store, today=TODAY):
    return process(store, lambda: Snapshot.build(store), rules=RULES, today=today)


def _set(store, key, **changes):
    props = {k: v for k, v in store.get("Enterprise", key).items() if k != "key"}
    store.write(Batch(nodes=[NodeRec("Enterprise", key, {**props, **changes})]))


def _signal_events(store):
    return [i.event for i in digest(store, owner=OWNER) if i.event.kind == "signal.crossed"]


def _quiet_local_firm(store):
    """A 衢州 firm with no dated records (its 扩张指数 starts below 扩张活跃)."""
    for k, p in store.iter_nodes("Enterprise"):
        if str(p.get("region", "")).startswith("3308") and not p.get("financing_rounds") and not p.get("branches") \
                and not p.get("capital_changes") and not p.get("recent_financing_wan") and not p.get("new_branches"):
            return k
    raise AssertionError("no quiet local firm in the seed")


def _expanding(region):
    rounds = [{"on": "2026-03-01", "round": "B轮", "amount_wan": 20000, "investors": ["示例基金（合成）"]},
              {"on": "2026-09-01", "round": "C轮", "amount_wan": 30000, "investors": []}]
    capital = [{"on": "2026-05-10", "from_wan": 1000, "to_wan": 3000}]
    branches = [{"on": "2026-04-01", "kind": "新设", "region": region, "name": "示例分公司（合成）"},
                {"on": "2026-08-01", "kind": "新设", "region": region, "name": "示例研发中心（合成）"}]
    return {"financing_rounds": [json.dumps(r, ensure_ascii=False) for r in rounds],
            "capital_changes": [json.dumps(c) for c in capital],
            "branches": [json.dumps(b, ensure_ascii=False) for b in branches]}


def test_expansion_crossing_reaches_the_firm_subscriber_exactly_once(store):
    firm = _quiet_local_firm(store)
    region = store.get("Enterprise", firm)["region"]
    subscribe(store, Snapshot.build(store), owner=OWNER, role="officer", park=None, kind="firm", subject=firm,
              home_region="330800")
    _run(store)  # the processor's baseline
    _set(store, firm, employees=123)  # the firm's own baseline: below the line, nothing to report
    _run(store)
    assert _signal_events(store) == []
    _set(store, firm, **_expanding(region))
    _run(store)
    [ev] = _signal_events(store)
    assert ev.subject_key == firm and ev.detail["signal"] == "expansion"
    assert ev.detail["score"] >= 60 and "扩张指数" in ev.title and "扩张活跃" in ev.title
    # processed again, or another unrelated edit while still above the line: nothing new
    _run(store)
    _set(store, firm, employees=130)
    _run(store)
    assert len(_signal_events(store)) == 1


def test_first_change_of_an_already_high_firm_is_its_baseline(store):
    firm = next(k for k, p in store.iter_nodes("Enterprise")
                if str(p.get("region", "")).startswith("3308") and not p.get("financing_rounds")
                and k != _quiet_local_firm(store))
    region = store.get("Enterprise", firm)["region"]
    # followed through its 行政区, not by name: the firm has no watched value until it changes
    subscribe(store, Snapshot.build(store), owner=OWNER, role="officer", park=None, kind="region", subject=region,
              home_region="330800")
    _run(store)
    _set(store, firm, **_expanding(region))  # first change seen for this firm: no "before" to cross from
    _run(store)
    assert [e for e in _signal_events(store) if e.subject_key == firm] == []


def _mild(region):
    """Records that put a quiet firm's 扩张指数 between 温和扩张 (30) and 扩张活跃 (60)."""
    rounds = [{"on": "2026-03-01", "round": "A轮", "amount_wan": 20000, "investors": []}]
    capital = [{"on": "2026-05-10", "from_wan": 1000, "to_wan": 3000}]
    return {"financing_rounds": [json.dumps(r, ensure_ascii=False) for r in rounds],
            "capital_changes": [json.dumps(c) for c in capital]}


def test_a_subscription_floor_lowers_the_line(store):
    """min_score=30 reports the firm when its 扩张指数 crosses 30 (from below 30 to about 40); a subscription without one only
    when it crosses 扩张活跃 (60). The event carries before and now."""
    from dossier import signals_for

    firm = _quiet_local_firm(store)
    region = store.get("Enterprise", firm)["region"]
    snap = Snapshot.build(store)
    subscribe(store, snap, owner="low", role="officer", park=None, kind="firm", subject=firm, home_region="330800",
              min_score=30)
    subscribe(store, snap, owner=OWNER, role="officer", park=None, kind="firm", subject=firm, home_region="330800")
    _run(store)
    _set(store, firm, employees=77)  # the firm's own baseline (扩张指数 below 30)
    _run(store)
    base = signals_for(Snapshot.build(store), firm, TODAY)[0].score or 0
    assert base < 30
    _set(store, firm, **_mild(region))
    _run(store)
    mild = signals_for(Snapshot.build(store), firm, TODAY)[0].score
    assert 30 <= mild < 60, mild
    [ev] = [i.event for i in digest(store, owner="low") if i.event.kind == "signal.crossed"]
    assert (ev.detail["signal"], ev.detail["before"], ev.detail["score"]) == ("expansion", base, mild)
    assert ev.detail["level"] == "温和扩张"
    assert _signal_events(store) == []  # the default line (60) was not crossed
    _set(store, firm, **_expanding(region))
    _run(store)
    [high] = _signal_events(store)
    assert high.detail["before"] == mild and high.detail["score"] >= 60 and high.detail["level"] == "扩张活跃"
    # the min_score=30 subscriber was already above its floor: no second event for it
    assert len([i for i in digest(store, owner="low") if i.event.kind == "signal.crossed"]) == 1


def test_a_followed_firm_is_rechecked_as_time_passes(store):
    """A firm subscribed to by name is re-checked on every pass: a financing round dated ahead enters the two-year
    window as days pass, with no write at all — one event, dated by the day it was seen, not repeated that day."""
    owner = "sig-time"
    firm = next(k for k, p in store.iter_nodes("Enterprise")
                if str(p.get("region", "")).startswith("3308") and not p.get("financing_rounds")
                and not p.get("branches") and not p.get("capital_changes"))
    region = store.get("Enterprise", firm)["region"]
    subscribe(store, Snapshot.build(store), owner=owner, role="officer", park=None, kind="firm", subject=firm,
              home_region="330800", min_score=10)
    _run(store)  # the followed firm's baseline
    ahead = TODAY + dt.timedelta(days=10)
    rounds = [json.dumps({"on": ahead.isoformat(), "round": "A轮", "amount_wan": 5000, "investors": []},
                         ensure_ascii=False)]
    _set(store, firm, financing_rounds=rounds)
    _run(store)  # the round is not yet in the window: nothing
    mine = lambda: [i.event for i in digest(store, owner=owner) if i.event.kind == "signal.crossed"]  # noqa: E731
    assert mine() == []
    later = ahead + dt.timedelta(days=1)
    _run(store, today=later)
    _run(store, today=later)
    [ev] = mine()
    assert ev.subject_key == firm and ev.detail["signal"] == "expansion" and ev.detail["score"] >= 10 > ev.detail["before"]
    seen_on = EventDraft(f"{ev.version}@{later.isoformat()}", "signal.crossed", "Enterprise", firm, "",
                         detail={"scope": "expansion"})
    assert ev.event_id == seen_on.event_id  # dated by the day it was seen
