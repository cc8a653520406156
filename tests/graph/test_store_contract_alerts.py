"""Store contract for the 内容订阅 records (subscriptions, events, digests, webhook outbox, processor state): both
backends answer alike, a processor pass recorded twice keeps one record of everything, and none of it is graph
data (counts, version and the change log never see it)."""
from __future__ import annotations

from graph.store import AlertBatch, AlertEventRec, StoreError, SubscriptionRec, WebhookJob

import pytest


def _sub(sub_id: str, owner: str = "k1", **kw) -> SubscriptionRec:
    base = dict(kind="parcel", key="P1", name="一号地块", created_at=f"2026-12-06T01:00:0{sub_id[-1]}+00:00")
    return SubscriptionRec(sub_id, owner, **{**base, **kw})


def _ev(eid: str, ver: int, **kw) -> AlertEventRec:
    return AlertEventRec(eid, ver, kw.get("kind", "parcel.listed"), "LandParcel", "P1", f"地块挂牌 {eid}",
                         f"2026-12-06T02:00:{ver:02d}+00:00", ("LandParcel:P1", "Region:330800"),
                         {"status": "available", "area_mu": 12.5})


def test_subscriptions_are_kept_per_owner(any_store):
    s = any_store
    s.put_subscription(_sub("s1", min_score=80.0, region="330800", webhook_url="http://x/hook", secret="abc"))
    s.put_subscription(_sub("s2", owner="k2", kind="chain", key="ic", name="集成电路"))
    with pytest.raises(StoreError):
        s.put_subscription(_sub("s1"))
    assert [r.sub_id for r in s.list_subscriptions()] == ["s1", "s2"]
    mine = s.list_subscriptions(owner="k1")
    assert mine == [_sub("s1", min_score=80.0, region="330800", webhook_url="http://x/hook", secret="abc")]
    assert s.delete_subscription("s2", owner="k1") is False  # not k1's
    assert s.delete_subscription("s2", owner="k2") is True
    assert s.delete_subscription("s2") is False
    assert [r.sub_id for r in s.list_subscriptions()] == ["s1"]


def test_recording_a_pass_twice_keeps_one_of_each(any_store):
    s = any_store
    v0, counts0 = s.version(), s.counts()
    job = WebhookJob("s1|e1", "s1", "k1", "e1", "pending", 0, "2026-12-06T02:00:00+00:00", None,
                     "2026-12-06T02:00:00+00:00")
    batch = AlertBatch(events=[_ev("e1", 3), _ev("e2", 4)], inbox=[("k1", "e1", "s1"), ("k1", "e2", "s1")],
                       jobs=[job], watch={"p:P1": "available", "p:P2": "reserved"})
    assert s.record_alerts(batch) == 2
    assert s.record_alerts(batch) == 0
    s.record_alerts(AlertBatch(cursor=4))
    assert s.alert_watch(["p:P1", "p:P2", "p:P3", "cursor"]) == {"p:P1": "available", "p:P2": "reserved", "cursor": "4"}
    inbox = s.list_inbox("k1")
    assert [i.event.event_id for i in inbox] == ["e2", "e1"]  # newest first
    assert inbox[1].event == _ev("e1", 3) and inbox[1].sub_id == "s1" and inbox[1].read_at is None
    assert s.list_webhook_jobs(owner="k1") == [job]
    assert s.get_alert_events(["e2", "nope", "e1"]) == [_ev("e2", 4), _ev("e1", 3)]
    # forgetting a watched value; administrative records are not graph data
    s.record_alerts(AlertBatch(watch={"p:P2": None}))
    assert s.alert_watch(["p:P2"]) == {}
    assert s.version() == v0 and s.counts() == counts0 and s.changes_since(v0) is not None


def test_read_marks_put_unread_first(any_store):
    s = any_store
    s.record_alerts(AlertBatch(events=[_ev("e1", 1), _ev("e2", 2), _ev("e3", 3)],
                               inbox=[("k1", "e1", "s1"), ("k1", "e2", "s1"), ("k1", "e3", "s1"), ("k2", "e3", "s9")]))
    assert s.mark_read("k1", ["e3", "nope"], "2026-12-06T03:00:00+00:00") == 1
    assert s.mark_read("k1", ["e3"], "2026-12-06T03:00:01+00:00") == 0  # already read
    items = s.list_inbox("k1")
    assert [(i.event.event_id, i.read_at) for i in items] == [
        ("e2", None), ("e1", None), ("e3", "2026-12-06T03:00:00+00:00")]
    assert [i.event.event_id for i in s.list_inbox("k1", unread_only=True)] == ["e2", "e1"]
    assert s.mark_read("k1", None, "2026-12-06T04:00:00+00:00") == 2
    assert s.list_inbox("k1", unread_only=True) == []
    assert [i.event.event_id for i in s.list_inbox("k2", unread_only=True)] == ["e3"]  # another officer's marks


def test_the_unread_count_is_the_whole_digest_not_a_page(any_store):
    s = any_store
    s.record_alerts(AlertBatch(events=[_ev(f"e{i}", i) for i in range(1, 6)],
                               inbox=[("k1", f"e{i}", "s1") for i in range(1, 6)] + [("k2", "e1", "s9")]))
    assert len(s.list_inbox("k1", limit=2)) == 2
    assert (s.count_unread("k1"), s.count_unread("k2"), s.count_unread("nobody")) == (5, 1, 0)
    s.mark_read("k1", ["e2", "e4"], "2026-12-06T03:00:00+00:00")
    assert (s.count_unread("k1"), s.count_unread("k2")) == (3, 1)


