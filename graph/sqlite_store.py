"""Embedded SQLite backend: the system of record on a laptop.

One file, WAL journal, one connection per thread. Every write() is a single `BEGIN IMMEDIATE` transaction, so
a batch is all-or-nothing even if the process is killed mid-way (SQLite's journal rolls it back on reopen).
Nodes and relations keep their properties as JSON text; the fields listed in schema.INDEXED_FIELDS get
partial expression indexes so that filtered listings do not scan the table.
"""
from __future__ import annotations

import os
import sqlite3
import threading
import uuid
from typing import Any, Iterable, Iterator, Sequence

import orjson

from graph.schema import INDEXED_FIELDS, Label
from graph.store import (
    ApiKeyRec,
    AuditEntry,
    Batch,
    Direction,
    Neighbour,
    RelRec,
    StoreError,
    WriteResult,
    check_expect,
    split_filter,
)

SCHEMA_VERSION = 1

DDL = [
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS nodes(
         label TEXT NOT NULL, key TEXT NOT NULL, name TEXT, props TEXT NOT NULL,
         PRIMARY KEY(label, key)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS rels(
         src_label TEXT NOT NULL, src_key TEXT NOT NULL, type TEXT NOT NULL,
         dst_label TEXT NOT NULL, dst_key TEXT NOT NULL, props TEXT NOT NULL,
         PRIMARY KEY(src_label, src_key, type, dst_label, dst_key)) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS rels_in ON rels(dst_label, dst_key, type)",
    "CREATE INDEX IF NOT EXISTS nodes_name ON nodes(label, name)",
    """CREATE TABLE IF NOT EXISTS audit(
         id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
         target TEXT NOT NULL, before TEXT, after TEXT)""",
    "CREATE INDEX IF NOT EXISTS audit_actor ON audit(actor, id)",
    """CREATE TABLE IF NOT EXISTS api_keys(
         key_id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, park TEXT, secret_hash TEXT NOT NULL,
         created_at TEXT NOT NULL, revoked_at TEXT)""",
]
for _label, _fields in INDEXED_FIELDS.items():
    for _f in _fields:
        DDL.append(
            f"CREATE INDEX IF NOT EXISTS nodes_{_label.value}_{_f} ON nodes(label, json_extract(props, '$.{_f}'))"
            f" WHERE label = '{_label.value}'"
        )

UPSERT_NODE = (
    "INSERT INTO nodes(label, key, name, props) VALUES (?, ?, ?, ?) "
    "ON CONFLICT(label, key) DO UPDATE SET name = excluded.name, props = excluded.props "
    "WHERE nodes.props IS NOT excluded.props"
)
UPSERT_REL = (
    "INSERT INTO rels(src_label, src_key, type, dst_label, dst_key, props) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT(src_label, src_key, type, dst_label, dst_key) DO UPDATE SET props = excluded.props "
    "WHERE rels.props IS NOT excluded.props"
)

_dumps = orjson.dumps


def dump_props(props: dict[str, Any]) -> str:
    """Canonical JSON (sorted keys) so that an unchanged node compares equal and is not rewritten."""
    return _dumps(props, option=orjson.OPT_SORT_KEYS).decode()


def _loads(text: str | bytes) -> dict[str, Any]:
    return orjson.loads(text)


class SQLiteStore:
    backend = "sqlite"

    def __init__(self, path: str | os.PathLike[str]):
        self.path = str(path)
        if self.path != ":memory:":
            parent = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(parent, exist_ok=True)
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._write_lock = threading.Lock()
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for stmt in DDL:
                    conn.execute(stmt)
                conn.execute("INSERT OR IGNORE INTO meta(k, v) VALUES ('version', '0')")
                conn.execute("INSERT OR IGNORE INTO meta(k, v) VALUES ('store_id', ?)", (uuid.uuid4().hex,))
                conn.execute("INSERT OR IGNORE INTO meta(k, v) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    # ------------------------------------------------------------------ connections
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            except sqlite3.Error as e:  # pragma: no cover - depends on filesystem
                raise StoreError(f"无法打开 SQLite 数据库 {self.path}: {e}") from e
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=OFF")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA cache_size=-262144")  # 256 MiB page cache
            conn.execute("PRAGMA temp_store=MEMORY")
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    def close(self) -> None:
        with self._conns_lock:
            for c in self._conns:
                try:
                    c.close()
                except sqlite3.Error:
                    pass
            self._conns.clear()
        self._local = threading.local()

    # ------------------------------------------------------------------ writes
    def write(self, batch: Batch, *, audit: AuditEntry | None = None) -> WriteResult:
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for ex in batch.expect:
                    r = conn.execute("SELECT props FROM nodes WHERE label=? AND key=?", (ex.label, ex.key)).fetchone()
                    check_expect(ex, None if r is None else _loads(r[0]))
                before = conn.total_changes
                if batch.nodes:
                    conn.executemany(
                        UPSERT_NODE,
                        ((n.label, n.key, n.props.get("name"), dump_props(n.props)) for n in batch.nodes),
                    )
                nodes_written = conn.total_changes - before
                mid = conn.total_changes
                if batch.rels:
                    conn.executemany(
                        UPSERT_REL,
                        ((r.src_label, r.src_key, r.type, r.dst_label, r.dst_key, dump_props(r.props)) for r in batch.rels),
                    )
                rels_written = conn.total_changes - mid
                mid = conn.total_changes
                for t, sl, sk, dl, dk in batch.delete_rels:
                    conn.execute(
                        "DELETE FROM rels WHERE src_label=? AND src_key=? AND type=? AND dst_label=? AND dst_key=?",
                        (sl, sk, t, dl, dk),
                    )
                deleted_rels = conn.total_changes - mid
                deleted_nodes = 0
                for label, key in batch.delete_nodes:
                    cur = conn.execute("DELETE FROM nodes WHERE label=? AND key=?", (label, key))
                    deleted_nodes += cur.rowcount
                    conn.execute("DELETE FROM rels WHERE src_label=? AND src_key=?", (label, key))
                    conn.execute("DELETE FROM rels WHERE dst_label=? AND dst_key=?", (label, key))
                changed = nodes_written + rels_written + deleted_rels + deleted_nodes
                if changed:
                    conn.execute("UPDATE meta SET v = CAST(v AS INTEGER) + 1 WHERE k = 'version'")
                if audit is not None and changed:
                    self._insert_audit(conn, audit)
                version = int(conn.execute("SELECT v FROM meta WHERE k='version'").fetchone()[0])
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return WriteResult(nodes_written, rels_written, deleted_rels + deleted_nodes, version)

    # ------------------------------------------------------------------ reads
    @staticmethod
    def _row(key: str, props: str) -> dict[str, Any]:
        d = _loads(props)
        d["key"] = key
        return d

    def get(self, label: str, key: str) -> dict[str, Any] | None:
        r = self._conn().execute("SELECT key, props FROM nodes WHERE label=? AND key=?", (label, key)).fetchone()
        return self._row(*r) if r else None

    def get_many(self, label: str, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        conn = self._conn()
        keys = list(dict.fromkeys(keys))
        for i in range(0, len(keys), 900):
            chunk = keys[i : i + 900]
            q = f"SELECT key, props FROM nodes WHERE label=? AND key IN ({','.join('?' * len(chunk))})"
            for k, p in conn.execute(q, (label, *chunk)):
                out[k] = self._row(k, p)
        return out

    def existing_keys(self, label: str, keys: Iterable[str]) -> set[str]:
        conn = self._conn()
        keys = list(dict.fromkeys(keys))
        found: set[str] = set()
        for i in range(0, len(keys), 900):
            chunk = keys[i : i + 900]
            q = f"SELECT key FROM nodes WHERE label=? AND key IN ({','.join('?' * len(chunk))})"
            found.update(k for (k,) in conn.execute(q, (label, *chunk)))
        return found

    @staticmethod
    def _expr(field: str) -> str:
        if field == "key":
            return "key"
        if field == "name":
            return "name"
        if not field.replace("_", "").isalnum():
            raise ValueError(f"非法字段名 {field!r}")
        return f"json_extract(props, '$.{field}')"

    def find(
        self,
        label: str,
        *,
        filters: dict[str, Any] | None = None,
        order_by: str = "key",
        descending: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int]:
        where = ["label = ?"]
        args: list[Any] = [label]
        for name, value in (filters or {}).items():
            if value is None:
                continue
            field, op = split_filter(name)
            expr = self._expr(field)
            if op == "eq":
                if field in ("key", "name"):
                    where.append(f"{expr} = ?")
                    args.append(value)
                else:
                    # equal for scalars, contains for list properties
                    where.append(
                        f"(CASE json_type(props, '$.{field}') WHEN 'array' THEN "
                        f"EXISTS (SELECT 1 FROM json_each(props, '$.{field}') WHERE value = ?) "
                        f"ELSE {expr} = ? END)"
                    )
                    args.extend([value, value])
            elif op == "in":
                vals = list(value)
                if not vals:
                    where.append("0")
                    continue
                where.append(f"{expr} IN ({','.join('?' * len(vals))})")
                args.extend(vals)
            elif op == "min":
                where.append(f"{expr} >= ?")
                args.append(value)
            elif op == "max":
                where.append(f"{expr} <= ?")
                args.append(value)
            elif op == "like":
                where.append(f"instr(lower({expr}), lower(?)) > 0")
                args.append(str(value))
        w = " AND ".join(where)
        conn = self._conn()
        total = conn.execute(f"SELECT count(*) FROM nodes WHERE {w}", args).fetchone()[0]
        order = self._expr(order_by)
        direction = "DESC" if descending else "ASC"
        rows = conn.execute(
            f"SELECT key, props FROM nodes WHERE {w} ORDER BY {order} {direction}, key {direction} LIMIT ? OFFSET ?",
            (*args, int(limit), int(offset)),
        ).fetchall()
        return [self._row(k, p) for k, p in rows], total

    def neighbours(
        self, label: str, key: str, *, rel_type: str | None = None, direction: Direction = "both", limit: int = 1000
    ) -> list[Neighbour]:
        conn = self._conn()
        out: list[Neighbour] = []
        type_sql = " AND r.type = ?" if rel_type else ""
        targs = (rel_type,) if rel_type else ()
        if direction in ("out", "both"):
            q = (
                "SELECT r.type, r.props, n.label, n.key, n.props FROM rels r JOIN nodes n "
                "ON n.label = r.dst_label AND n.key = r.dst_key "
                f"WHERE r.src_label = ? AND r.src_key = ?{type_sql} ORDER BY r.type, n.key LIMIT ?"
            )
            for t, rp, nl, nk, np_ in conn.execute(q, (label, key, *targs, limit)):
                out.append(Neighbour(t, "out", _loads(rp), nl, nk, self._row(nk, np_)))
        if direction in ("in", "both"):
            q = (
                "SELECT r.type, r.props, n.label, n.key, n.props FROM rels r JOIN nodes n "
                "ON n.label = r.src_label AND n.key = r.src_key "
                f"WHERE r.dst_label = ? AND r.dst_key = ?{type_sql} ORDER BY r.type, n.key LIMIT ?"
            )
            for t, rp, nl, nk, np_ in conn.execute(q, (label, key, *targs, limit)):
                out.append(Neighbour(t, "in", _loads(rp), nl, nk, self._row(nk, np_)))
        return out[:limit]

    def counts(self) -> dict[str, dict[str, int]]:
        conn = self._conn()
        nodes = {l: 0 for l in (x.value for x in Label)}
        nodes.update(dict(conn.execute("SELECT label, count(*) FROM nodes GROUP BY label").fetchall()))
        rels = dict(conn.execute("SELECT type, count(*) FROM rels GROUP BY type").fetchall())
        return {"nodes": nodes, "relations": rels}

    def iter_nodes(self, label: str) -> Iterator[tuple[str, dict[str, Any]]]:
        cur = self._conn().execute("SELECT key, props FROM nodes WHERE label = ? ORDER BY key", (label,))
        while True:
            rows = cur.fetchmany(10000)
            if not rows:
                return
            for k, p in rows:
                yield k, _loads(p)

    def iter_relations(self, rel_type: str | None = None) -> Iterator[RelRec]:
        conn = self._conn()
        if rel_type:
            cur = conn.execute(
                "SELECT type, src_label, src_key, dst_label, dst_key, props FROM rels WHERE type = ?", (rel_type,)
            )
        else:
            cur = conn.execute("SELECT type, src_label, src_key, dst_label, dst_key, props FROM rels")
        while True:
            rows = cur.fetchmany(10000)
            if not rows:
                return
            for t, sl, sk, dl, dk, p in rows:
                yield RelRec(t, sl, sk, dl, dk, _loads(p))

    def version(self) -> int:
        return int(self._conn().execute("SELECT v FROM meta WHERE k='version'").fetchone()[0])

    def store_id(self) -> str:
        return self._conn().execute("SELECT v FROM meta WHERE k='store_id'").fetchone()[0]

    def ping(self) -> bool:
        try:
            self._conn().execute("SELECT 1").fetchone()
            return True
        except sqlite3.Error:
            return False

    # ------------------------------------------------------------------ administration
    def put_api_key(self, rec: ApiKeyRec) -> None:
        conn = self._conn()
        with self._write_lock:
            conn.execute(
                "INSERT INTO api_keys(key_id, name, role, park, secret_hash, created_at, revoked_at) VALUES (?,?,?,?,?,?,?)",
                (rec.key_id, rec.name, rec.role, rec.park, rec.secret_hash, rec.created_at, rec.revoked_at),
            )

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

    @staticmethod
    def _insert_audit(conn: sqlite3.Connection, e: AuditEntry) -> None:
        conn.execute(
            "INSERT INTO audit(at, actor, action, target, before, after) VALUES (?,?,?,?,?,?)",
            (
                e.at,
                e.actor,
                e.action,
                e.target,
                None if e.before is None else _dumps(e.before).decode(),
                None if e.after is None else _dumps(e.after).decode(),
            ),
        )

    def append_audit(self, entry: AuditEntry) -> None:
        conn = self._conn()
        with self._write_lock:
            self._insert_audit(conn, entry)

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
                    "before": None if b is None else _loads(b),
                    "after": None if a is None else _loads(a),
                }
            )
        return out
