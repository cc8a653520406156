"""The SQLite backend's write path: one BEGIN IMMEDIATE transaction per batch, all or nothing.

Big writes resolve relation ends through an in-process id map (label → key → node id) instead of looking every end
up by key in SQLite; the map is trusted only while the store is exactly at the state it was built for.
"""
from __future__ import annotations

import sqlite3
from typing import Sequence

from graph.sqlite_store import changelog
from graph.sqlite_store.admin import insert_audit
from graph.sqlite_store.connection import SQLiteConnections
from graph.sqlite_store.rows import loads, node_row, rel_row, rel_rows_by_id
from graph.sqlite_store.tables import CACHE_KIB, INSERT_NODE_ID, NODE_ID, UPSERT_NODE, UPSERT_REL, UPSERT_REL_ID
from graph.store import AuditEntry, Batch, NodeRec, StoreError, WriteResult, check_expect

BIG_WRITE_ROWS = 100_000  # a write this large gets a bigger page cache while it runs
BIG_WRITE_CACHE_KIB = 524_288  # 512 MiB (a 1M-firm database is ~1.9 GiB; RSS target 3 GB)


class _StaleIds(Exception):
    """The id map did not match the nodes table (a bug or an unnoticed outside change): write by key instead."""


class SQLiteWrites(SQLiteConnections):
    """write() and the id map."""

    def write(self, batch: Batch, *, audit: AuditEntry | None = None) -> WriteResult:
        conn = self._conn()
        big = len(batch) >= BIG_WRITE_ROWS
        with self._write_lock:
            if big:  # random inserts into B-trees larger than the cache: give this write room (freed after)
                conn.execute(f"PRAGMA cache_size=-{BIG_WRITE_CACHE_KIB}")
            try:
                try:
                    return self._write(conn, batch, audit, big, by_id=True)
                except _StaleIds:  # the id map disagreed with the table (nothing was written): write by key
                    self._ids, self._ids_at = None, None
                    return self._write(conn, batch, audit, big, by_id=False)
            finally:
                if big:
                    conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")

    def _write(self, conn: sqlite3.Connection, batch: Batch, audit: AuditEntry | None, big: bool, *,
               by_id: bool) -> WriteResult:
        """One write transaction. With a valid id map (by_id) the relations' ends are resolved in Python and new
        nodes get their ids here; otherwise SQLite looks every end up by key inside the INSERT."""
        conn.execute("BEGIN IMMEDIATE")
        ids: dict[str, dict[str, int]] | None = None
        staged: list[tuple[str, str]] = []  # nodes added to the id map by this write (undone if it fails)
        gone: list[tuple[str, str]] = []  # nodes this write deletes (taken out of the map once committed)
        at: tuple[str, int] | None = None
        try:
            if by_id:
                ids, at = self._id_map(conn, big)
            for ex in batch.expect:
                r = conn.execute("SELECT props FROM nodes WHERE label=? AND key=?", (ex.label, ex.key)).fetchone()
                check_expect(ex, None if r is None else loads(r[0]))
            before = conn.total_changes
            if batch.nodes:
                if ids is None:
                    conn.executemany(UPSERT_NODE, map(node_row, batch.nodes))
                else:
                    self._ids_at = None  # the map is being changed: not valid until this write commits
                    new, known = self._split_nodes(conn, ids, batch.nodes, staged)
                    if new:
                        try:
                            conn.executemany(INSERT_NODE_ID, new)
                        except sqlite3.IntegrityError as e:  # a "new" node exists: the map was wrong
                            raise _StaleIds() from e
                    if known:
                        conn.executemany(UPSERT_NODE, known)
            nodes_written = conn.total_changes - before
            mid = conn.total_changes
            if batch.rels:
                try:
                    if ids is None:
                        conn.executemany(UPSERT_REL, map(rel_row, batch.rels))
                    else:
                        conn.executemany(UPSERT_REL_ID, rel_rows_by_id(ids, batch.rels))
                except sqlite3.IntegrityError as e:
                    raise self._missing_end(conn, batch) or StoreError(f"关系写入失败：{e}") from e
            rels_written = conn.total_changes - mid
            mid = conn.total_changes
            for t, sl, sk, dl, dk in batch.delete_rels:
                conn.execute(f"DELETE FROM rels WHERE src = {NODE_ID} AND type = ? AND dst = {NODE_ID}",
                             (sl, sk, t, dl, dk))
            deleted_rels = conn.total_changes - mid
            deleted_nodes = 0
            for label, key in batch.delete_nodes:
                r = conn.execute("SELECT id FROM nodes WHERE label=? AND key=?", (label, key)).fetchone()
                if r is None:
                    continue
                conn.execute("DELETE FROM rels WHERE src = ?", r)
                conn.execute("DELETE FROM rels WHERE dst = ?", r)
                conn.execute("DELETE FROM nodes WHERE id = ?", r)
                gone.append((label, key))
                deleted_nodes += 1
            changed = nodes_written + rels_written + deleted_rels + deleted_nodes
            if changed:
                conn.execute("UPDATE meta SET v = CAST(v AS INTEGER) + 1 WHERE k = 'version'")
            version = int(conn.execute("SELECT v FROM meta WHERE k='version'").fetchone()[0])
            if changed:
                changelog.log_change(conn, version, batch)
            if audit is not None and changed:
                insert_audit(conn, audit)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            if ids is not None:
                for label, key in staged:
                    ids[label].pop(key, None)
                if at is not None:
                    self._ids_at = at  # the map is as it was before this write again
            raise
        if ids is not None and at is not None:
            for label, key in gone:
                ids.get(label, {}).pop(key, None)
            self._ids_at = (at[0], version)
        elif changed:
            self._ids, self._ids_at = None, None  # written by key: the map does not know this write's new ids
        return WriteResult(nodes_written, rels_written, deleted_rels + deleted_nodes, version)

    def _id_map(self, conn: sqlite3.Connection, big: bool) -> tuple[dict[str, dict[str, int]] | None,
                                                                    tuple[str, int] | None]:
        """The in-process copy of the nodes' ids (label → key → id) if it is exact for this transaction, else
        None. It is exact while the store (store_id, version) is the one it was last brought up to date at: any
        write that changes a node, by this process or another, bumps the version. A big write builds it afresh
        (one scan of the (label, key) index); a small write only uses it when it is already valid."""
        r = dict(conn.execute("SELECT k, v FROM meta WHERE k IN ('store_id', 'version')").fetchall())
        at = (r["store_id"], int(r["version"]))
        if self._ids is not None and self._ids_at == at:
            return self._ids, at
        self._ids, self._ids_at = None, None
        if not big:
            return None, None
        ids: dict[str, dict[str, int]] = {}
        for (label,) in conn.execute("SELECT DISTINCT label FROM nodes").fetchall():
            ids[label] = dict(conn.execute("SELECT key, id FROM nodes WHERE label = ?", (label,)))
        self._ids, self._ids_at = ids, at
        return ids, at

    @staticmethod
    def _split_nodes(conn: sqlite3.Connection, ids: dict[str, dict[str, int]], nodes: Sequence[NodeRec],
                     staged: list[tuple[str, str]]) -> tuple[list[tuple], list[tuple]]:
        """Rows of the batch's new nodes (with the ids SQLite would give them: max(id) + 1, + 2, … in batch
        order; they enter the map now) and rows of the nodes the store already has (upserted by key)."""
        next_id = conn.execute("SELECT ifnull(max(id), 0) FROM nodes").fetchone()[0]
        new: list[tuple] = []
        known: list[tuple] = []
        for n in nodes:
            m = ids.get(n.label)
            if m is None:
                m = ids[n.label] = {}
            if n.key in m:
                known.append(node_row(n))
            else:
                next_id += 1
                m[n.key] = next_id
                staged.append((n.label, n.key))
                new.append((next_id, *node_row(n)))
        return new, known

    @staticmethod
    def _missing_end(conn: sqlite3.Connection, batch: Batch) -> StoreError | None:
        """The error naming the first relation of the batch whose source or target node does not exist."""
        for r in batch.rels:
            for label, key, end in ((r.src_label, r.src_key, "起点"), (r.dst_label, r.dst_key, "终点")):
                if conn.execute("SELECT 1 FROM nodes WHERE label=? AND key=?", (label, key)).fetchone() is None:
                    return StoreError(
                        f"关系 {r.type} {r.src_key} → {r.dst_key} 的{end} {label} {key!r} 不存在，整批未写入")
        return None