def test_webhook_outbox_due_and_update(any_store):
    s = any_store
    jobs = [WebhookJob(f"s1|e{i}", "s1", "k1", f"e{i}", "pending", 0, f"2026-12-06T02:00:0{i}+00:00", None,
                       f"2026-12-06T02:00:0{i}+00:00") for i in range(3)]
    s.record_alerts(AlertBatch(events=[_ev(f"e{i}", i + 1) for i in range(3)], jobs=jobs))
    due = s.due_webhook_jobs("2026-12-06T02:00:01+00:00")
    assert [j.job_id for j in due] == ["s1|e0", "s1|e1"]
    failed = WebhookJob("s1|e0", "s1", "k1", "e0", "failed", 5, "2026-12-06T02:00:00+00:00", "HTTP 500",
                        "2026-12-06T02:10:00+00:00")
    s.update_webhook_job(failed)
    assert [j.job_id for j in s.due_webhook_jobs("2026-12-06T09:00:00+00:00", limit=5)] == ["s1|e1", "s1|e2"]
    assert s.list_webhook_jobs(owner="k1")[0] == failed  # most recently updated first
    assert s.list_webhook_jobs(owner="k2") == []


def test_a_pass_is_recorded_only_over_the_cursor_it_read(any_store):
    """Two processors that read the same cursor: the second's pass is refused whole (compare-and-set)."""
    from graph.store import AlertCursorMoved

    s = any_store
    assert s.record_alerts(AlertBatch(events=[_ev("e1", 1)], watch={"p:P1": "a"}, cursor=5, expect_cursor=None)) == 1
    with pytest.raises(AlertCursorMoved):
        s.record_alerts(AlertBatch(events=[_ev("e2", 2)], watch={"p:P1": "b"}, cursor=6, expect_cursor=None))
    assert s.alert_watch(["p:P1", "cursor"]) == {"p:P1": "a", "cursor": "5"}
    assert s.list_inbox("k1") == [] and s.record_alerts(AlertBatch(events=[_ev("e2", 2)])) == 1  # e2 was not kept
    assert s.record_alerts(AlertBatch(cursor=7, expect_cursor=5)) == 0
    assert s.alert_watch(["cursor"]) == {"cursor": "7"}


def test_a_due_job_is_claimed_by_one_sender_and_reclaimed_after_its_lease(any_store):
    """Claiming is atomic: the first sender marks the job 'sending' until its lease runs out; a rival's claim at
    the same moment is refused; once the lease has passed (the sender died) the job is due again and claimable."""
    s = any_store
    job = WebhookJob("s1|e1", "s1", "k1", "e1", "pending", 0, "2026-12-06T02:00:00+00:00", None,
                     "2026-12-06T02:00:00+00:00")
    s.record_alerts(AlertBatch(events=[_ev("e1", 1)], jobs=[job]))
    assert s.claim_webhook_job("s1|e1", "2026-12-06T01:59:59+00:00", "2026-12-06T02:01:00+00:00") is False  # not due
    assert s.claim_webhook_job("s1|e1", "2026-12-06T02:00:05+00:00", "2026-12-06T02:00:40+00:00") is True
    assert s.claim_webhook_job("s1|e1", "2026-12-06T02:00:05+00:00", "2026-12-06T02:00:40+00:00") is False
    [held] = s.list_webhook_jobs(owner="k1")
    assert (held.status, held.next_at) == ("sending", "2026-12-06T02:00:40+00:00")
    assert s.due_webhook_jobs("2026-12-06T02:00:30+00:00") == []  # leased
    assert [j.job_id for j in s.due_webhook_jobs("2026-12-06T02:00:41+00:00")] == ["s1|e1"]  # the lease ran out
    assert s.claim_webhook_job("s1|e1", "2026-12-06T02:00:41+00:00", "2026-12-06T02:01:20+00:00") is True
    s.update_webhook_job(WebhookJob("s1|e1", "s1", "k1", "e1", "delivered", 1, "2026-12-06T02:01:20+00:00", None,
                                    "2026-12-06T02:00:42+00:00"))
    assert s.claim_webhook_job("s1|e1", "2026-12-06T09:00:00+00:00", "2026-12-06T09:01:00+00:00") is False
    assert s.claim_webhook_job("nope", "2026-12-06T09:00:00+00:00", "2026-12-06T09:01:00+00:00") is False


def test_a_claim_from_a_stale_copy_of_the_job_is_refused(any_store):
    """A sender that read a job (attempts 0) before a rival tried it (attempts 1, retry due again) must not claim it
    on its old copy: it would write attempts 1 again, losing the rival's try and stretching max_attempts."""
    s = any_store
    job = WebhookJob("s1|e1", "s1", "k1", "e1", "pending", 0, "2026-12-06T02:00:00+00:00", None,
                     "2026-12-06T02:00:00+00:00")
    s.record_alerts(AlertBatch(events=[_ev("e1", 1)], jobs=[job]))
    assert s.claim_webhook_job("s1|e1", "2026-12-06T02:00:01+00:00", "2026-12-06T02:00:40+00:00", attempts=0)
    s.update_webhook_job(WebhookJob("s1|e1", "s1", "k1", "e1", "pending", 1, "2026-12-06T02:00:30+00:00", "HTTP 500",
                                    "2026-12-06T02:00:02+00:00"))  # the rival's failed try, due again at 02:00:30
    assert s.claim_webhook_job("s1|e1", "2026-12-06T02:01:00+00:00", "2026-12-06T02:02:00+00:00", attempts=0) is False
    assert s.claim_webhook_job("s1|e1", "2026-12-06T02:01:00+00:00", "2026-12-06T02:02:00+00:00", attempts=1) is True
