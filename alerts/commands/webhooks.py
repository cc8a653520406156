"""Webhook delivery of 内容订阅 events from the outbox: each due job is POSTed as JSON, signed (alerts.signing),
with a timeout; a failure (connection refused, timeout, any non-2xx answer) is retried after an exponential
backoff (base · 2^(attempt−1), capped) until the attempt limit, then marked failed — visible on the officer's page.
Runs only in the worker's delivery thread or the CLI, never inside a write."""
from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass, replace

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

    @classmethod
    def from_settings(cls, s) -> "WebhookRules":  # type: ignore[no-untyped-def]
        return cls(s.webhook_timeout_s, s.webhook_max_attempts, s.webhook_backoff_s, s.webhook_backoff_max_s)


def payload(ev: AlertEventRec, sub: SubscriptionRec, job_id: str) -> bytes:
    """The JSON body a receiver gets (UTF-8, keys sorted)."""
    body = {"delivery": job_id,
            "event": {"id": ev.event_id, "kind": ev.kind, "kind_cn": KIND_CN.get(ev.kind, ev.kind), "title": ev.title,
                      "subject": {"label": ev.subject_label, "key": ev.subject_key}, "version": ev.version,
                      "at": ev.at, "detail": ev.detail},
            "subscription": {"id": sub.sub_id, "kind": sub.kind, "key": sub.key, "name": sub.name}}
    return json.dumps(body, ensure_ascii=False, sort_keys=True).encode()


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> str | None:
    """None on a 2xx answer, else what went wrong."""
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8",
                                          "User-Agent": "ChainMatch-Webhook/1", **headers})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 (http/https checked at subscribe)
            return None if 200 <= r.status < 300 else f"HTTP {r.status}"
    except urllib.error.HTTPError as e:
        return f"HTTP {e.code}"
    except (urllib.error.URLError, OSError, ValueError) as e:
        return f"{type(e).__name__}: {getattr(e, 'reason', e)}"[:300]


def _attempt(job: WebhookJob, sub: SubscriptionRec | None, ev: AlertEventRec | None, rules: WebhookRules,
             now: dt.datetime) -> WebhookJob:
    at = now.isoformat(timespec="seconds")
    if sub is None or ev is None or not sub.webhook_url:
        return replace(job, status="failed", last_error="订阅已取消或事件不存在", updated_at=at)
    body = payload(ev, sub, job.job_id)
    headers = {**sign(sub.secret or "", body, now=now.timestamp()), EVENT_HEADER: ev.kind, DELIVERY_HEADER: job.job_id}
    error = _post(sub.webhook_url, body, headers, rules.timeout_s)
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
    """Try every job due now (up to `limit`); returns the jobs as updated."""
    now = now or dt.datetime.now(dt.timezone.utc)
    jobs = store.due_webhook_jobs(now.isoformat(timespec="seconds"), limit=limit)
    if not jobs:
        return []
    subs = {s.sub_id: s for s in store.list_subscriptions()}
    events = {e.event_id: e for e in store.get_alert_events(sorted({j.event_id for j in jobs}))}
    out = []
    for job in jobs:
        done = _attempt(job, subs.get(job.sub_id), events.get(job.event_id), rules, now)
        store.update_webhook_job(done)
        if done.status != "delivered":
            log.warning("内容订阅 webhook %s：%s（第 %d 次）", job.job_id, done.last_error, done.attempts)
        out.append(done)
    return out
