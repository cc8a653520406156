"""内容订阅's processor on both backends: change → event → digest, exactly once (a second pass, a restarted
processor, a rival processor), every built-in event kind, role and park scoping of subscriptions."""
from __future__ import annotations

import datetime as dt

import pytest

from alerts.commands import AlertCursorMoved, AlertRules, digest, mark_read, process, subscribe, unsubscribe
from conftest import second_handle
from factories import seeded
from graph.snapshot import Snapshot
from graph.store import AlertBatch, Batch, NodeRec
from kernel.errors import Forbidden

RULES = AlertRules(overdue_days=60, target_min_score=0, target_k=200, home_region="330800")
TODAY = dt.date(2026, 12, 6)


@pytest.fixture(scope="module")
def app_data():
    return seeded(scale=200, seed=7)


def _run(store, **kw):
    return process(store, lambda: Snapshot.build(store), rules=RULES, today=kw.pop("today", TODAY), **kw)


def _sub(store, kind, subject, owner="off1", role="officer", park=None, **kw):
    return subscribe(store, Snapshot.build(store), owner=owner, role=role, park=park, kind=kind, subject=subject,
                     home_region="330800", **kw)[0]


def _set(store, label, key, **changes):
    props = {k: v for k, v in store.get(label, key).items() if k != "key"}
    store.write(Batch(nodes=[NodeRec(label, key, {**props, **changes})]))


def _kinds(store, owner="off1"):
    return sorted((i.event.kind, i.event.subject_key) for i in digest(store, owner=owner))


def test_parcel_change_reaches_the_digest_exactly_once(store):
    parcel = "syn.parcel.000000"
    sub = _sub(store, "parcel", parcel)
    assert _run(store).baseline  # first pass: the baseline, nothing recorded
    assert digest(store, owner="off1") == []
    _set(store, "LandParcel", parcel, status="reserved", reserved_by="syn.project.000000")
    r = _run(store)
    assert (r.events, r.deliveries) == (1, 1)
    [item] = digest(store, owner="off1")
    assert item.event.kind == "parcel.reserved" and item.sub_id == sub.sub_id and item.read_at is None
    assert "已预留" in item.event.title and "LandParcel:" + parcel in item.event.topics
    # again, from a restarted processor on another handle: nothing new
    assert _run(store).events == 0
    other = second_handle(store) if store.backend == "sqlite" else store
    try:
        assert _run(other).events == 0
    finally:
        if other is not store:
            other.close()
    assert len(digest(store, owner="off1")) == 1
    _set(store, "LandParcel", parcel, status="available")
    _set(store, "LandParcel", parcel, status="transferred", transferred_to="syn.project.000000")
    _run(store)
    assert _kinds(store) == [("parcel.reserved", parcel), ("parcel.transferred", parcel)]  # net change only
    assert mark_read(store, owner="off1", event_ids=None) == 2
    assert digest(store, owner="off1", unread_only=True) == []


def test_a_rival_processor_over_the_same_cursor_records_nothing(store):
    _sub(store, "parcel", "syn.parcel.000001")
    _run(store)
    held = int(store.alert_watch(["cursor"])["cursor"])
    _set(store, "LandParcel", "syn.parcel.000001", status="transferred", transferred_to="syn.project.000001")
    assert _run(store).events == 1
    with pytest.raises(AlertCursorMoved):  # one that read the old cursor cannot record the same versions again
        store.record_alerts(AlertBatch(cursor=store.version(), expect_cursor=held))
    assert len(digest(store, owner="off1")) == 1


class _MeetBeforeRecording:
    """A store handle whose record_alerts waits until the rival has also finished reading: both passes then read
    the same cursor before either records."""

    def __init__(self, handle, meet):
        self._handle, self._meet = handle, meet

    def __getattr__(self, name):
        return getattr(self._handle, name)

    def record_alerts(self, batch):
        self._meet.wait(60)
        return self._handle.record_alerts(batch)


