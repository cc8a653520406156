"""Embedded SQLite backend of the ChainMatch graph store: the system of record on a laptop.

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

The package, by job: `tables` (layout, SQL, connection settings, migrations), `rows` (records as table rows),
`connection` (file, per-thread connections, opening), `writes` (write() and the id map), `reads` (point reads,
find(), neighbours, counts, scans), `bulk` (the snapshot's column and edge reads), `changelog` (the change log and
changes_since()), `admin` (API keys, audit log), `alerts` (内容订阅: subscriptions, events, digests, webhook
outbox, the alert processor's state).
"""
from __future__ import annotations

from graph.sqlite_store.admin import SQLiteAdmin
from graph.sqlite_store.alerts import SQLiteAlerts
from graph.sqlite_store.bulk import EDGE_ID_STEP, SQLiteBulkReads
from graph.sqlite_store.changelog import CHANGELOG_KEEP, CHANGELOG_MAX_ITEMS, SQLiteChangeLog
from graph.sqlite_store.reads import SQLiteReads
from graph.sqlite_store.rows import dump_props, node_row, rel_row, rel_rows_by_id
from graph.sqlite_store.tables import (
    CACHE_KIB,
    DDL,
    INDEXES,
    INSERT_NODE_ID,
    INSERT_REL,
    IX_COLS,
    IX_FIELDS,
    N_IX,
    NODE_ID,
    PAGE_SIZE,
    REL_SELECT,
    SCHEMA_VERSION,
    TABLES,
    UPSERT_NODE,
    UPSERT_REL,
    UPSERT_REL_ID,
    configure,
)
from graph.sqlite_store.writes import BIG_WRITE_CACHE_KIB, BIG_WRITE_ROWS, SQLiteWrites

__all__ = [
    "BIG_WRITE_CACHE_KIB", "BIG_WRITE_ROWS", "CACHE_KIB", "CHANGELOG_KEEP", "CHANGELOG_MAX_ITEMS", "DDL",
    "EDGE_ID_STEP", "INDEXES", "INSERT_NODE_ID", "INSERT_REL", "IX_COLS", "IX_FIELDS", "NODE_ID", "N_IX", "PAGE_SIZE",
    "REL_SELECT", "SCHEMA_VERSION", "SQLiteStore", "TABLES", "UPSERT_NODE", "UPSERT_REL", "UPSERT_REL_ID",
    "configure", "dump_props", "node_row", "rel_row", "rel_rows_by_id",
]


class SQLiteStore(SQLiteWrites, SQLiteReads, SQLiteBulkReads, SQLiteChangeLog, SQLiteAdmin, SQLiteAlerts):
    """The graph store in one SQLite file: see the module docstring and graph/store.py (GraphStore)."""

    backend = "sqlite"
