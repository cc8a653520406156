"""The layout of a ChainMatch SQLite database: tables, indexes, the SQL that writes and reads them, connection
settings, and bringing an older file up to this layout when it is opened.

Why it looks like this is in docs/storage.md: `nodes` is a rowid table (integer ids, unique (label, key)), `rels` a
WITHOUT ROWID table keyed by (src id, type, dst id); the filterable fields of schema.INDEXED_FIELDS are copied
into the plain columns ix1..ixN, one partial index each.
"""
from __future__ import annotations

import logging
import sqlite3
import uuid

import orjson

from graph.schema import INDEXED_FIELDS

SCHEMA_VERSION = 2

# label -> the indexed fields, in column order: field i of a label lives in column ix{i+1}
IX_FIELDS: dict[str, tuple[str, ...]] = {lab.value: tuple(fields) for lab, fields in INDEXED_FIELDS.items()}
N_IX = max((len(f) for f in IX_FIELDS.values()), default=0)
IX_COLS = tuple(f"ix{i + 1}" for i in range(N_IX))

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
    # 内容订阅 (graph/sqlite_store/alerts.py): subscriptions, events, digests, webhook outbox, processor state
    """CREATE TABLE IF NOT EXISTS alert_subs(
         sub_id TEXT PRIMARY KEY, owner TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, name TEXT NOT NULL,
         created_at TEXT NOT NULL, min_score REAL, region TEXT, webhook_url TEXT, secret TEXT)""",
    """CREATE TABLE IF NOT EXISTS alert_events(
         event_id TEXT PRIMARY KEY, ver INTEGER NOT NULL, kind TEXT NOT NULL, at TEXT NOT NULL, body TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS alert_inbox(
         owner TEXT NOT NULL, event_id TEXT NOT NULL, sub_id TEXT NOT NULL, read_at TEXT,
         PRIMARY KEY(owner, event_id)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS alert_outbox(
         job_id TEXT PRIMARY KEY, sub_id TEXT NOT NULL, owner TEXT NOT NULL, event_id TEXT NOT NULL,
         status TEXT NOT NULL, attempts INTEGER NOT NULL, next_at TEXT NOT NULL, last_error TEXT, updated_at TEXT)""",
    "CREATE TABLE IF NOT EXISTS alert_watch(k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID",
]
INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS nodes_key ON nodes(label, key)",
    "CREATE INDEX IF NOT EXISTS rels_in ON rels(dst, type)",
    "CREATE INDEX IF NOT EXISTS nodes_name ON nodes(label, name)",
    "CREATE INDEX IF NOT EXISTS audit_actor ON audit(actor, id)",
    "CREATE INDEX IF NOT EXISTS alert_subs_owner ON alert_subs(owner)",
    "CREATE INDEX IF NOT EXISTS alert_outbox_due ON alert_outbox(status, next_at)",
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

log = logging.getLogger("graph.sqlite_store")


def configure(conn: sqlite3.Connection, cache_kib: int = CACHE_KIB) -> None:
    """The settings of every connection to a ChainMatch database (the import benchmark's raw bound uses them too)."""
    conn.execute(f"PRAGMA page_size={PAGE_SIZE}")  # takes effect only when the file is created
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=OFF", "busy_timeout=30000",
                   f"cache_size=-{cache_kib}", "temp_store=MEMORY"):
        conn.execute(f"PRAGMA {pragma}")



def _ix_sql(i: int) -> str:
    """SQL giving column ix{i+1} of a node row from its JSON props (for migrating older databases)."""
    whens = [f"WHEN '{lab}' THEN json_extract(props, '$.{fields[i]}')" for lab, fields in IX_FIELDS.items()
             if len(fields) > i]
    return f"CASE label {' '.join(whens)} END" if whens else "NULL"


def migrate(conn: sqlite3.Connection) -> None:
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
    conn.execute("CREATE UNIQUE INDEX nodes_key ON nodes(label, key)")
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


def sync_indexed_fields(conn: sqlite3.Connection) -> None:
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


def open_schema(conn: sqlite3.Connection) -> None:
    """Create or migrate the layout and the meta rows (version, store id, schema version), all or nothing."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        migrate(conn)
        for stmt in TABLES:
            conn.execute(stmt)
        sync_indexed_fields(conn)
        for stmt in INDEXES:
            conn.execute(stmt)
        conn.execute("INSERT OR IGNORE INTO meta(k, v) VALUES ('version', '0')")
        conn.execute("INSERT OR IGNORE INTO meta(k, v) VALUES ('store_id', ?)", (uuid.uuid4().hex,))
        conn.execute("INSERT OR REPLACE INTO meta(k, v) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
