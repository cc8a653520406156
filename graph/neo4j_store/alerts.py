"""The Neo4j backend's 内容订阅 records, kept apart from the graph like the API keys: `:AlertSubscription`,
`:AlertEvent` (subject, title, topics and detail as one JSON text), `:AlertInbox` (an officer's digest entry with
its read mark), `:AlertJob` (the webhook outbox) and `:AlertWatch` (the alert processor's watched values and
cursor). None of them is a domain label, so the snapshot, counts and exports never see them.

record_alerts writes one processor pass in one managed transaction, MERGE'd on the deterministic ids (each with a
uniqueness constraint): a pass recorded twice leaves one record of each event, digest entry and webhook job."""
from __future__ import annotations

from typing import Any, Sequence

from graph.neo4j_store.session import Neo4jSessions, neo4j_exc
from graph.neo4j_store.statements import run
from graph.store import AlertBatch, AlertCursorMoved, AlertEventRec, InboxItem, StoreError, SubscriptionRec, WebhookJob, event_body, event_of

_SUB_FIELDS = tuple(SubscriptionRec.__dataclass_fields__)
_JOB_FIELDS = tuple(WebhookJob.__dataclass_fields__)
_SENDABLE = ("pending", "sending")  # a job a sender may take (sending: once its lease has run out)


def _inbox_id(owner: str, event_id: str) -> str:
    """A digest entry's id: one per (officer, event)."""
    return f"{owner}|{event_id}"


def _job(r: Any) -> WebhookJob:
    return WebhookJob(*(r[f] for f in _JOB_FIELDS))


class Neo4jAlerts(Neo4jSessions):
    """Subscriptions, events, digests, webhook outbox, processor state (see graph/store.py)."""

    def put_subscription(self, rec: SubscriptionRec) -> None:
        params = {f: getattr(rec, f) for f in _SUB_FIELDS}
        try:
            self._write(lambda tx: run(tx, "alerts.sub.put", **params).consume())
        except Exception as e:
            if neo4j_exc is not None and isinstance(e, neo4j_exc.ConstraintError):
                raise StoreError(f"订阅 {rec.sub_id!r} 已存在") from e
            raise

    def list_subscriptions(self, *, owner: str | None = None) -> list[SubscriptionRec]:
        return self._read(lambda tx: [SubscriptionRec(*(r[f] for f in _SUB_FIELDS))
                                      for r in run(tx, "alerts.sub.list", owner=owner)])

    def delete_subscription(self, sub_id: str, *, owner: str | None = None) -> bool:
        return self._write(lambda tx: run(tx, "alerts.sub.delete", sub_id=sub_id, owner=owner).single()["n"]) == 1

    def record_alerts(self, batch: AlertBatch) -> int:
        events = [{"event_id": ev.event_id, "ver": ev.version, "kind": ev.kind, "at": ev.at, "body": event_body(ev)}
                  for ev in batch.events]
        inbox = [{"inbox_id": _inbox_id(o, e), "owner": o, "event_id": e, "sub_id": s} for o, e, s in batch.inbox]
        jobs = [{f: getattr(j, f) for f in _JOB_FIELDS} for j in batch.jobs]
        watch = {k: v for k, v in batch.watch.items() if k != "cursor"}
        sets = [{"k": k, "v": v} for k, v in watch.items() if v is not None]
        drops = [k for k, v in watch.items() if v is None]

        def work(tx: Any) -> int:
            if batch.cursor is not None:  # lock the cursor node, then check it (compare-and-set)
                held = run(tx, "alerts.cursor.lock", k="cursor").single()["v"]
                if (None if held is None else int(held)) != batch.expect_cursor:
                    raise AlertCursorMoved(f"提醒处理游标已被移动（{held}，预期 {batch.expect_cursor}）")
            new = run(tx, "alerts.event.merge", rows=events).single()["n"] if events else 0
            if inbox:
                run(tx, "alerts.inbox.merge", rows=inbox).consume()
            if jobs:
                run(tx, "alerts.job.merge", rows=jobs).consume()
            if sets:
                run(tx, "alerts.watch.set", rows=sets).consume()
            if drops:
                run(tx, "alerts.watch.delete", keys=drops).consume()
            if batch.cursor is not None:
                run(tx, "alerts.cursor.set", k="cursor", v=str(batch.cursor)).consume()
            return int(new)

        with self._write_lock:
            return self._write(work)

    def alert_watch(self, keys: Sequence[str]) -> dict[str, str]:
        ks = list(keys)
        if not ks:
            return {}
        return self._read(lambda tx: {r["k"]: r["v"] for r in run(tx, "alerts.watch.get", keys=ks)})

    def get_alert_events(self, event_ids: Sequence[str]) -> list[AlertEventRec]:
        ids = list(event_ids)
        if not ids:
            return []
        rows = self._read(lambda tx: list(run(tx, "alerts.event.get", ids=ids)))
        found = {r["event_id"]: event_of(r["event_id"], r["ver"], r["kind"], r["at"], r["body"]) for r in rows}
        return [found[i] for i in ids if i in found]

    def list_inbox(self, owner: str, *, unread_only: bool = False, limit: int = 100) -> list[InboxItem]:
        def work(tx: Any) -> list[InboxItem]:
            rows = run(tx, "alerts.inbox.list", owner=owner, unread_only=bool(unread_only), limit=int(limit))
            return [InboxItem(event_of(r["event_id"], r["ver"], r["kind"], r["at"], r["body"]), r["sub_id"],
                              r["read_at"]) for r in rows]

        return self._read(work)

    def count_unread(self, owner: str) -> int:
        return int(self._read(lambda tx: run(tx, "alerts.inbox.unread", owner=owner).single()["n"]))

    def mark_read(self, owner: str, event_ids: Sequence[str] | None, at: str) -> int:
        if event_ids is None:
            return self._write(lambda tx: run(tx, "alerts.inbox.read_all", owner=owner, at=at).single()["n"])
        ids = [_inbox_id(owner, e) for e in event_ids]
        return self._write(lambda tx: run(tx, "alerts.inbox.read", ids=ids, at=at).single()["n"])

    def due_webhook_jobs(self, now: str, *, limit: int = 50) -> list[WebhookJob]:
        return self._read(lambda tx: [_job(r) for r in run(tx, "alerts.job.due", statuses=list(_SENDABLE), now=now,
                                                              limit=int(limit))])

    def claim_webhook_job(self, job_id: str, now: str, lease_until: str, *, attempts: int | None = None) -> bool:
        """One write transaction: lock the job node first, then check and set (a rival waits for the lock and
        then sees 'sending' with a lease in the future)."""
        def work(tx: Any) -> bool:
            r = run(tx, "alerts.job.claim", job_id=job_id, now=now, until=lease_until, attempts=attempts,
                    statuses=list(_SENDABLE), sending="sending").single()
            return bool(r and r["claimed"])

        return self._write(work)

    def update_webhook_job(self, job: WebhookJob) -> None:
        params = {f: getattr(job, f) for f in ("job_id", "status", "attempts", "next_at", "last_error", "updated_at")}
        self._write(lambda tx: run(tx, "alerts.job.update", **params).consume())

    def list_webhook_jobs(self, *, owner: str | None = None, limit: int = 100) -> list[WebhookJob]:
        return self._read(lambda tx: [_job(r) for r in run(tx, "alerts.job.list", owner=owner, limit=int(limit))])
