"""Webhook delivery of 内容订阅 events from the outbox: each due job is first CLAIMED in the store (status
'sending', leased for the timeout plus a margin — two senders, e.g. the API's worker and the CLI, never both post
it), then POSTed as JSON, signed (alerts.signing), to the address checked right before sending (alerts.egress:
no loopback / private / link-local address unless allow-listed, no redirects followed), with a timeout; a failure
(refused address, connection failed, timeout, redirect, any non-2xx answer) is retried after an exponential
backoff (base · 2^(attempt−1), capped) until the attempt limit, then marked failed — visible on the officer's page.
A sender that dies after claiming leaves the job 'sending'; once the lease has run out any sender reclaims it
(at-least-once across a crash; the receiver ignores repeats by the delivery id).
Runs only in the worker's delivery thread or the CLI, never inside a write."""
from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, replace

from alerts.egress import WebhookRefused, check_webhook_url, post_json
from alerts.model import KIND_CN
from alerts.signing import DELIVERY_HEADER, EVENT_HEADER, sign
from graph.store import AlertEventRec, GraphStore, SubscriptionRec, WebhookJob

log = logging.getLogger("chainmatch.alerts")


@dataclass(frozen=True)
class WebhookRules:
    timeout_s: float = 5.0
    max_attempts: int = 6
    backoff_s: float = 30.0
    backoff_max_s: float = 3600.0
    allow_hosts: tuple[str, ...] = ()  # hosts that may resolve to private / loopback addresses (settings)
    lease_margin_s: float = 30.0  # a claimed job is reclaimable after the timeout plus this

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
             now: dt.datetime) -> WebhookJob:
    at = now.isoformat(timespec="seconds")
    if sub is None or ev is None or not sub.webhook_url:
        return replace(job, status="failed", last_error="订阅已取消或事件不存在", updated_at=at)
    body = payload(ev, sub, job.job_id)
    headers = {**sign(sub.secret or "", body, now=now.timestamp()), EVENT_HEADER: ev.kind, DELIVERY_HEADER: job.job_id}
    error = _post(sub.webhook_url, body, headers, rules)
    tries = job.attempts + 1
    if error is None:
        return replace(job, status="delivered", attempts=tries, last_error=None, updated_at=at)
    if tries >= rules.max_attempts:
        return replace(job, status="failed", attempts=tries, last_error=error, updated_at=at)
    wait = min(rules.backoff_s * 2 ** (tries - 1), rules.backoff_max_s)
    nxt = (now + dt.timedelta(seconds=wait)).isoformat(timespec="seconds")
    return replace(job, attempts=tries, next_at=nxt, last_error=error, updated_at=at)


def deliver_due(store: GraphStore, *, rules: WebhookRules = WebhookRules(), now: dt.datetime | None = None,
                limit: int = 50) -> list[WebhookJob]:
    """Try every job due now (up to `limit`) that this sender claims first; returns the jobs it sent, as updated."""
    now = now or dt.datetime.now(dt.timezone.utc)
    at = now.isoformat(timespec="seconds")
    lease = (now + dt.timedelta(seconds=rules.timeout_s + rules.lease_margin_s)).isoformat(timespec="seconds")
    jobs = store.due_webhook_jobs(at, limit=limit)
    if not jobs:
        return []
    subs = {s.sub_id: s for s in store.list_subscriptions()}
    events = {e.event_id: e for e in store.get_alert_events(sorted({j.event_id for j in jobs}))}
    out = []
    for job in jobs:
        if not store.claim_webhook_job(job.job_id, at, lease):
            continue  # another sender has it
        done = _attempt(job, subs.get(job.sub_id), events.get(job.event_id), rules, now)
        store.update_webhook_job(done)
        if done.status != "delivered":
            log.warning("内容订阅 webhook %s：%s（第 %d 次）", job.job_id, done.last_error, done.attempts)
        out.append(done)
    return out
