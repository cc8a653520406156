"""Subscribing and unsubscribing (内容订阅), with the role rules of writes: an officer (or admin) may follow any
chain, segment, 行政区, park, firm, parcel or project; a park administrator only their own park and its parcels and
projects (as they may write only those); a viewer reads only and may not subscribe. A webhook URL gets its own
signing secret, shown once in the answer."""
from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, Sequence

from alerts.egress import WebhookRefused, check_webhook_url
from alerts.model import PARK_SCOPED_KINDS, SUBJECT_CN, SUBJECT_LABEL
from alerts.subjects import resolve_subject
from graph.store import GraphStore, SubscriptionRec
from kernel.errors import Conflict, Forbidden, Invalid, NotFound
from kernel.resolve import resolver
from kernel.subscribing import subscribe_refusal

MAX_PER_OFFICER = 200


def _check_scope(store: GraphStore, *, role: str, park: str | None, kind: str, key: str) -> None:
    """kernel.subscribing's rule (the pages' 订阅提醒 button is shown by the same one), with the subject's park
    read from the store."""
    in_park = None
    if role == "park_admin" and kind in PARK_SCOPED_KINDS and kind != "park":
        in_park = (store.get(SUBJECT_LABEL[kind], key) or {}).get("park")
    why = subscribe_refusal(role, park, kind, key, in_park)
    if why:
        raise Forbidden(why)


def _webhook(url: str | None, allow_hosts: Sequence[str]) -> str | None:
    if not url or not url.strip():
        return None
    try:
        check_webhook_url(url, allow_hosts)
    except WebhookRefused as refused:
        raise Invalid(refused.reason, errors=[{"field": "webhook_url", "message": refused.reason}]) from None
    return url.strip()


def subscribe(store: GraphStore, snap: Any, *, owner: str, role: str, park: str | None, kind: str, subject: str,
              min_score: float | None = None, region: str | None = None, webhook_url: str | None = None,
              home_region: str = "330800", allow_hosts: Sequence[str] = (),
              now: dt.datetime | None = None) -> tuple[SubscriptionRec, str | None]:
    """Record a subscription; returns it and the webhook secret (None without a webhook), shown only now. A webhook
    URL must be http(s) and resolve to a public address unless its host is in `allow_hosts` (alerts.egress)."""
    key, name = resolve_subject(snap, kind, subject)
    _check_scope(store, role=role, park=park, kind=kind, key=key)
    if min_score is not None and not 0 <= min_score <= 100:
        raise Invalid("阈值应在 0–100 之间", errors=[{"field": "min_score", "message": "超出范围"}])
    url = _webhook(webhook_url, allow_hosts)
    reg = None
    if kind in ("chain", "segment"):
        r = resolver(snap)
        reg = str(snap.keys("Region")[r.region(region or home_region, param="region")])
    mine = store.list_subscriptions(owner=owner)
    if any(s.kind == kind and s.key == key and s.region == reg for s in mine):
        raise Conflict(f"已订阅{SUBJECT_CN[kind]}「{name}」")
    if len(mine) >= MAX_PER_OFFICER:
        raise Conflict(f"每人最多 {MAX_PER_OFFICER} 个订阅，请先取消一些")
    secret = secrets.token_urlsafe(32) if url else None
    at = (now or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds")
    rec = SubscriptionRec(secrets.token_hex(6), owner, kind, key, name, at, min_score, reg, url, secret)
    store.put_subscription(rec)
    return rec, secret


def list_subscriptions(store: GraphStore, *, owner: str) -> list[SubscriptionRec]:
    return store.list_subscriptions(owner=owner)


def owner_revoked(store: GraphStore, owner: str) -> bool:
    """The subscription owner's API key has been revoked (keys are never deleted, only revoked)."""
    rec = store.get_api_key(owner)
    return rec is not None and rec.revoked_at is not None


def live_subscriptions(store: GraphStore) -> list[SubscriptionRec]:
    """Every subscription whose owner's API key is not revoked — the ones events are fanned out to and webhooks
    sent for. A revoked key's subscriptions stay stored but dormant: nobody can read or cancel them any more, so
    they must not keep sending data out (a new key for the same person is a new owner and subscribes afresh)."""
    revoked = {k.key_id for k in store.list_api_keys() if k.revoked_at is not None}
    return [s for s in store.list_subscriptions() if s.owner not in revoked]


def unsubscribe(store: GraphStore, *, owner: str, sub_id: str) -> None:
    """Remove one of the officer's subscriptions (their digest keeps what it already received)."""
    if not store.delete_subscription(sub_id, owner=owner):
        raise NotFound(f"订阅 {sub_id!r} 不存在", errors=[{"field": "sub_id", "message": "不存在或不属于您"}])
