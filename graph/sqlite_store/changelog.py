"""The SQLite backend's change log: the `changelog` table (per version, the node and relation keys the write
touched; NULL items for a write too big to itemise; the last CHANGELOG_KEEP versions kept) and `changes_since`,
the current state of those keys — what the analytic snapshot patches itself from instead of rebuilding."""
from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from graph.sqlite_store.connection import SQLiteConnections
from graph.sqlite_store.rows import dumps, loads
from graph.sqlite_store.tables import NODE_ID
from graph.store import Batch, ChangeSet, RelKey

CHANGELOG_MAX_ITEMS = 20_000  # a bigger write is logged as "not itemised": a snapshot rebuilds after it
CHANGELOG_KEEP = 1_000  # versions of change log kept


def log_change(conn: sqlite3.Connection, version: int, batch: Batch) -> None:
    """Record which keys this version touched (a superset of what changed), or NULL for a write too big to
    itemise; and forget versions older than CHANGELOG_KEEP."""
    items: bytes | None = None
    if len(batch) <= CHANGELOG_MAX_ITEMS:
        items = dumps({
            "n": [[n.label, n.key] for n in batch.nodes] + [list(k) for k in batch.delete_nodes],
            "r": [[r.type, r.src_label, r.src_key, r.dst_label, r.dst_key] for r in batch.rels]
                 + [list(k) for k in batch.delete_rels],
        })
    conn.execute("INSERT OR REPLACE INTO changelog(ver, items) VALUES (?, ?)", (version, items))
    conn.execute("DELETE FROM changelog WHERE ver <= ?", (version - CHANGELOG_KEEP,))


class SQLiteChangeLog(SQLiteConnections):
    """changes_since: what the change log says changed since a version, in its current state."""

    def changes_since(self, version: int, *, max_items: int = 50_000) -> ChangeSet | None:
        conn = self._conn()
        conn.execute("BEGIN")  # one read transaction: the version and the rows read agree
        try:
            current = int(conn.execute("SELECT v FROM meta WHERE k='version'").fetchone()[0])
            if version > current:
                return None  # not this store's history (the database was replaced)
            if version == current:
                return ChangeSet(version, current, {}, {})
            entries = conn.execute(
                "SELECT items FROM changelog WHERE ver > ? AND ver <= ? ORDER BY ver", (version, current)
            ).fetchall()
            if len(entries) != current - version or any(items is None for (items,) in entries):
                return None  # pruned, written before the log existed, or a write too big to itemise
            node_keys: dict[str, set[str]] = {}
            rel_keys: set[RelKey] = set()
            for (items,) in entries:
                d = orjson.loads(items)
                for label, key in d["n"]:
                    node_keys.setdefault(label, set()).add(key)
                rel_keys.update(tuple(k) for k in d["r"])  # type: ignore[misc]
                if sum(map(len, node_keys.values())) + len(rel_keys) > max_items:
                    return None
            nodes: dict[str, dict[str, dict[str, Any] | None]] = {}
            for label, keys in node_keys.items():
                state: dict[str, dict[str, Any] | None] = dict.fromkeys(keys)
                ks = list(keys)
                for i in range(0, len(ks), 900):
                    chunk = ks[i : i + 900]
                    q = f"SELECT key, props FROM nodes WHERE label=? AND key IN ({','.join('?' * len(chunk))})"
                    for k, p in conn.execute(q, (label, *chunk)):
                        state[k] = loads(p)
                nodes[label] = state
            rels: dict[RelKey, dict[str, Any] | None] = {}
            for t, sl, sk, dl, dk in rel_keys:
                r = conn.execute(f"SELECT props FROM rels WHERE src = {NODE_ID} AND type = ? AND dst = {NODE_ID}",
                                 (sl, sk, t, dl, dk)).fetchone()
                rels[(t, sl, sk, dl, dk)] = None if r is None else loads(r[0])
            return ChangeSet(version, current, nodes, rels)
        finally:
            conn.execute("COMMIT")
