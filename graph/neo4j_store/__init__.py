"""Neo4j backend of the ChainMatch graph store (production), with the official `neo4j` Python driver.

Same contract and the same observable behaviour as graph.sqlite_store.SQLiteStore (see graph/store.py):
get() returns the property dict plus "key", find() returns (rows, total), neighbours() returns Neighbour
records, write() is one all-or-nothing transaction and bumps version() only if it changed something.

The package, by job:
* `statements` — the catalogue of every Cypher statement the backend can send (STATEMENTS, all_statements(),
  lint_schema() for the CI linter) and `run`, the only way the backend talks to Neo4j. Every value is a
  parameter; labels and relationship types come only from the closed sets of graph/schema.
* `session` — driver, sessions, retried reads, managed writes, schema set-up (constraints, indexes, meta node).
* `writes` — write(): plan the batch, then one transaction under the meta node's write lock.
* `reads` — point reads, find(), neighbours, counts, scans and the analytic snapshot's bulk reads.
* `changelog` — the per-version change log and changes_since().
* `admin` — API keys and the audit log.
* `alerts` — 内容订阅 records: subscriptions, events, digests, webhook outbox, the alert processor's state.
* `records` — property maps as Neo4j can hold them, and rows as both backends return them.

Graph layout
------------
* A domain node is `(:<Label> {key, ...props})`; props are flat (text, numbers, booleans, lists of those).
  A uniqueness constraint on (Label, key) backs MERGE; indexes on name and on INDEXED_FIELDS serve find().
* A relation is one relationship per (type, src, dst), MERGE'd, with its props set.
* `(:ChainMatchMeta {id: 'meta'})` holds version, store_id (uuid, created once), schema_version and the
  audit sequence. Every write() takes a write lock on it first, so writers are serialised like SQLite's
  BEGIN IMMEDIATE and the change detection below is exact under concurrency.
* `(:AuditEntry {id, at, actor, action, target, before, after})` — before/after as JSON text.
* `(:ApiKey {key_id, name, role, park, secret_hash, created_at, revoked_at})`.
* `(:ChainMatchChange {ver, items})` — the change log: per version, the node and relation keys that write touched
  (JSON text; absent for a write too big to itemise), written in the write's transaction, the last CHANGELOG_KEEP
  versions kept. `changes_since` reads it, then the current state of those keys, which is what the analytic
  snapshot patches itself from (as with SQLite's changelog table).

Needs Neo4j 5.13 or later (type predicate expressions, valueType()); Community edition is enough.

Change detection
----------------
An upsert replaces a node's (relationship's) whole property map, like SQLite's `props = excluded.props`.
The statement keeps the map from before the SET and counts the rows whose map differs afterwards — map
inequality plus a valueType() check so that 1 → 1.0 counts as a change, as it does in SQLite's JSON text.
A freshly created node/relationship carries a transient marker property until the SET replaces the map,
so creation always counts, even with empty props. Re-writing identical data counts 0 and the version
stays put.
"""
from __future__ import annotations

from graph.neo4j_store.admin import Neo4jAdmin
from graph.neo4j_store.alerts import Neo4jAlerts
from graph.neo4j_store.changelog import CHANGELOG_KEEP, CHANGELOG_MAX_ITEMS, Neo4jChangeLog
from graph.neo4j_store.reads import KEY_CHUNK, Neo4jReads
from graph.neo4j_store.session import READ_RETRIES, SCHEMA_VERSION
from graph.neo4j_store.statements import (
    APIKEY,
    AUDIT,
    CHANGE,
    CREATED_MARK,
    LABELS,
    LOCK_PROP,
    META,
    REL_COMBOS,
    SCHEMA_STATEMENTS,
    SEEK_FIELDS,
    STATEMENT_PARAMS,
    STATEMENTS,
    all_statements,
    lint_schema,
)
from graph.neo4j_store.writes import CHUNK, Neo4jWrites

__all__ = [
    "APIKEY", "AUDIT", "CHANGE", "CHANGELOG_KEEP", "CHANGELOG_MAX_ITEMS", "CHUNK", "CREATED_MARK", "KEY_CHUNK",
    "LABELS", "LOCK_PROP", "META", "READ_RETRIES", "REL_COMBOS", "SCHEMA_STATEMENTS", "SCHEMA_VERSION",
    "SEEK_FIELDS", "STATEMENTS", "STATEMENT_PARAMS", "Neo4jStore", "all_statements", "lint_schema",
]


class Neo4jStore(Neo4jWrites, Neo4jReads, Neo4jChangeLog, Neo4jAdmin, Neo4jAlerts):
    """The graph store on Neo4j: see the module docstring and graph/store.py (GraphStore)."""

    backend = "neo4j"
