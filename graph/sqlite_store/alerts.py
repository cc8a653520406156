"""The SQLite backend's 内容订阅 records, kept apart from the graph like the API keys: officers' subscriptions
(alert_subs), recorded events (alert_events), each officer's digest with read marks (alert_inbox), the webhook
outbox (alert_outbox) and the alert processor's watched values and cursor (alert_watch).

record_alerts writes one processor pass in one transaction with INSERT OR IGNORE on the deterministic ids, so a
pass recorded twice (a restart, two processors) leaves one record of each event, digest entry and webhook job."""
from __future__ import annotations

from typing import Any, Sequence

from graph.sqlite_store.connection import SQLiteConnections
from graph.store import AlertBatch, AlertCursorMoved, AlertEventRec, InboxItem, StoreError, SubscriptionRec, WebhookJob, event_body, event_of

_SUB_COLS = "sub_id, owner, kind, key, name, created_at, min_score, region, webhook_url, secret"
_JOB_COLS = "job_id, sub_id, owner, event_id, status, attempts, next_at, last_error, updated_at"


class SQLiteAlerts(SQLiteConnections):
    """Subscriptions, events, digests, webhook outbox, processor state (see graph/store.py)."""

    def put_subscription(self, rec: SubscriptionRec) -> None:
        import sqlite3

        with self._write_lock:
            try:
                self._conn().execute(f"INSERT INTO alert_subs({_SUB_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                                     (rec.sub_id, rec.owner, rec.kind, rec.key, rec.name, rec.created_at,
                                      rec.min_score, rec.region, rec.webhook_url, rec.secret))
            except sqlite3.IntegrityError as e:
                raise StoreError(f"订阅 {rec.sub_id!r} 已存在") from e

    def list_subscriptions(self, *, owner: str | None = None) -> list[SubscriptionRec]:
        q = f"SELECT {_SUB_COLS} FROM alert_subs" + (" WHERE owner = ?" if owner is not None else "")
        rows = self._conn().execute(q + " ORDER BY created_at, sub_id", (owner,) if owner is not None else ())
        return [SubscriptionRec(*r) for r in rows]

    def delete_subscription(self, sub_id: str, *, owner: str | None = None) -> bool:
        with self._write_lock:
            cur = self._conn().execute(
                "DELETE FROM alert_subs WHERE sub_id = ? AND (? IS NULL OR owner = ?)", (sub_id, owner, owner))
        return cur.rowcount == 1

    def record_alerts(self, batch: AlertBatch) -> int:
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if batch.cursor is not None:
                    r = conn.execute("SELECT v FROM alert_watch WHERE k = 'cursor'").fetchone()
                    if (None if r is None else int(r[0])) != batch.expect_cursor:
                        raise AlertCursorMoved(f"提醒处理游标已被移动（{r and r[0]}，预期 {batch.expect_cursor}）")
                new = 0
                for ev in batch.events:
                    cur = conn.execute("INSERT OR IGNORE INTO alert_events(event_id, ver, kind, at, body) "
                                       "VALUES (?,?,?,?,?)", (ev.event_id, ev.version, ev.kind, ev.at, event_body(ev)))
                    new += cur.rowcount
                conn.executemany("INSERT OR IGNORE INTO alert_inbox(owner, event_id, sub_id, read_at) "
                                 "VALUES (?,?,?,NULL)", batch.inbox)
                conn.executemany(f"INSERT OR IGNORE INTO alert_outbox({_JOB_COLS}) VALUES (?,?,?,?,?,?,?,?,?)",
                                 [self._job_row(j) for j in batch.jobs])
                for k, v in batch.watch.items():
                    if v is None:
                        conn.execute("DELETE FROM alert_watch WHERE k = ?", (k,))
                    else:
                        conn.execute("INSERT OR REPLACE INTO alert_watch(k, v) VALUES (?, ?)", (k, v))
                if batch.cursor is not None:
                    conn.execute("INSERT OR REPLACE INTO alert_watch(k, v) VALUES ('cursor', ?)", (str(batch.cursor),))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return new

    def alert_watch(self, keys: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        ks = list(keys)
        for i in range(0, len(ks), 900):
            chunk = ks[i:i + 900]
            q = f"SELECT k, v FROM alert_watch WHERE k IN ({','.join('?' * len(chunk))})"
            out.update(dict(self._conn().execute(q, chunk).fetchall()))
        return out

    def get_alert_events(self, event_ids: Sequence[str]) -> list[AlertEventRec]:
        ids = list(event_ids)
        found: dict[str, AlertEventRec] = {}
        for i in range(0, len(ids), 900):
            chunk = ids[i:i + 900]
            q = f"SELECT event_id, ver, kind, at, body FROM alert_events WHERE event_id IN ({','.join('?' * len(chunk))})"
            found.update((r[0], event_of(*r)) for r in self._conn().execute(q, chunk))
        return [found[i] for i in ids if i in found]

    def list_inbox(self, owner: str, *, unread_only: bool = False, limit: int = 100) -> list[InboxItem]:
        q = ("SELECT e.event_id, e.ver, e.kind, e.at, e.body, i.sub_id, i.read_at FROM alert_inbox i "
             "JOIN alert_events e ON e.event_id = i.event_id WHERE i.owner = ?"
             + (" AND i.read_at IS NULL" if unread_only else "")
             + " ORDER BY i.read_at IS NOT NULL, e.ver DESC, e.at DESC, e.event_id LIMIT ?")
        return [InboxItem(event_of(*r[:5]), r[5], r[6]) for r in self._conn().execute(q, (owner, int(limit)))]

    def count_unread(self, owner: str) -> int:
        q = "SELECT count(*) FROM alert_inbox WHERE owner = ? AND read_at IS NULL"
        return int(self._conn().execute(q, (owner,)).fetchone()[0])

    def mark_read(self, owner: str, event_ids: Sequence[str] | None, at: str) -> int:
        conn = self._conn()
        with self._write_lock:
            if event_ids is None:
                cur = conn.execute("UPDATE alert_inbox SET read_at = ? WHERE owner = ? AND read_at IS NULL", (at, owner))
                return cur.rowcount
            n = 0
            for eid in event_ids:
                n += conn.execute("UPDATE alert_inbox SET read_at = ? WHERE owner = ? AND event_id = ? "
                                  "AND read_at IS NULL", (at, owner, eid)).rowcount
            return n

    @staticmethod
    def _job_row(j: WebhookJob) -> tuple[Any, ...]:
        return (j.job_id, j.sub_id, j.owner, j.event_id, j.status, j.attempts, j.next_at, j.last_error, j.updated_at)

    def due_webhook_jobs(self, now: str, *, limit: int = 50) -> list[WebhookJob]:
        rows = self._conn().execute(f"SELECT {_JOB_COLS} FROM alert_outbox WHERE status IN ('pending', 'sending') "
                                    "AND next_at <= ? ORDER BY next_at, job_id LIMIT ?", (now, int(limit)))
        return [WebhookJob(*r) for r in rows]

    def claim_webhook_job(self, job_id: str, now: str, lease_until: str, *, attempts: int | None = None) -> bool:
        with self._write_lock:
            cur = self._conn().execute("UPDATE alert_outbox SET status = 'sending', next_at = ? WHERE job_id = ? "
                                       "AND status IN ('pending', 'sending') AND next_at <= ? "
                                       "AND (? IS NULL OR attempts = ?)",
                                       (lease_until, job_id, now, attempts, attempts))
        return cur.rowcount == 1

    def update_webhook_job(self, job: WebhookJob) -> None:
        with self._write_lock:
            self._conn().execute("UPDATE alert_outbox SET status = ?, attempts = ?, next_at = ?, last_error = ?, "
                                 "updated_at = ? WHERE job_id = ?",
                                 (job.status, job.attempts, job.next_at, job.last_error, job.updated_at, job.job_id))

    def list_webhook_jobs(self, *, owner: str | None = None, limit: int = 100) -> list[WebhookJob]:
        q = f"SELECT {_JOB_COLS} FROM alert_outbox" + (" WHERE owner = ?" if owner is not None else "")
        args: tuple[Any, ...] = (owner, int(limit)) if owner is not None else (int(limit),)
        return [WebhookJob(*r) for r in self._conn().execute(q + " ORDER BY updated_at DESC, job_id LIMIT ?", args)]
