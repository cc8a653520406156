"""Embedded SQLite backend: the system of record on a laptop.

One file, WAL journal (synchronous=NORMAL), one connection per thread. Every write() is a single
`BEGIN IMMEDIATE` transaction, so a batch is all-or-nothing even if the process is killed mid-way (SQLite's
journal rolls it back on reopen). Layout and the reasons for it are in docs/storage.md:

* `nodes` is a rowid table: each node gets an integer id when first written (kept while it exists), with a
  unique index on (label, key). `rels` is a WITHOUT ROWID table keyed by (src id, type, dst id), with the
  incoming index (dst, type): a relation's key and index entry shrink from ~60 bytes of text to ~15, the file
  by ~30 %, imports write less and the snapshot reads relations as integers. Properties are canonical JSON text; a
  relation's numeric `weight` is also kept in the column w for the snapshot.
* The few filterable fields of schema.INDEXED_FIELDS are copied, when the row is written, into the plain columns
  ix1..ixN (which field each holds depends on the label) with one partial index per column. This replaced one
  JSON expression index per field: those parsed every firm's JSON once per index on every write.
* `changelog` keeps, per version, which node and relation keys the write touched (for the last CHANGELOG_KEEP
  versions, for writes of up to CHANGELOG_MAX_ITEMS records); `changes_since` turns that into the current state
  of those keys, which is what the analytic snapshot patches itself from instead of rebuilding.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
import uuid
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np
import orjson

from graph.schema import INDEXED_FIELDS, RELATIONS, Label
from graph.store import (
    ApiKeyRec,
    AuditEntry,
    Batch,
    ChangeSet,
    Direction,
    EdgeArrays,
    Neighbour,
    NodeRec,
    RelKey,
    RelRec,
    StoreError,
    WriteResult,
    check_expect,
    split_filter, positions, rel_weight,
)

SCHEMA_VERSION = 2

# label -> the indexed fields, in column order: field i of a label lives in column ix{i+1}
IX_FIELDS: dict[str, tuple[str, ...]] = {lab.value: tuple(fields) for lab, fields in INDEXED_FIELDS.items()}
N_IX = max((len(f) for f in IX_FIELDS.values()), default=0)
IX_COLS = tuple(f"ix{i + 1}" for i in range(N_IX))

CHANGELOG_MAX_ITEMS = 20_000  # a bigger write is logged as "not itemised": a snapshot rebuilds after it
CHANGELOG_KEEP = 1_000  # versions of change log kept
EDGE_ID_STEP = 50_000  # node ids per relation read of edge_arrays
BIG_WRITE_ROWS = 100_000  # a write this large gets a bigger page cache while it runs
BIG_WRITE_CACHE_KIB = 524_288  # 512 MiB (a 1M-firm database is ~1.9 GiB; RSS target 3 GB)
CACHE_KIB = 262_144  # 256 MiB per connection otherwise
PAGE_SIZE = 8192  # bytes, for new files (older files keep theirs): fewer B-tree pages and splits per import

TABLES = [
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL)",
    f"""CREATE TABLE IF NOT EXISTS nodes(
         id INTEGER PRIMARY KEY, label TEXT NOT NULL, key TEXT NOT NULL, name TEXT,
         props TEXT NOT NULL{''.join(f', {c}' for c in IX_COLS)})""",
    """CREATE TABLE IF NOT EXISTS rels(
         src INTEGER NOT NULL, type TEXT NOT NULL, dst INTEGER NOT NULL, props TEXT NOT NULL, w REAL,
         PRIMARY KEY(src, type, dst)) WITHOUT ROWID""",
    "CREATE TABLE IF NOT EXISTS changelog(ver INTEGER PRIMARY KEY, items BLOB)",
    """CREATE TABLE IF NOT EXISTS audit(
         id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
         target TEXT NOT NULL, before TEXT, after TEXT)""",
    """CREATE TABLE IF NOT EXISTS api_keys(
         key_id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, park TEXT, secret_hash TEXT NOT NULL,
         created_at TEXT NOT NULL, revoked_at TEXT)""",
]
INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS nodes_key ON nodes(label, key)",
    "CREATE INDEX IF NOT EXISTS rels_in ON rels(dst, type)",
    "CREATE INDEX IF NOT EXISTS nodes_name ON nodes(label, name)",
    "CREATE INDEX IF NOT EXISTS audit_actor ON audit(actor, id)",
    *(f"CREATE INDEX IF NOT EXISTS nodes_{c} ON nodes(label, {c}) WHERE {c} IS NOT NULL" for c in IX_COLS),
]
DDL = TABLES + INDEXES

UPSERT_NODE = (
    f"INSERT INTO nodes(label, key, name, props{''.join(f', {c}' for c in IX_COLS)}) "
    f"VALUES (?, ?, ?, ?{', ?' * N_IX}) "
    "ON CONFLICT(label, key) DO UPDATE SET name = excluded.name, props = excluded.props"
    f"{''.join(f', {c} = excluded.{c}' for c in IX_COLS)} "
    "WHERE nodes.props IS NOT excluded.props"
)
# a node that the id map (see SQLiteStore._id_map) knows is new, with the id it assigned
INSERT_NODE_ID = (
    f"INSERT INTO nodes(id, label, key, name, props{''.join(f', {c}' for c in IX_COLS)}) "
    f"VALUES (?, ?, ?, ?, ?{', ?' * N_IX})"
)
NODE_ID = "(SELECT id FROM nodes WHERE label = ? AND key = ?)"
# rel_row() gives (src_label, src_key, type, dst_label, dst_key, props, w); the ends are looked up by key. A
# missing end makes the id NULL, which the NOT NULL columns refuse: the whole batch fails (see write()).
INSERT_REL = (
    "INSERT INTO rels(src, type, dst, props, w) VALUES ((SELECT id FROM nodes WHERE label = ?1 AND key = ?2), ?3, "
    "(SELECT id FROM nodes WHERE label = ?4 AND key = ?5), ?6, ?7)"
)
UPSERT_REL = (
    INSERT_REL + " ON CONFLICT(src, type, dst) DO UPDATE SET props = excluded.props, w = excluded.w "
    "WHERE rels.props IS NOT excluded.props"
)
# the same with the ends' ids resolved by the writer (the id map): (src, type, dst, props, w)
UPSERT_REL_ID = (
    "INSERT INTO rels(src, type, dst, props, w) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT(src, type, dst) DO UPDATE SET props = excluded.props, w = excluded.w "
    "WHERE rels.props IS NOT excluded.props"
)
# a relation with its ends' labels and keys
REL_SELECT = (
    "SELECT r.type, s.label, s.key, d.label, d.key, r.props FROM rels r "
    "JOIN nodes s ON s.id = r.src JOIN nodes d ON d.id = r.dst"
)

log = logging.getLogger(__name__)
_dumps = orjson.dumps
_NO_IX = (None,) * N_IX


def dump_props(props: dict[str, Any]) -> str:
    """Canonical JSON (sorted keys) so that an unchanged node compares equal and is not rewritten."""
    return _dumps(props, option=orjson.OPT_SORT_KEYS).decode()


def _ix_value(v: Any) -> Any:
    """What json_extract(props, '$.field') would give: scalars as they are, lists/objects as JSON text."""
    if v is None or isinstance(v, (str, int, float)):
        return v
    return _dumps(v).decode()


def node_row(n: NodeRec) -> tuple:
    """The nodes-table row of a node: label, key, name, props JSON, then its indexed fields (ix1..ixN)."""
    props = n.props
    fields = IX_FIELDS.get(n.label)
    if fields is None:
        ix = _NO_IX
    else:
        ix = tuple(_ix_value(props.get(f)) for f in fields) + _NO_IX[len(fields):]
    return (n.label, n.key, props.get("name"), dump_props(props), *ix)


def rel_row(r: RelRec) -> tuple:
    """The rels-table row of a relation: its key, props JSON, and its numeric `weight` (w) for the snapshot."""
    return (r.src_label, r.src_key, r.type, r.dst_label, r.dst_key, dump_props(r.props), rel_weight(r.props))


def rel_rows_by_id(ids: dict[str, dict[str, int]], rels: Iterable[RelRec]) -> Iterator[tuple]:
    """rel_row() with the ends as ids from the id map; an end the map lacks gives NULL, which the NOT NULL
    columns refuse (the batch fails, as when SQLite looks the end up)."""
    no_ids: dict[str, int] = {}
    get = ids.get
    for r in rels:
        yield (get(r.src_label, no_ids).get(r.src_key), r.type, get(r.dst_label, no_ids).get(r.dst_key),
               dump_props(r.props), rel_weight(r.props))


def configure(conn: sqlite3.Connection, cache_kib: int = CACHE_KIB) -> None:
    """The settings of every connection to a ChainMatch database (the import benchmark's raw bound uses them too)."""
    conn.execute(f"PRAGMA page_size={PAGE_SIZE}")  # takes effect only when the file is created
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=OFF", "busy_timeout=30000",
                   f"cache_size=-{cache_kib}", "temp_store=MEMORY"):
        conn.execute(f"PRAGMA {pragma}")


