"""Webhook delivery to a real local HTTP server: the signature verifies, a 500 is retried after the backoff, the
job is given up after the attempt limit (visible as failed), and a hanging receiver never slows a write."""
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
from factories import seeded
from graph.snapshot import Snapshot
from graph.store import Batch, NodeRec

PARCEL = "syn.parcel.000002"


@pytest.fixture(scope="module")
def app_data():
    return seeded(scale=200, seed=7)


class Receiver:
    """A local HTTP server answering each POST with the next status of `answers` (then 200), or hanging."""

    def __init__(self, answers=(), hang: float = 0.0):
        self.answers, self.hang, self.got = list(answers), hang, []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                if outer.hang:
                    time.sleep(outer.hang)
                self.send_response(outer.answers.pop(0) if outer.answers else 200)
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
                            webhook_url=url)
    process(store, lambda: Snapshot.build(store))
    props = {k: v for k, v in store.get("LandParcel", PARCEL).items() if k != "key"}
    store.write(Batch(nodes=[NodeRec("LandParcel", PARCEL, {**props, "status": "reserved"})]))
    assert process(store, lambda: Snapshot.build(store)).jobs == 1
    return rec, secret


def test_signed_delivery_retry_after_500_and_give_up(store):
    rx = Receiver(answers=[500])
    try:
        rec, secret = _setup(store, rx.url)
        rules = WebhookRules(timeout_s=5, max_attempts=3, backoff_s=60, backoff_max_s=600)
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
        rules = WebhookRules(timeout_s=5, max_attempts=3, backoff_s=1, backoff_max_s=2)
        t = dt.datetime.now(dt.timezone.utc)
        for i in range(5):
            deliver_due(store, rules=rules, now=t + dt.timedelta(seconds=10 * i))
        [j] = store.list_webhook_jobs(owner="off1")
        assert (j.status, j.attempts, j.last_error) == ("failed", 3, "HTTP 500")
        assert len(rx.got) == 3
    finally:
        rx.close()


def test_a_hanging_receiver_does_not_slow_writes(store):
    rx = Receiver(hang=3.0)
    worker = None
    try:
        _setup(store, rx.url)
        worker = AlertWorker(store, lambda: Snapshot.build(store), rules=AlertRules(),
                             webhooks=WebhookRules(timeout_s=2, max_attempts=2, backoff_s=0), poll_seconds=0.1).start()
        deadline = time.monotonic() + 10
        while not rx.got and time.monotonic() < deadline:  # the worker is now stuck in the receiver
            time.sleep(0.05)
        assert rx.got
        props = {k: v for k, v in store.get("LandParcel", PARCEL).items() if k != "key"}
        t = time.monotonic()
        store.write(Batch(nodes=[NodeRec("LandParcel", PARCEL, {**props, "status": "transferred"})]))
        assert time.monotonic() - t < 1.0
    finally:
        if worker:
            worker.stop()
        rx.close()
