"""The Neo4j backend's administration records: API keys (`:ApiKey`) and the audit log (`:AuditEntry`)."""
from __future__ import annotations

from typing import Any

import orjson

from graph.neo4j_store.records import audit_params
from graph.neo4j_store.session import Neo4jSessions, neo4j_exc
from graph.neo4j_store.statements import run
from graph.store import ApiKeyRec, AuditEntry, StoreError


class Neo4jAdmin(Neo4jSessions):
    """API keys and the audit log."""

    def put_api_key(self, rec: ApiKeyRec) -> None:
        params = {
            "key_id": rec.key_id,
            "name": rec.name,
            "role": rec.role,
            "park": rec.park,
            "secret_hash": rec.secret_hash,
            "created_at": rec.created_at,
            "revoked_at": rec.revoked_at,
        }
        try:
            self._write(lambda tx: run(tx, "apikey.put", **params).consume())
        except Exception as e:
            if neo4j_exc is not None and isinstance(e, neo4j_exc.ConstraintError):
                raise StoreError(f"API key {rec.key_id!r} 已存在") from e
            raise

    @staticmethod
    def _apikey(rec: Any) -> ApiKeyRec:
        return ApiKeyRec(
            rec["key_id"], rec["name"], rec["role"], rec["park"], rec["secret_hash"], rec["created_at"], rec["revoked_at"]
        )

    def get_api_key(self, key_id: str) -> ApiKeyRec | None:
        rec = self._read(lambda tx: run(tx, "apikey.get", key_id=key_id).single())
        return None if rec is None else self._apikey(rec)

    def list_api_keys(self) -> list[ApiKeyRec]:
        return self._read(lambda tx: [self._apikey(r) for r in run(tx, "apikey.list")])

    def revoke_api_key(self, key_id: str, at: str) -> bool:
        n = self._write(lambda tx: run(tx, "apikey.revoke", key_id=key_id, at=at).single()["n"])
        return n == 1

    def append_audit(self, entry: AuditEntry) -> None:
        self._write(lambda tx: run(tx, "audit.append", **audit_params(entry)).consume())

    def list_audit(self, *, limit: int = 100, offset: int = 0, actor: str | None = None) -> list[dict[str, Any]]:
        lim = int(limit)
        lim = lim if lim >= 0 else 2**62
        params = {"actor": actor or None, "offset": max(0, int(offset)), "limit": lim}

        def work(tx: Any) -> list[dict[str, Any]]:
            return [
                {
                    "id": r["id"],
                    "at": r["at"],
                    "actor": r["actor"],
                    "action": r["action"],
                    "target": r["target"],
                    "before": None if r["before"] is None else orjson.loads(r["before"]),
                    "after": None if r["after"] is None else orjson.loads(r["after"]),
                }
                for r in run(tx, "audit.list", **params)
            ]

        return self._read(work)
