"""Webhook delivery to a real local HTTP server: the signature verifies, a 500 is retried after the backoff, the
job is given up after the attempt limit (visible as failed), a hanging receiver never slows a write through the
API, two rival senders post a job once, and the egress rules hold at send time (a local receiver needs the allow
list, redirects are not followed, errors are reported as a short class, never the raw socket error)."""
from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
import time

import pytest

from alerts import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from alerts.commands import AlertRules, AlertWorker, deliver_due, process, subscribe
from alerts.commands.webhooks import WebhookRules
from conftest import open_api, second_handle
from factories import seeded
from graph.snapshot import Snapshot
from graph.store import AlertBatch, Batch, NodeRec

PARCEL = "syn.parcel.000002"
ALLOW = ("127.0.0.1",)  # the local receivers below are on the loopback address: allowed only by the allow list


@pytest.fixture(scope="module")
def app_data():
    return seeded(scale=200, seed=7)


class Receiver:
    """A local HTTP server answering each POST with the next status of `answers` (then 200), or hanging."""

    def __init__(self, answers=(), hang: float = 0.0, location: str = ""):
        self.answers, self.hang, self.got, self.location = list(answers), hang, [], location
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                if outer.hang:
                    time.sleep(outer.hang)
                self.send_response(outer.answers.pop(0) if outer.answers else 200)
                if outer.location:
                    self.send_header("Location", outer.location)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _setup(store, url):
    snap = Snapshot.build(store)
    rec, secret = subscribe(store, snap, owner="off1", role="officer", park=None, kind="parcel", subject=PARCEL,
                            webhook_url=url, allow_hosts=ALLOW)
    process(store, lambda: Snapshot.build(store))
    props = {k: v for k, v in store.get("LandParcel", PARCEL).items() if k != "key"}
    store.write(Batch(nodes=[NodeRec("LandParcel", PARCEL, {**props, "status": "reserved"})]))
    assert process(store, lambda: Snapshot.build(store)).jobs == 1
    return rec, secret


def test_signed_delivery_retry_after_500_and_give_up(store):
    rx = Receiver(answers=[500])
    try:
        rec, secret = _setup(store, rx.url)
        rules = WebhookRules(timeout_s=5, max_attempts=3, backoff_s=60, backoff_max_s=600, allow_hosts=ALLOW)
        t0 = dt.datetime.now(dt.timezone.utc)
        [j] = deliver_due(store, rules=rules, now=t0)
        assert (j.status, j.attempts, j.last_error) == ("pending", 1, "HTTP 500")
        assert deliver_due(store, rules=rules, now=t0 + dt.timedelta(seconds=30)) == []  # backing off
        [j] = deliver_due(store, rules=rules, now=t0 + dt.timedelta(seconds=61))
        assert (j.status, j.attempts) == ("delivered", 2)
        headers, body = rx.got[-1]
        assert verify(secret, body, headers[TIMESTAMP_HEADER.lower()], headers[SIGNATURE_HEADER.lower()], now=t0.timestamp() + 61)
        assert not verify("wrong", body, headers[TIMESTAMP_HEADER.lower()], headers[SIGNATURE_HEADER.lower()], now=t0.timestamp() + 61)
        doc = json.loads(body)
        assert doc["event"]["kind"] == "parcel.reserved" and doc["subscription"]["id"] == rec.sub_id
        assert len(rx.got) == 2
    finally:
        rx.close()


def test_gives_up_after_the_limit(store):
    rx = Receiver(answers=[500] * 10)
    try:
        _setup(store, rx.url)
        rules = WebhookRules(timeout_s=5, max_attempts=3, backoff_s=1, backoff_max_s=2, allow_hosts=ALLOW)
        t = dt.datetime.now(dt.timezone.utc)
        for i in range(5):
            deliver_due(store, rules=rules, now=t + dt.timedelta(seconds=10 * i))
        [j] = store.list_webhook_jobs(owner="off1")
        assert (j.status, j.attempts, j.last_error) == ("failed", 3, "HTTP 500")
        assert len(rx.got) == 3
    finally:
        rx.close()