def test_two_real_processors_over_the_same_cursor_record_once(store):
    """Two processors (two store handles, as the API's worker and the CLI) run a pass over the same change at the
    same time: one records the event, the other is refused (AlertCursorMoved) — one event, one digest entry."""
    import threading

    parcel = "syn.parcel.000004"
    _sub(store, "parcel", parcel)
    _run(store)
    _set(store, "LandParcel", parcel, status="reserved", reserved_by="syn.project.000002")
    other = second_handle(store)
    meet = threading.Barrier(2)
    results: list = []

    def one(handle):
        try:
            results.append(_run(_MeetBeforeRecording(handle, meet)).events)
        except AlertCursorMoved:
            results.append("moved")

    try:
        threads = [threading.Thread(target=one, args=(h,)) for h in (store, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        other.close()
    assert sorted(results, key=str) == [1, "moved"]
    assert [k for k in _kinds(store) if k[1] == parcel] == [("parcel.reserved", parcel)]
    assert len(store.get_alert_events([i.event.event_id for i in digest(store, owner="off1")])) == 1


def test_project_stage_and_overdue_reach_region_and_park_subscribers(store):
    key = "syn.project.000000"
    park = store.get("Project", key)["park"]
    _sub(store, "region", "衢州")
    _sub(store, "park", park, owner="pa", role="park_admin", park=park)
    _run(store)
    _set(store, "Project", key, stage="接洽", stage_on="2026-12-01")
    _run(store)
    assert ("project.stage", key) in _kinds(store, "pa")
    ev = next(i.event for i in digest(store, owner="pa") if i.event.kind == "project.stage")
    assert ev.detail["before"] == "线索" and ev.detail["stage"] == "接洽"
    # 60 days later the stage is overdue: recorded once, on the tick, whatever the number of ticks
    later = dt.date(2026, 12, 1) + dt.timedelta(days=61)
    _run(store, today=later)
    _run(store, today=later + dt.timedelta(days=1))
    overdue = [i for i in digest(store, owner="pa") if i.event.kind == "project.overdue" and i.event.subject_key == key]
    assert len(overdue) == 1 and overdue[0].event.detail["days"] == 61


def test_new_target_and_new_eligible_project(store):
    snap = Snapshot.build(store)
    seg = next(n.key for n in store.neighbours("IndustryChain", "ic", rel_type="PART_OF", direction="in"))
    _sub(store, "segment", seg, min_score=0)
    _sub(store, "park", "quzhou_zhizao")
    _run(store)
    # a firm outside 衢州 joins that IC segment: it becomes a target
    src = next(k for k, p in store.iter_nodes("Enterprise") if not str(p.get("region", "")).startswith("3308"))
    props = {k: v for k, v in store.get("Enterprise", src).items() if k != "key"}
    from graph.store import RelRec
    new_firm = "91110000MA00ALRT1X"
    store.write(Batch(nodes=[NodeRec("Enterprise", new_firm, {**props, "name": "订阅测试新企业（合成）"})],
                      rels=[RelRec("IN_SEGMENT", "Enterprise", new_firm, "Segment", seg, {})]))
    # a copy of a project that qualifies for an FDI reward item, in 智造新城: a newly eligible project
    base = {k: v for k, v in store.get("Project", "syn.project.000059").items() if k != "key"}
    store.write(Batch(nodes=[NodeRec("Project", "alerts.test.project", {**base, "name": "订阅测试项目（合成）"})]))
    _run(store)
    kinds = _kinds(store)
    assert ("target.new", new_firm) in kinds, kinds
    assert ("policy.eligible", "alerts.test.project") in kinds
    assert snap.n("Enterprise") + 1 == Snapshot.build(store).n("Enterprise")


def test_scoping_by_role_and_park(store):
    other = next(k for k, p in store.iter_nodes("LandParcel") if p.get("park") != "quzhou_zhizao")
    mine = next(k for k, p in store.iter_nodes("LandParcel") if p.get("park") == "quzhou_zhizao")
    with pytest.raises(Forbidden):
        _sub(store, "parcel", other, owner="pa", role="park_admin", park="quzhou_zhizao")
    with pytest.raises(Forbidden):
        _sub(store, "chain", "集成电路", owner="pa", role="park_admin", park="quzhou_zhizao")
    with pytest.raises(Forbidden):
        _sub(store, "parcel", mine, owner="v", role="viewer")
    s = _sub(store, "parcel", mine, owner="pa", role="park_admin", park="quzhou_zhizao")
    unsubscribe(store, owner="pa", sub_id=s.sub_id)
    assert store.list_subscriptions(owner="pa") == []


def test_overdue_projects_are_worked_out_from_the_snapshot_not_read_from_the_store(store, monkeypatch):
    from alerts.sources import overdue_projects

    keys = sorted(k for k, _ in store.iter_nodes("Project"))[:4]
    _set(store, "Project", keys[0], stage="洽谈", stage_on="2026-09-01")    # 96 days: overdue
    _set(store, "Project", keys[1], stage="达产", stage_on="2026-01-01")    # done: never overdue
    _set(store, "Project", keys[2], stage="签约", stage_on="2026-10-08")    # 59 days: not yet
    _set(store, "Project", keys[3], stage="签约", stage_on="2026-10-07")    # 60 days: overdue
    snap = Snapshot.build(store)
    late = {p["key"]: p for p in overdue_projects(snap, TODAY, 60)}
    assert keys[0] in late and keys[3] in late and keys[1] not in late and keys[2] not in late
    p = late[keys[0]]
    assert (p["stage"], p["stage_on"], p["name"]) == ("洽谈", "2026-09-01", store.get("Project", keys[0])["name"])
    assert p["park"] == store.get("Project", keys[0])["park"]  # its place, for the subscribers of its park
    _sub(store, "project", keys[0])
    _run(store)  # the baseline
    read: list[str] = []
    real = type(store).iter_nodes
    monkeypatch.setattr(type(store), "iter_nodes", lambda self, label, *a, **k: (read.append(label), real(self, label, *a, **k))[1])
    _run(store, today=TODAY + dt.timedelta(days=1))  # a tick, nothing written: no Project read from the store
    assert "Project" not in read


def test_a_revoked_keys_subscriptions_catch_nothing(store):
    """A key is revoked (`chainmatch keys revoke`): its subscriptions stay stored but catch nothing — no digest
    entry, no webhook job — while another officer's subscription to the same park still hears of the change. A new
    key for the same person is a new owner: it starts with none of the old key's subscriptions."""
    from api.auth import create_key

    temp, _ = create_key(store, name="临时专员", role="officer")
    _sub(store, "park", "智造新城", owner=temp.key_id)
    _sub(store, "parcel", "syn.parcel.000005", owner=temp.key_id, webhook_url="http://127.0.0.1:9/revoked",
         allow_hosts=("127.0.0.1",))
    _sub(store, "park", "智造新城")  # off1, live
    _run(store)
    assert store.revoke_api_key(temp.key_id, "2026-12-06T03:00:00+00:00")
    _set(store, "LandParcel", "syn.parcel.000005", status="reserved", reserved_by="syn.project.000000")
    r = _run(store)
    assert r.events == 1 and (r.deliveries, r.jobs) == (1, 0)
    assert digest(store, owner=temp.key_id) == [] and store.list_webhook_jobs(owner=temp.key_id) == []
    assert _kinds(store) == [("parcel.reserved", "syn.parcel.000005")]
    again, _ = create_key(store, name="临时专员", role="officer")
    assert store.list_subscriptions(owner=again.key_id) == []


def test_a_parcel_admitting_every_chain_reaches_chain_subscriptions(store):
    """产业准入 不限 (allowed_chains empty) admits every chain: a chain subscriber hears of such a parcel, as of one
    that lists the chain; not of a parcel restricted to other chains; a segment subscription is not a chain's."""
    open_ = next(k for k, p in store.iter_nodes("LandParcel") if not p.get("allowed_chains") and p.get("status") == "available")
    listed = next(k for k, p in store.iter_nodes("LandParcel") if "ic" in (p.get("allowed_chains") or [])
                  and p.get("status") == "available")
    other = next(k for k, p in store.iter_nodes("LandParcel") if p.get("allowed_chains")
                 and "ic" not in p["allowed_chains"] and p.get("status") == "available")
    seg = next(n.key for n in store.neighbours("IndustryChain", "ic", rel_type="PART_OF", direction="in"))
    _sub(store, "chain", "集成电路")
    _sub(store, "segment", seg, owner="seg")
    _run(store)
    for k in (open_, listed, other):
        _set(store, "LandParcel", k, status="reserved", reserved_by="syn.project.000000")
    _run(store)
    parcels = [k for kind, k in _kinds(store) if kind == "parcel.reserved"]
    assert sorted(parcels) == sorted([open_, listed])
    assert not [i for i in digest(store, owner="seg") if i.event.kind.startswith("parcel.")]
