"""An officer's digest (内容订阅): the events their subscriptions caught, unread first, read marks, and their
webhook deliveries (failures visible on the page)."""
from __future__ import annotations

import datetime as dt
from typing import Sequence

from graph.store import GraphStore, InboxItem, WebhookJob


def digest(store: GraphStore, *, owner: str, unread_only: bool = False, limit: int = 100) -> list[InboxItem]:
    return store.list_inbox(owner, unread_only=unread_only, limit=limit)


def unread_count(store: GraphStore, *, owner: str) -> int:
    """How many of the officer's events are unread — the whole digest, whatever page of it is shown."""
    return store.count_unread(owner)


def mark_read(store: GraphStore, *, owner: str, event_ids: Sequence[str] | None,
              now: dt.datetime | None = None) -> int:
    """Mark events (None = all) read; returns how many were unread."""
    at = (now or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds")
    return store.mark_read(owner, None if event_ids is None else list(event_ids), at)


def webhook_jobs(store: GraphStore, *, owner: str, limit: int = 50) -> list[WebhookJob]:
    return store.list_webhook_jobs(owner=owner, limit=limit)
