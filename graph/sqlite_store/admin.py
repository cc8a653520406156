"""The SQLite backend's administration records: the api_keys and audit tables."""
from __future__ import annotations

import sqlite3
from typing import Any

from graph.sqlite_store.connection import SQLiteConnections
from graph.sqlite_store.rows import dumps, loads
from graph.store import ApiKeyRec, AuditEntry, StoreError


def insert_audit(conn: sqlite3.Connection, e: AuditEntry) -> None:
    """One audit row (before/after as JSON text), in the caller's transaction."""
    conn.execute(
        "INSERT INTO audit(at, actor, action, target, before, after) VALUES (?,?,?,?,?,?)",
        (
            e.at,
            e.actor,
            e.action,
            e.target,
            None if e.before is None else dumps(e.before).decode(),
            None if e.after is None else dumps(e.after).decode(),
        ),
    )



class SQLiteAdmin(SQLiteConnections):
    """API keys and the audit log."""

    def put_api_key(self, rec: ApiKeyRec) -> None:
        conn = self._conn()
        with self._write_lock:
            try:
                conn.execute(
                    "INSERT INTO api_keys(key_id, name, role, park, secret_hash, created_at, revoked_at) "
                    "VALUES (?,?,?,?,?,?,?)",
                    (rec.key_id, rec.name, rec.role, rec.park, rec.secret_hash, rec.created_at, rec.revoked_at),
                )
            except sqlite3.IntegrityError as e:
                raise StoreError(f"API key {rec.key_id!r} 已存在") from e

    def get_api_key(self, key_id: str) -> ApiKeyRec | None:
        r = self._conn().execute(
            "SELECT key_id, name, role, park, secret_hash, created_at, revoked_at FROM api_keys WHERE key_id=?", (key_id,)
        ).fetchone()
        return ApiKeyRec(*r) if r else None

    def list_api_keys(self) -> list[ApiKeyRec]:
        rows = self._conn().execute(
            "SELECT key_id, name, role, park, secret_hash, created_at, revoked_at FROM api_keys ORDER BY created_at, key_id"
        ).fetchall()
        return [ApiKeyRec(*r) for r in rows]

    def revoke_api_key(self, key_id: str, at: str) -> bool:
        conn = self._conn()
        with self._write_lock:
            cur = conn.execute("UPDATE api_keys SET revoked_at=? WHERE key_id=? AND revoked_at IS NULL", (at, key_id))
        return cur.rowcount == 1


    def append_audit(self, entry: AuditEntry) -> None:
        conn = self._conn()
        with self._write_lock:
            insert_audit(conn, entry)

    def list_audit(self, *, limit: int = 100, offset: int = 0, actor: str | None = None) -> list[dict[str, Any]]:
        q = "SELECT id, at, actor, action, target, before, after FROM audit"
        args: list[Any] = []
        if actor:
            q += " WHERE actor = ?"
            args.append(actor)
        q += " ORDER BY id DESC LIMIT ? OFFSET ?"
        args += [limit, offset]
        out = []
        for i, at, ac, act, tg, b, a in self._conn().execute(q, args):
            out.append(
                {
                    "id": i,
                    "at": at,
                    "actor": ac,
                    "action": act,
                    "target": tg,
                    "before": None if b is None else loads(b),
                    "after": None if a is None else loads(a),
                }
            )
        return out