def test_a_hanging_receiver_does_not_slow_writes_through_the_api(store, tmp_path):
    """The app's own worker is stuck in a receiver that hangs; a write through the API still answers at once."""
    rx = Receiver(hang=3.0)
    try:
        _setup(store, rx.url)
        app_data = seeded(alerts={"poll_seconds": 0.1, "webhook_timeout_s": 2, "webhook_max_attempts": 2,
                                  "webhook_backoff_s": 0, "webhook_allow_hosts": list(ALLOW)})
        with open_api(store, tmp_path, app_data) as env:
            deadline = time.monotonic() + 10
            while not rx.got and time.monotonic() < deadline:  # the app's sender thread is now stuck in the receiver
                time.sleep(0.05)
            assert rx.got
            t = time.monotonic()
            r = env.client.put("/api/v1/parcels/alerts-hang-test", headers=env.h("admin"),
                               json={"name": "挂起测试地块（合成）", "park": "quzhou_zhizao", "region": "330800",
                                     "area_mu": 50})
            assert r.status_code == 201, r.text
            assert time.monotonic() - t < 1.0
    finally:
        rx.close()


def test_two_rival_senders_post_a_due_job_once(store):
    """Two senders (e.g. the API's worker and the CLI, each with its own store handle) find the same due job while
    the receiver is slow: only the one that claimed it posts."""
    rx = Receiver(hang=1.0)
    other = second_handle(store)
    try:
        _setup(store, rx.url)
        rules = WebhookRules(timeout_s=5, max_attempts=3, backoff_s=60, allow_hosts=ALLOW)
        start = threading.Barrier(2)
        sent: dict[str, list] = {}

        def send(name, handle):
            start.wait(5)
            sent[name] = deliver_due(handle, rules=rules)

        threads = [threading.Thread(target=send, args=(n, h)) for n, h in (("a", store), ("b", other))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert len(rx.got) == 1
        assert sorted(len(v) for v in sent.values()) == [0, 1]
        [j] = store.list_webhook_jobs(owner="off1")
        assert (j.status, j.attempts) == ("delivered", 1)
    finally:
        other.close()
        rx.close()


def test_a_claimed_job_of_a_dead_sender_is_sent_after_its_lease(store):
    rx = Receiver()
    try:
        _setup(store, rx.url)
        rules = WebhookRules(timeout_s=5, lease_margin_s=30, allow_hosts=ALLOW)
        t0 = dt.datetime.now(dt.timezone.utc)
        [job] = store.due_webhook_jobs(t0.isoformat(timespec="seconds"))
        lease = (t0 + dt.timedelta(seconds=35)).isoformat(timespec="seconds")
        assert store.claim_webhook_job(job.job_id, t0.isoformat(timespec="seconds"), lease)  # …and the sender dies
        assert deliver_due(store, rules=rules, now=t0 + dt.timedelta(seconds=10)) == []  # leased
        [j] = deliver_due(store, rules=rules, now=t0 + dt.timedelta(seconds=36))
        assert j.status == "delivered" and len(rx.got) == 1
    finally:
        rx.close()


def test_send_time_checks_allow_list_redirects_and_generic_errors(store):
    rx = Receiver()
    target = Receiver()
    bounce = Receiver(answers=[302], location=target.url)
    try:
        _setup(store, rx.url)
        t0 = dt.datetime.now(dt.timezone.utc)
        # the allow list was emptied since subscribing: the loopback receiver is refused right before sending
        [j] = deliver_due(store, rules=WebhookRules(max_attempts=5, backoff_s=1), now=t0)
        assert j.status == "pending" and "不允许" in j.last_error and rx.got == []
        # a redirect is a failure, not followed
        _retarget(store, bounce.url)
        [j] = deliver_due(store, rules=WebhookRules(max_attempts=5, backoff_s=1, allow_hosts=ALLOW),
                          now=t0 + dt.timedelta(seconds=10))
        assert "重定向" in j.last_error and "未跟随" in j.last_error and len(bounce.got) == 1 and target.got == []
        # nothing listening: a short class, never the raw socket error (no port-scan oracle)
        closed = Receiver()
        url = closed.url
        closed.close()
        _retarget(store, url)
        [j] = deliver_due(store, rules=WebhookRules(max_attempts=5, backoff_s=1, allow_hosts=ALLOW),
                          now=t0 + dt.timedelta(seconds=30))
        assert j.last_error == "连接失败"
        # a receiver slower than the timeout
        slow = Receiver(hang=2.0)
        _retarget(store, slow.url)
        [j] = deliver_due(store, rules=WebhookRules(timeout_s=0.5, max_attempts=5, backoff_s=1, allow_hosts=ALLOW),
                          now=t0 + dt.timedelta(seconds=60))
        assert j.last_error == "超时"
        slow.close()
    finally:
        for r in (rx, target, bounce):
            r.close()


def _retarget(store, url):
    """Point the test subscription's webhook at another receiver (as if its DNS had changed)."""
    [sub] = [s for s in store.list_subscriptions(owner="off1") if s.webhook_url]
    store.delete_subscription(sub.sub_id)
    from dataclasses import replace
    store.put_subscription(replace(sub, webhook_url=url))


def test_a_revoked_keys_webhook_receives_nothing_not_even_its_pending_jobs(store):
    """A key with a webhook subscription is revoked while a job for it is pending: the sender does not post it (the
    job ends failed, saying why), and later changes queue nothing for it."""
    from api.auth import create_key

    rx = Receiver()
    try:
        temp, _ = create_key(store, name="临时专员", role="officer")
        subscribe(store, Snapshot.build(store), owner=temp.key_id, role="officer", park=None, kind="park",
                  subject="智造新城", webhook_url=rx.url, allow_hosts=ALLOW)
        process(store, lambda: Snapshot.build(store))
        parcel = next(k for k, p in store.iter_nodes("LandParcel") if p.get("park") == "quzhou_zhizao")
        props = {k: v for k, v in store.get("LandParcel", parcel).items() if k != "key"}
        store.write(Batch(nodes=[NodeRec("LandParcel", parcel, {**props, "status": "transferred"})]))
        assert process(store, lambda: Snapshot.build(store)).jobs == 1
        assert store.revoke_api_key(temp.key_id, dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
        [j] = deliver_due(store, rules=WebhookRules(allow_hosts=ALLOW))
        assert j.status == "failed" and "吊销" in j.last_error and rx.got == []
        store.write(Batch(nodes=[NodeRec("LandParcel", "alerts-revoked-test", {
            "name": "吊销测试地块（合成）", "park": "quzhou_zhizao", "region": "330800", "area_mu": 30})]))
        assert process(store, lambda: Snapshot.build(store)).jobs == 0
        assert deliver_due(store, rules=WebhookRules(allow_hosts=ALLOW)) == [] and rx.got == []
    finally:
        rx.close()


def test_each_job_is_claimed_and_signed_when_it_is_sent(store):
    """Two hanging receivers' jobs come first in the batch, a healthy one's last. The healthy POST is signed with the
    time it is sent (the documented verify() accepts it), and its claim holds from that moment: a rival sender (the
    CLI) running while the receiver is answering does not post it again."""
    from dataclasses import replace

    hang1, hang2 = Receiver(hang=3.0), Receiver(hang=3.0)
    healthy = Receiver()
    other = second_handle(store)
    rules = WebhookRules(timeout_s=1.0, max_attempts=1, lease_margin_s=0.5, allow_hosts=ALLOW)
    rival: list = []
    seen_at: list[float] = []
    try:
        rec, secret = _setup(store, healthy.url)  # one job, for the healthy receiver (hex sub_id: sorts after "-…")
        [job] = store.list_webhook_jobs(owner="off1")
        for n, rx in enumerate((hang1, hang2)):  # two more subscriptions to the same parcel, sorting first
            sub = replace(rec, sub_id=f"-hang{n}", webhook_url=rx.url)
            store.put_subscription(sub)
            store.record_alerts(AlertBatch(jobs=[replace(job, job_id=f"{sub.sub_id}|{job.event_id}",
                                                         sub_id=sub.sub_id)]))
        real_post = healthy.server.RequestHandlerClass.do_POST

        def answer_after_a_rival_tried(handler):
            seen_at.append(time.time())
            rival.extend(deliver_due(other, rules=rules))  # the CLI, beside the worker, while this POST is open
            real_post(handler)

        healthy.server.RequestHandlerClass.do_POST = answer_after_a_rival_tried
        sent = deliver_due(store, rules=rules)
        assert [j.status for j in sent] == ["failed", "failed", "delivered"]
        assert len(healthy.got) == 1 and rival == []
        headers, body = healthy.got[0]
        stamp = headers[TIMESTAMP_HEADER.lower()]
        assert seen_at[0] - int(stamp) < 2.0  # signed when sent, not when the batch began (≥ 2 timeouts earlier)
        assert verify(secret, body, stamp, headers[SIGNATURE_HEADER.lower()], tolerance_s=2, now=seen_at[0])
    finally:
        other.close()
        for rx in (hang1, hang2, healthy):
            rx.close()