class _StaleIds(Exception):
    """The id map did not match the nodes table (a bug or an unnoticed outside change): write by key instead."""


def _loads(text: str | bytes) -> dict[str, Any]:
    return orjson.loads(text)


def _ix_sql(i: int) -> str:
    """SQL giving column ix{i+1} of a node row from its JSON props (for migrating older databases)."""
    whens = [f"WHEN '{lab}' THEN json_extract(props, '$.{fields[i]}')" for lab, fields in IX_FIELDS.items()
             if len(fields) > i]
    return f"CASE label {' '.join(whens)} END" if whens else "NULL"


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring a schema-1 database (text-keyed relations, JSON expression indexes) to this layout, in the opening
    transaction: all or nothing. Relations whose ends do not exist cannot be kept and are counted in the log."""
    cols = {r[1] for r in conn.execute("PRAGMA table_info(nodes)")}
    if not cols or "id" in cols:
        return
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('nodes', 'rels') AND sql IS NOT NULL"
    ).fetchall():
        conn.execute(f'DROP INDEX "{name}"')
    conn.execute("ALTER TABLE nodes RENAME TO nodes_v1")
    conn.execute("CREATE TABLE IF NOT EXISTS rels(src_label TEXT, src_key TEXT, type TEXT, dst_label TEXT, "
                 "dst_key TEXT, props TEXT)")  # (a schema-1 file always has it; this keeps the copy below valid)
    conn.execute("ALTER TABLE rels RENAME TO rels_v1")
    for stmt in TABLES:
        conn.execute(stmt)
    conn.execute(f"CREATE UNIQUE INDEX nodes_key ON nodes(label, key)")
    ix = "".join(f", {_ix_sql(i)}" for i in range(N_IX))
    conn.execute(f"INSERT INTO nodes(label, key, name, props{''.join(f', {c}' for c in IX_COLS)}) "
                 f"SELECT label, key, name, props{ix} FROM nodes_v1 ORDER BY label, key")
    before = conn.execute("SELECT count(*) FROM rels_v1").fetchone()[0]
    conn.execute(
        "INSERT INTO rels(src, type, dst, props, w) SELECT s.id, r.type, d.id, r.props, "
        "CASE WHEN json_type(r.props, '$.weight') IN ('integer', 'real') THEN json_extract(r.props, '$.weight') END "
        "FROM rels_v1 r JOIN nodes s ON s.label = r.src_label AND s.key = r.src_key "
        "JOIN nodes d ON d.label = r.dst_label AND d.key = r.dst_key"
    )
    kept = conn.execute("SELECT count(*) FROM rels").fetchone()[0]
    if kept < before:
        log.warning("迁移存储：%d 条关系的端点不存在，未保留", before - kept)
    conn.execute("DROP TABLE nodes_v1")
    conn.execute("DROP TABLE rels_v1")
    conn.execute("INSERT OR REPLACE INTO meta(k, v) VALUES ('ix_fields', ?)", (orjson.dumps(IX_FIELDS).decode(),))


def _sync_indexed_fields(conn: sqlite3.Connection) -> None:
    """If schema.INDEXED_FIELDS changed since the file was last opened, give nodes the columns it now needs and
    recompute ix1..ixN from the JSON (once; in the opening transaction), so a filter never reads a stale column."""
    want = orjson.dumps(IX_FIELDS).decode()
    r = conn.execute("SELECT v FROM meta WHERE k = 'ix_fields'").fetchone()
    if r is not None and r[0] == want:
        return
    have = {c[1] for c in conn.execute("PRAGMA table_info(nodes)")}
    for c in IX_COLS:
        if c not in have:
            conn.execute(f"ALTER TABLE nodes ADD COLUMN {c}")
    if r is not None or conn.execute("SELECT 1 FROM nodes LIMIT 1").fetchone():
        sets = ", ".join(f"{c} = {_ix_sql(i)}" for i, c in enumerate(IX_COLS))
        if sets:
            conn.execute(f"UPDATE nodes SET {sets}")
    conn.execute("INSERT OR REPLACE INTO meta(k, v) VALUES ('ix_fields', ?)", (want,))


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
        # label -> key -> node id, exact at store state _ids_at = (store_id, version); see _id_map
        self._ids: dict[str, dict[str, int]] | None = None
        self._ids_at: tuple[str, int] | None = None
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                _migrate(conn)
                for stmt in TABLES:
                    conn.execute(stmt)
                _sync_indexed_fields(conn)
                for stmt in INDEXES:
                    conn.execute(stmt)
                conn.execute("INSERT OR IGNORE INTO meta(k, v) VALUES ('version', '0')")
                conn.execute("INSERT OR IGNORE INTO meta(k, v) VALUES ('store_id', ?)", (uuid.uuid4().hex,))
                conn.execute("INSERT OR REPLACE INTO meta(k, v) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
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
            configure(conn)
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
        self._ids, self._ids_at = None, None

    # ------------------------------------------------------------------ writes
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
                check_expect(ex, None if r is None else _loads(r[0]))
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
                self._log_change(conn, version, batch)
            if audit is not None and changed:
                self._insert_audit(conn, audit)
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

    @staticmethod
    def _log_change(conn: sqlite3.Connection, version: int, batch: Batch) -> None:
        """Record which keys this version touched (a superset of what changed), or NULL for a write too big to
        itemise; and forget versions older than CHANGELOG_KEEP."""
        items: bytes | None = None
        if len(batch) <= CHANGELOG_MAX_ITEMS:
            items = _dumps({
                "n": [[n.label, n.key] for n in batch.nodes] + [list(k) for k in batch.delete_nodes],
                "r": [[r.type, r.src_label, r.src_key, r.dst_label, r.dst_key] for r in batch.rels]
                     + [list(k) for k in batch.delete_rels],
            })
        conn.execute("INSERT OR REPLACE INTO changelog(ver, items) VALUES (?, ?)", (version, items))
        conn.execute("DELETE FROM changelog WHERE ver <= ?", (version - CHANGELOG_KEEP,))

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

    def node_ids(self, label: str, keys: Iterable[str]) -> dict[str, int]:
        """The row ids of these nodes (absent keys left out) — for tools that write rows by id themselves, such as
        the import benchmark's raw bound."""
        conn = self._conn()
        keys = list(dict.fromkeys(keys))
        out: dict[str, int] = {}
        for i in range(0, len(keys), 900):
            chunk = keys[i : i + 900]
            q = f"SELECT key, id FROM nodes WHERE label=? AND key IN ({','.join('?' * len(chunk))})"
            out.update(conn.execute(q, (label, *chunk)))
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
    def _expr(field: str, label: str | None = None) -> str:
        if field == "key":
            return "key"
        if field == "name":
            return "name"
        if not field.replace("_", "").isalnum():
            raise ValueError(f"非法字段名 {field!r}")
        fields = IX_FIELDS.get(label or "", ())
        if field in fields:
            return IX_COLS[fields.index(field)]
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
            expr = self._expr(field, label)
            if op == "eq":
                if field in ("key", "name") or not expr.startswith("json_extract"):
                    where.append(f"{expr} = ?")
                    args.append(_ix_value(value) if expr in IX_COLS else value)
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
        order = self._expr(order_by, label)
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
                "SELECT r.type, r.props, n.label, n.key, n.props FROM rels r JOIN nodes n ON n.id = r.dst "
                f"WHERE r.src = {NODE_ID}{type_sql} ORDER BY r.type, n.key LIMIT ?"
            )
            for t, rp, nl, nk, np_ in conn.execute(q, (label, key, *targs, limit)):
                out.append(Neighbour(t, "out", _loads(rp), nl, nk, self._row(nk, np_)))
        if direction in ("in", "both"):
            q = (
                "SELECT r.type, r.props, n.label, n.key, n.props FROM rels r JOIN nodes n ON n.id = r.src "
                f"WHERE r.dst = {NODE_ID}{type_sql} ORDER BY r.type, n.key LIMIT ?"
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
            cur = conn.execute(f"{REL_SELECT} WHERE r.type = ?", (rel_type,))
        else:
            cur = conn.execute(REL_SELECT)
        while True:
            rows = cur.fetchmany(10000)
            if not rows:
                return
            for t, sl, sk, dl, dk, p in rows:
                yield RelRec(t, sl, sk, dl, dk, _loads(p))

    def node_columns(self, label: str, fields: Sequence[str], *, chunk_size: int = 50_000
                     ) -> Iterator[tuple[list[str], list[str | None], list[list[Any]]]]:
        """A chunk of nodes per query, each column as one text: keys and names joined by SQLite, the fields by one
        json_extract per node naming every path (SQLite parses the JSON once, in C) and one orjson parse per
        chunk. No Python object is made per node except the values themselves."""
        for f in fields:
            self._expr(f)  # plain names only
        if fields:
            paths = ", ".join(f"'$.{f}'" for f in fields)
            if len(fields) == 1:  # with one path json_extract gives the value itself, not an array
                paths += f", '$.{fields[0]}'"
            values_sql = f"json_extract(props, {paths})"
        else:
            values_sql = "'[]'"
        q = (f"SELECT count(*), max(key), group_concat(key, char(31)), group_concat(ifnull(name, ''), char(31)), "
             f"group_concat(name IS NULL), '[' || group_concat({values_sql}) || ']' "
             "FROM (SELECT key, name, props FROM nodes WHERE label = ? AND key > ? ORDER BY key LIMIT ?)")
        conn = self._conn()
        after = ""
        r = conn.execute(f"SELECT name, {values_sql} FROM nodes WHERE label = ? AND key = ''", (label,)).fetchone()
        if r is not None:  # an empty key (the store does not forbid one) sorts before the first chunk
            values = orjson.loads(r[1])
            yield [""], [r[0]], [values[:1] if len(fields) == 1 else values]
        while True:
            n, last, keys_txt, names_txt, no_name, values_txt = conn.execute(q, (label, after, chunk_size)).fetchone()
            if not n:
                return
            keys, names = keys_txt.split("\x1f"), names_txt.split("\x1f")
            if len(keys) != n or len(names) != n:  # a separator inside a key or name: read this chunk row by row
                rows = conn.execute(f"SELECT key, name, {values_sql} FROM nodes WHERE label = ? AND key > ? "
                                    "ORDER BY key LIMIT ?", (label, after, chunk_size)).fetchall()
                keys, names = [r[0] for r in rows], [r[1] for r in rows]
                values = orjson.loads("[" + ",".join(r[2] for r in rows) + "]")
            else:
                if "1" in no_name:
                    names = [None if flag == "1" else nm for nm, flag in zip(names, no_name.split(","))]
                values = orjson.loads(values_txt)
            if len(fields) == 1:
                values = [v[:1] for v in values]
            yield keys, names, values
            after = last

    def edge_arrays(self, keys: Mapping[str, np.ndarray]) -> dict[tuple[str, str, str], EdgeArrays]:
        """Node ids are mapped to positions in `keys` with numpy (ids in key order per label, then a dense
        id → position table); relations are read as integers, a chunk at a time."""
        conn = self._conn()
        conn.execute("BEGIN")  # ids and relations from one state of the database
        try:
            max_id = conn.execute("SELECT ifnull(max(id), 0) FROM nodes").fetchone()[0]
            pos = np.full(max_id + 1, -1, dtype=np.int64)
            label_of = np.full(max_id + 1, -1, dtype=np.int16)
            labels = list(keys)
            for li, label in enumerate(labels):
                rows = conn.execute("SELECT id, key FROM nodes WHERE label = ? ORDER BY key", (label,)).fetchall()
                if not rows:
                    continue
                ids = np.fromiter((i for i, _ in rows), dtype=np.int64, count=len(rows))
                want = keys[label]
                store_keys = np.asarray([k for _, k in rows], dtype=str)
                if store_keys.shape == want.shape and bool(np.all(store_keys == want)):
                    at = np.arange(len(rows), dtype=np.int64)
                else:  # the snapshot's keys were read at another moment: match them key by key
                    at = positions(want, store_keys)
                pos[ids] = at
                label_of[ids] = li
            # Relations a range of source ids at a time, each column as one comma-separated text that numpy
            # parses in C: no Python object per relation.
            types = list(RELATIONS)
            if conn.execute(f"SELECT 1 FROM rels WHERE type NOT IN ({','.join('?' * len(types))}) LIMIT 1",
                            types).fetchone():  # a type the schema no longer has: list them all (one scan)
                types = [t for (t,) in conn.execute("SELECT DISTINCT type FROM rels")]
            # a cheap number per type (first letter, length), or its offset in a joined list if two types share one
            cheap = {ord(t[0]) * 256 + len(t): t for t in types}
            if len(cheap) == len(types):
                code_sql, arg, type_at = "unicode(type) * 256 + length(type)", None, cheap
            else:
                joined = "|" + "|".join(types) + "|"
                code_sql, arg = "instr(?1, '|' || type || '|')", joined
                type_at = {joined.index(f"|{t}|") + 1: t for t in types}
            q = (f"SELECT group_concat({code_sql}), group_concat(src), group_concat(dst), group_concat(ifnull(w, 0)) "
                 "FROM rels WHERE src >= ?2 AND src < ?3 AND (?1 IS NULL OR ?1 IS NOT NULL)")
            parts: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
            for lo in range(0, max_id + 1, EDGE_ID_STEP):
                t_txt, s_txt, d_txt, w_txt = conn.execute(q, (arg, lo, lo + EDGE_ID_STEP)).fetchone()
                if t_txt is None:
                    continue
                t_a = np.fromstring(t_txt, dtype=np.int64, sep=",")
                src_a = np.fromstring(s_txt, dtype=np.int64, sep=",")
                dst_a = np.fromstring(d_txt, dtype=np.int64, sep=",")
                w_a = np.fromstring(w_txt, dtype=np.float64, sep=",")
                for code in np.unique(t_a):
                    m = t_a == code
                    parts.setdefault(type_at[int(code)], []).append((src_a[m], dst_a[m], w_a[m]))
        finally:
            conn.execute("COMMIT")
        out: dict[tuple[str, str, str], EdgeArrays] = {}
        for t, chunks in parts.items():
            src_a, dst_a, w_a = (np.concatenate(x) for x in zip(*chunks))
            sl, dl = label_of[src_a], label_of[dst_a]
            ok = (sl >= 0) & (dl >= 0)
            si, di = pos[src_a], pos[dst_a]
            ok &= (si >= 0) & (di >= 0)
            combo = sl.astype(np.int64) * len(labels) + dl
            for c in np.unique(combo[ok]):
                m = ok & (combo == c)
                out[(t, labels[int(c) // len(labels)], labels[int(c) % len(labels)])] = (si[m], di[m], w_a[m])
        return out

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
                        state[k] = _loads(p)
                nodes[label] = state
            rels: dict[RelKey, dict[str, Any] | None] = {}
            for t, sl, sk, dl, dk in rel_keys:
                r = conn.execute(f"SELECT props FROM rels WHERE src = {NODE_ID} AND type = ? AND dst = {NODE_ID}",
                                 (sl, sk, t, dl, dk)).fetchone()
                rels[(t, sl, sk, dl, dk)] = None if r is None else _loads(r[0])
            return ChangeSet(version, current, nodes, rels)
        finally:
            conn.execute("COMMIT")

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
