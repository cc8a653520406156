"""The 内容订阅 event processor: reads the store's change log since its cursor, runs every registered event source
(alerts.sources) over what changed, fans the events out to the matching subscriptions (digest entries, webhook
jobs) and records it all — events, digest entries, jobs, watched values and the new cursor — in ONE store call.

Exactly once per change: an event's id comes from (version, kind, subject), the store keeps one record per id,
and the pass is recorded only if the cursor is still the one it read (compare-and-set: a second processor, e.g.
the CLI beside the API's worker, that read the same cursor records nothing and tries again). A pass that dies
half-way records nothing; the next one re-reads the same versions against the same watched values.

The processor never runs inside a write: the API's worker thread (worker.py) calls it after writes land, the CLI
(`chainmatch alerts process`) on demand.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Callable

import alerts.targets_source  # noqa: F401  (registers the ranking sources)
from alerts.model import ANY_CHAIN, SUBJECT_LABEL, EventDraft, target_scope, topic
from alerts.signal_source import SIGNAL_KIND, crossed
from alerts.commands.subscriptions import live_subscriptions
from alerts.sources import SOURCES, SourceContext, TargetScope
from graph.store import AlertBatch, AlertEventRec, GraphStore, SubscriptionRec, WebhookJob
from kernel.clock import beijing_today

log = logging.getLogger("chainmatch.alerts")
WATCHED_LABELS = ("LandParcel", "Project")  # read in full on a first or un-itemisable pass


@dataclass(frozen=True)
class AlertRules:
    """The processor's rules (settings.alerts)."""

    overdue_days: int = 60
    target_min_score: float = 80
    target_k: int = 200
    home_region: str = "330800"

    @classmethod
    def from_settings(cls, s: Any) -> "AlertRules":
        return cls(s.overdue_days, s.target_min_score, s.target_k, s.home_region)


@dataclass(frozen=True)
class ProcessResult:
    version: int  # the store version read up to
    events: int  # newly recorded events
    deliveries: int  # digest entries written with them
    jobs: int  # webhook jobs queued
    baseline: bool  # first pass: watched values stored, nothing recorded
    full: bool  # the change log could not itemise the range: every parcel and project compared


def _changes(store: GraphStore, cursor: int | None) -> tuple[dict[str, dict[str, Any]], int, bool, bool]:
    """What changed since the cursor (label → key → props or None), the version it is as of, whether it is a
    full read (first pass, or the change log pruned / too big) and whether anything (relations too) was written."""
    cs = store.changes_since(cursor) if cursor is not None else None
    if cs is not None:
        return cs.nodes, cs.version, False, len(cs) > 0
    version = store.version()
    return {lab: dict(store.iter_nodes(lab)) for lab in WATCHED_LABELS}, version, True, True


def _scopes(subs: list[SubscriptionRec], rules: AlertRules) -> list[TargetScope]:
    return [TargetScope(s.region or rules.home_region, s.kind, s.key,
                        rules.target_min_score if s.min_score is None else s.min_score)
            for s in subs if s.kind in ("chain", "segment")]


def sub_topics(s: SubscriptionRec, rules: AlertRules) -> set[str]:
    """The event topics a subscription matches."""
    out = {topic(SUBJECT_LABEL[s.kind], s.key)}
    if s.kind == "chain":  # a parcel whose 产业准入 is 不限 admits this chain too
        out.add(ANY_CHAIN)
    if s.kind in ("chain", "segment"):
        out.add(target_scope(s.region or rules.home_region, s.kind, s.key))
    return out


def matches(ev: EventDraft, s: SubscriptionRec, rules: AlertRules) -> bool:
    """The event is about something the subscription follows, and at or above its threshold (if it has one; a
    chain/segment's target events default to the configured minimum score)."""
    if not sub_topics(s, rules) & set(ev.topics):
        return False
    if ev.kind == SIGNAL_KIND:  # a signal reaches a subscription when it crosses that subscription's floor upwards
        return crossed(ev.detail, s.min_score)
    floor = s.min_score
    if floor is None and ev.kind == "target.new" and s.kind in ("chain", "segment"):
        floor = rules.target_min_score
    return floor is None or ev.score is None or ev.score >= floor


def _fan_out(drafts: list[EventDraft], subs: list[SubscriptionRec], rules: AlertRules, at: str,
             version: int) -> AlertBatch:
    batch = AlertBatch()
    for d in drafts:
        eid = d.event_id
        batch.events.append(AlertEventRec(eid, version, d.kind,
                                          d.subject_label, d.subject_key, d.title, at, tuple(d.topics), d.detail))
        owners: set[str] = set()
        for s in subs:
            if not matches(d, s, rules):
                continue
            if s.owner not in owners:
                owners.add(s.owner)
                batch.inbox.append((s.owner, eid, s.sub_id))
            if s.webhook_url:
                batch.jobs.append(WebhookJob(f"{s.sub_id}|{eid}", s.sub_id, s.owner, eid, "pending", 0, at, None, at))
    return batch


def _run_sources(store: GraphStore, ctx: SourceContext) -> tuple[list[EventDraft], dict[str, str | None]]:
    drafts: list[EventDraft] = []
    updates: dict[str, str | None] = {}
    for src in list(SOURCES.values()):
        keys = src.needs(ctx)
        watch = store.alert_watch(keys) if keys else {}
        found, upd = src.run(ctx, watch)
        drafts += found
        updates.update(upd)
    seen: set[str] = set()
    unique = [d for d in drafts if not (d.event_id in seen or seen.add(d.event_id))]  # type: ignore[func-returns-value]
    return unique, updates


def process(store: GraphStore, snapshot: Callable[[], Any], *, rules: AlertRules = AlertRules(),
            today: dt.date | None = None, now: dt.datetime | None = None) -> ProcessResult:
    """One pass (see the module docstring). `snapshot()` gives the analytic snapshot at least as new as the store
    version read (the API's snapshot cache; the CLI's freshly built one). Raises AlertCursorMoved if another
    processor recorded first (nothing written)."""
    held = store.alert_watch(["cursor"]).get("cursor")
    cursor = None if held is None else int(held)
    changed, version, full, touched = _changes(store, cursor)
    subs = live_subscriptions(store)  # a revoked key's subscriptions catch nothing
    ctx = SourceContext(snap=snapshot(), changed=changed, version=version, today=today or beijing_today(),
                        overdue_days=rules.overdue_days, target_k=rules.target_k, scopes=_scopes(subs, rules),
                        baseline=cursor is None, anything_changed=touched,
                        followed_firms=sorted({s.key for s in subs if s.kind == "firm"}))
    drafts, updates = _run_sources(store, ctx)
    at = (now or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds")
    batch = _fan_out(drafts, subs, rules, at, version)
    batch.watch, batch.cursor, batch.expect_cursor = updates, version, cursor
    new = store.record_alerts(batch)
    if new:
        log.info("内容订阅：记录 %d 个事件（版本 %s），投递 %d 条", new, version, len(batch.inbox))
    return ProcessResult(version, new, len(batch.inbox), len(batch.jobs), cursor is None, full)
