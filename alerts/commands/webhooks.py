"""Webhook delivery of 内容订阅 events from the outbox: each due job is CLAIMED in the store right before its own
POST (status 'sending', leased from that moment for two timeouts plus a margin — two senders, e.g. the API's worker
and the CLI, never both post it), then POSTed as JSON, signed with the time of sending (alerts.signing), to the
address checked right before sending (alerts.egress: no loopback / private / link-local address unless
allow-listed, no redirects followed), with a timeout; a failure (refused address, connection failed, timeout,
redirect, any non-2xx answer) is retried after an exponential backoff (base · 2^(attempt−1), capped) until the
attempt limit, then marked failed — visible on the officer's page.
A sender that dies after claiming leaves the job 'sending'; once the lease has run out any sender reclaims it
(at-least-once across a crash; the receiver ignores repeats by the delivery id). A job whose owner's API key has
been revoked is never posted (marked failed).
Runs only in the worker's delivery thread or the CLI, never inside a write."""
from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass, replace
from typing import Callable

from alerts.commands.subscriptions import owner_revoked
from alerts.egress import WebhookRefused, check_webhook_url, post_json
from alerts.model import KIND_CN
from alerts.signing import DELIVERY_HEADER, EVENT_HEADER, sign
from graph.store import AlertEventRec, GraphStore, SubscriptionRec, WebhookJob

log = logging.getLogger("chainmatch.alerts")
REVOKED = "订阅者的 API key 已吊销，不再投递"


@dataclass(frozen=True)
class WebhookRules:
    timeout_s: float = 5.0
    max_attempts: int = 6
    backoff_s: float = 30.0
    backoff_max_s: float = 3600.0
    allow_hosts: tuple[str, ...] = ()  # hosts that may resolve to private / loopback addresses (settings)
    lease_margin_s: float = 30.0  # a claimed job is reclaimable after the timeout plus this

    @property
    def lease_s(self) -> float:
        """How long a claim holds, from the moment the job is claimed: the POST's timeout (the address check and
        the connection each get it) plus a margin."""
        return 2 * self.timeout_s + self.lease_margin_s

    @classmethod
    def from_settings(cls, s) -> "WebhookRules":  # type: ignore[no-untyped-def]
        return cls(s.webhook_timeout_s, s.webhook_max_attempts, s.webhook_backoff_s, s.webhook_backoff_max_s,
                   tuple(s.webhook_allow_hosts))


def payload(ev: AlertEventRec, sub: SubscriptionRec, job_id: str) -> bytes:
    """The JSON body a receiver gets (UTF-8, keys sorted)."""
    body = {"delivery": job_id,
            "event": {"id": ev.event_id, "kind": ev.kind, "kind_cn": KIND_CN.get(ev.kind, ev.kind), "title": ev.title,
                      "subject": {"label": ev.subject_label, "key": ev.subject_key}, "version": ev.version,
                      "at": ev.at, "detail": ev.detail},
            "subscription": {"id": sub.sub_id, "kind": sub.kind, "key": sub.key, "name": sub.name}}
    return json.dumps(body, ensure_ascii=False, sort_keys=True).encode()


def _post(url: str, body: bytes, headers: dict[str, str], rules: WebhookRules) -> str | None:
    """None on a 2xx answer, else what went wrong (a short Chinese class, never the raw socket error)."""
    try:
        target = check_webhook_url(url, rules.allow_hosts)  # again now: DNS may have changed since subscribing
    except WebhookRefused as refused:
        return refused.reason
    return post_json(target, body, {"Content-Type": "application/json; charset=utf-8",
                                    "User-Agent": "ChainMatch-Webhook/1", **headers}, rules.timeout_s)


def _attempt(job: WebhookJob, sub: SubscriptionRec | None, ev: AlertEventRec | None, rules: WebhookRules,
             clock: Callable[[], dt.datetime]) -> WebhookJob:
    """Post one claimed job, signed with the time it is sent (`clock()` right before the POST); the job as updated."""
    if sub is None or ev is None or not sub.webhook_url:
        return replace(job, status="failed", last_error="订阅已取消或事件不存在", updated_at=_iso(clock()))
    body = payload(ev, sub, job.job_id)
    sent = clock()
    headers = {**sign(sub.secret or "", body, now=sent.timestamp()), EVENT_HEADER: ev.kind,
               DELIVERY_HEADER: job.job_id}
    error = _post(sub.webhook_url, body, headers, rules)
    done = clock()
    tries = job.attempts + 1
    if error is None:
        return replace(job, status="delivered", attempts=tries, last_error=None, updated_at=_iso(done))
    if tries >= rules.max_attempts:
        return replace(job, status="failed", attempts=tries, last_error=error, updated_at=_iso(done))
    wait = min(rules.backoff_s * 2 ** (tries - 1), rules.backoff_max_s)
    return replace(job, attempts=tries, next_at=_iso(done + dt.timedelta(seconds=wait)), last_error=error,
                   updated_at=_iso(done))


def _iso(t: dt.datetime) -> str:
    return t.isoformat(timespec="seconds")


def _clock(now: dt.datetime | None) -> Callable[[], dt.datetime]:
    """The sender's clock: the wall clock, or — when a caller (a test, the CLI's --today) fixes `now` — that moment
    plus the real time elapsed since, so a long batch still moves on."""
    if now is None:
        return lambda: dt.datetime.now(dt.timezone.utc)
    start = time.monotonic()
    return lambda: now + dt.timedelta(seconds=time.monotonic() - start)


def deliver_due(store: GraphStore, *, rules: WebhookRules = WebhookRules(), now: dt.datetime | None = None,
                limit: int = 50) -> list[WebhookJob]:
    """Try every job due now (up to `limit`) that this sender claims first; returns the jobs it sent, as updated.

    Each job is claimed just before its own POST, with a lease counted from that moment (the timeout plus a
    margin), and signed with the time it is sent: a batch can take minutes when receivers hang, and a lease or a
    timestamp taken when the batch began would already have run out (a rival sender would post the job again, a
    receiver would refuse the stale signature). A job whose owner's API key has been revoked is not sent: it is
    marked failed."""
    clock = _clock(now)
    jobs = store.due_webhook_jobs(_iso(clock()), limit=limit)
    if not jobs:
        return []
    subs = {s.sub_id: s for s in store.list_subscriptions()}
    events = {e.event_id: e for e in store.get_alert_events(sorted({j.event_id for j in jobs}))}
    out = []
    for job in jobs:
        t = clock()
        if not store.claim_webhook_job(job.job_id, _iso(t), _iso(t + dt.timedelta(seconds=rules.lease_s)),
                                       attempts=job.attempts):
            continue  # another sender has it, or tried or sent it while this batch was busy (our copy is stale)
        if owner_revoked(store, job.owner):
            done = replace(job, status="failed", last_error=REVOKED, updated_at=_iso(clock()))
        else:
            done = _attempt(job, subs.get(job.sub_id), events.get(job.event_id), rules, clock)
        store.update_webhook_job(done)
        if done.status != "delivered":
            log.warning("内容订阅 webhook %s：%s（第 %d 次）", job.job_id, done.last_error, done.attempts)
        out.append(done)
    return out
