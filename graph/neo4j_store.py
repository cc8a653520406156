"""Neo4j backend (production), with the official `neo4j` Python driver.

Same contract and the same observable behaviour as graph.sqlite_store.SQLiteStore (see graph/store.py):
get() returns the property dict plus "key", find() returns (rows, total), neighbours() returns Neighbour
records, write() is one all-or-nothing transaction and bumps version() only if it changed something.

How statements are made
-----------------------
Every value travels as a query parameter; nothing the caller supplies is ever formatted into Cypher.
Labels and relationship types cannot be parameters, so every statement this module can send is generated
ONCE, at import time, from the closed sets in graph/schema.py (Label, RELATIONS, INDEXED_FIELDS) and kept in
STATEMENTS. The store only ever sends STATEMENTS[name] (see `_run`), and `all_statements()` returns all of
them so that CI lints every one with the official Neo4j linter (tools/cypher-lint). A label or relation type
that is not in the schema is refused before anything is sent.

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

import re
import threading
import time
import uuid
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence, cast

import orjson

from graph.schema import INDEXED_FIELDS, MODELS, RELATIONS, Label
from graph.store import (
    ApiKeyRec,
    AuditEntry,
    Batch,
    ChangeSet,
    Direction,
    EdgeArrays,
    Neighbour,
    RelKey,
    RelRec,
    ConflictError,
    StoreError,
    WriteResult,
    check_expect,
    positions,
    split_filter,
)

try:  # the driver is a hard dependency of the project, but keep all_statements() importable without it
    import neo4j
    from neo4j import GraphDatabase
    from neo4j import exceptions as neo4j_exc
except ImportError:  # pragma: no cover - neo4j is in pyproject dependencies
    neo4j = None  # type: ignore[assignment]
    GraphDatabase = None  # type: ignore[assignment]
    neo4j_exc = None  # type: ignore[assignment]

SCHEMA_VERSION = 2  # 2: change log (ChainMatchChange)
CHUNK = 5_000  # UNWIND rows per statement (all chunks of one write() share one transaction)
KEY_CHUNK = 10_000  # keys per get_many / existing_keys statement
CHANGELOG_MAX_ITEMS = 20_000  # a bigger write is logged as "not itemised": a snapshot rebuilds after it
CHANGELOG_KEEP = 1_000  # versions of change log kept
READ_RETRIES = 4  # a read that meets a transient error (leader switch, database starting) is retried this often

META = "ChainMatchMeta"
AUDIT = "AuditEntry"
APIKEY = "ApiKey"
CHANGE = "ChainMatchChange"
CREATED_MARK = "__cm_created"  # transient; present only between MERGE … ON CREATE and the replacing SET
LOCK_PROP = "_LOCK_"  # transient write lock on the meta node (set and removed in the same transaction)

LABELS: tuple[str, ...] = tuple(l.value for l in Label)
# (type, src label, dst label) combinations the schema allows; only these have write statements.
REL_COMBOS: tuple[tuple[str, str, str], ...] = tuple(
    (rt.name, s.value, d.value) for rt in RELATIONS.values() for s in rt.src for d in rt.dst
)
SEEK_FIELDS: dict[str, tuple[str, ...]] = {l.value: tuple(INDEXED_FIELDS.get(l, ())) for l in Label}

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def _ident(name: str) -> str:
    """Labels, types and property names that go into statement text come from schema.py; check anyway."""
    if not _IDENT.match(name):
        raise ValueError(f"not a plain Cypher identifier: {name!r}")
    return name


# ---------------------------------------------------------------------------------------------- statements
# A node or relationship changed if its property map differs, or a property kept its value but not its type.
_CHANGED_NODE = (
    "before <> properties(n) OR any(k IN keys(before) WHERE valueType(before[k]) <> valueType(n[k]))"
)
_CHANGED_REL = (
    "before <> properties(r) OR any(k IN keys(before) WHERE valueType(before[k]) <> valueType(r[k]))"
)

# The find() predicate: every filter {field, op, value} must hold. Semantics as in graph/store.py and
# SQLiteStore.find: eq = equals (contains, for list properties); in = one of; min/max inclusive; like =
# case-insensitive substring (value lower-cased by the caller; list properties: any element).
_FILTER_PRED = (
    "all(f IN $filters WHERE coalesce(CASE f.op"
    " WHEN 'eq' THEN CASE WHEN n[f.field] IS :: LIST<ANY> NOT NULL THEN f.value IN n[f.field] ELSE n[f.field] = f.value END"
    " WHEN 'in' THEN n[f.field] IN f.value"
    " WHEN 'min' THEN n[f.field] >= f.value"
    " WHEN 'max' THEN n[f.field] <= f.value"
    " WHEN 'like' THEN CASE WHEN n[f.field] IS :: LIST<ANY> NOT NULL"
    " THEN any(x IN n[f.field] WHERE toLower(toStringOrNull(x)) CONTAINS f.value)"
    " ELSE toLower(toStringOrNull(n[f.field])) CONTAINS f.value END"
    " ELSE false END, false))"
)
# SQLite orders NULL first ascending and last descending; Neo4j the other way round, hence the first key.
_ORDER = {
    "asc": "ORDER BY n[$order_by] IS NOT NULL ASC, n[$order_by] ASC, n.key ASC",
    "desc": "ORDER BY n[$order_by] IS NOT NULL DESC, n[$order_by] DESC, n.key DESC",
}


def _build_statements() -> dict[str, str]:
    s: dict[str, str] = {}

    # --- schema (ensure_schema): constraints first, then indexes, then wait for them
    for lab in LABELS:
        s[f"schema.constraint.{lab}.key"] = (
            f"CREATE CONSTRAINT chainmatch_{_ident(lab)}_key IF NOT EXISTS "
            f"FOR (n:{lab}) REQUIRE n.key IS UNIQUE"
        )
    s["schema.constraint.meta"] = (
        f"CREATE CONSTRAINT chainmatch_{META}_id IF NOT EXISTS FOR (m:{META}) REQUIRE m.id IS UNIQUE"
    )
    s["schema.constraint.apikey"] = (
        f"CREATE CONSTRAINT chainmatch_{APIKEY}_key_id IF NOT EXISTS FOR (k:{APIKEY}) REQUIRE k.key_id IS UNIQUE"
    )
    s["schema.constraint.audit"] = (
        f"CREATE CONSTRAINT chainmatch_{AUDIT}_id IF NOT EXISTS FOR (a:{AUDIT}) REQUIRE a.id IS UNIQUE"
    )
    s["schema.constraint.change"] = (
        f"CREATE CONSTRAINT chainmatch_{CHANGE}_ver IF NOT EXISTS FOR (c:{CHANGE}) REQUIRE c.ver IS UNIQUE"
    )
    for lab in LABELS:
        for fld in ("name", *SEEK_FIELDS[lab]):
            s[f"schema.index.{lab}.{fld}"] = (
                f"CREATE INDEX chainmatch_{lab}_{_ident(fld)} IF NOT EXISTS FOR (n:{lab}) ON (n.{fld})"
            )
    s["schema.index.audit.actor"] = (
        f"CREATE INDEX chainmatch_{AUDIT}_actor IF NOT EXISTS FOR (a:{AUDIT}) ON (a.actor)"
    )
    s["schema.await"] = "CALL db.awaitIndexes($timeout)"
    s["meta.init"] = (
        f"MERGE (m:{META} {{id: 'meta'}}) "
        "ON CREATE SET m.version = 0, m.store_id = $store_id, m.audit_seq = 0 "
        "SET m.schema_version = $schema_version "
        "RETURN m.store_id AS store_id, m.version AS version"
    )

    # --- meta
    s["meta.lock"] = f"MATCH (m:{META} {{id: 'meta'}}) SET m.{LOCK_PROP} = true RETURN m.version AS version"
    # a write that changed something: next version, its change-log entry, the log pruned (and, with .audit, the
    # audit entry), in one round trip
    _prune = f"WITH m CALL (m) {{ MATCH (c:{CHANGE}) WHERE c.ver <= m.version - $keep DELETE c }} "
    s["meta.bump"] = (
        f"MATCH (m:{META} {{id: 'meta'}}) SET m.version = m.version + 1 REMOVE m.{LOCK_PROP} "
        f"CREATE (:{CHANGE} {{ver: m.version, items: $items}}) "
        f"{_prune}RETURN m.version AS version"
    )
    s["meta.bump.audit"] = (
        f"MATCH (m:{META} {{id: 'meta'}}) "
        f"SET m.version = m.version + 1, m.audit_seq = coalesce(m.audit_seq, 0) + 1 REMOVE m.{LOCK_PROP} "
        f"CREATE (:{CHANGE} {{ver: m.version, items: $items}}) "
        f"CREATE (:{AUDIT} {{id: m.audit_seq, at: $at, actor: $actor, action: $action, target: $target, "
        "before: $before, after: $after}) "
        f"{_prune}RETURN m.version AS version"
    )
    s["meta.unlock"] = f"MATCH (m:{META} {{id: 'meta'}}) REMOVE m.{LOCK_PROP} RETURN m.version AS version"
    s["meta.version"] = f"MATCH (m:{META} {{id: 'meta'}}) RETURN m.version AS version"
    s["meta.store_id"] = f"MATCH (m:{META} {{id: 'meta'}}) RETURN m.store_id AS store_id"
    s["ping"] = "RETURN 1 AS ok"

    # --- nodes, per label
    for lab in LABELS:
        s[f"node.upsert.{lab}"] = (
            "UNWIND $rows AS row "
            f"MERGE (n:{lab} {{key: row.key}}) "
            f"ON CREATE SET n.{CREATED_MARK} = true "
            "WITH n, row, properties(n) AS before "
            "SET n = row.props "
            f"RETURN count(CASE WHEN {_CHANGED_NODE} THEN 1 END) AS changed"
        )
        s[f"node.delete.{lab}"] = (
            f"UNWIND $keys AS k MATCH (n:{lab} {{key: k}}) DETACH DELETE n RETURN count(*) AS deleted"
        )
        s[f"node.get.{lab}"] = f"MATCH (n:{lab} {{key: $key}}) RETURN properties(n) AS props"
        s[f"node.get_many.{lab}"] = (
            f"UNWIND $keys AS k MATCH (n:{lab} {{key: k}}) RETURN n.key AS key, properties(n) AS props"
        )
        s[f"node.existing.{lab}"] = f"UNWIND $keys AS k MATCH (n:{lab} {{key: k}}) RETURN n.key AS key"
        s[f"node.iter.{lab}"] = (
            f"MATCH (n:{lab}) WHERE n.key IS NOT NULL RETURN n.key AS key, properties(n) AS props ORDER BY key"
        )
        # the snapshot's column read: a page of nodes after $after in key order (the key index gives the order),
        # only the fields asked for, as ONE record of lists — the driver decodes lists far faster than records
        s[f"node.columns.{lab}"] = (
            f"MATCH (n:{lab}) WHERE n.key > $after WITH n ORDER BY n.key LIMIT $page "
            "RETURN collect([n.key, n.name, [f IN $fields | n[f]]]) AS rows"
        )
        for direction, arrow in (("out", "-[r]->"), ("in", "<-[r]-")):
            s[f"node.neighbours.{lab}.{direction}"] = (
                f"MATCH (a:{lab} {{key: $key}}){arrow}(n) "
                "WHERE $rel_type IS NULL OR type(r) = $rel_type "
                "RETURN type(r) AS type, properties(r) AS rel_props, labels(n)[0] AS label, n.key AS key, "
                "properties(n) AS props "
                "ORDER BY type, key LIMIT $limit"
            )
        # find(): one statement per label (and per seek field: an equality on an indexed field becomes an
        # index seek) for the total, and one per sort direction for the page.
        for seek in (None, *SEEK_FIELDS[lab]):
            match = f"MATCH (n:{lab}) WHERE " + (f"n.{_ident(seek)} = $seek AND " if seek else "") + _FILTER_PRED
            suffix = f".by.{seek}" if seek else ""
            s[f"find.count.{lab}{suffix}"] = f"{match} RETURN count(n) AS total"
            for d, order in _ORDER.items():
                s[f"find.page.{lab}.{d}{suffix}"] = (
                    f"{match} WITH n {order} SKIP $offset LIMIT $limit RETURN properties(n) AS props"
                )

    # --- relations, per (type, src label, dst label) allowed by the schema
    for t, sl, dl in REL_COMBOS:
        _ident(t)
        s[f"rel.upsert.{t}.{sl}.{dl}"] = (
            "UNWIND $rows AS row "
            f"MATCH (a:{sl} {{key: row.src}}) "
            f"MATCH (b:{dl} {{key: row.dst}}) "
            f"MERGE (a)-[r:{t}]->(b) "
            f"ON CREATE SET r.{CREATED_MARK} = true "
            "WITH r, row, properties(r) AS before "
            "SET r = row.props "
            f"RETURN count(r) AS matched, count(CASE WHEN {_CHANGED_REL} THEN 1 END) AS changed"
        )
        s[f"rel.get_many.{t}.{sl}.{dl}"] = (
            "UNWIND $rows AS row "
            f"MATCH (a:{sl} {{key: row.src}})-[r:{t}]->(b:{dl} {{key: row.dst}}) "
            "RETURN row.src AS src, row.dst AS dst, properties(r) AS props"
        )
        # the snapshot's edge read: for a page of source nodes after $after (key order), their relations as three
        # lists — source keys, target keys, numeric weights (graph.store.rel_weight's rule: anything else is 0)
        s[f"rel.ends.{t}.{sl}.{dl}"] = (
            f"MATCH (a:{sl}) WHERE a.key > $after WITH a ORDER BY a.key LIMIT $page WITH collect(a) AS src "
            f"CALL (src) {{ UNWIND src AS a MATCH (a)-[r:{t}]->(b:{dl}) "
            "RETURN collect(a.key) AS s, collect(b.key) AS d, "
            "collect(CASE WHEN r.weight IS :: INTEGER NOT NULL OR r.weight IS :: FLOAT NOT NULL THEN r.weight ELSE 0 END) AS w } "
            "RETURN size(src) AS n, src[size(src) - 1].key AS last, s, d, w"
        )
        s[f"rel.delete.{t}.{sl}.{dl}"] = (
            "UNWIND $rows AS row "
            f"MATCH (a:{sl} {{key: row.src}})-[r:{t}]->(b:{dl} {{key: row.dst}}) "
            "DELETE r RETURN count(*) AS deleted"
        )
    # counts(): every label and relation type from the count store, in one statement (one round trip)
    parts = [f"CALL () {{ MATCH (n:{lab}) RETURN count(n) AS n_{lab} }}" for lab in LABELS]
    parts += [f"CALL () {{ MATCH ()-[r:{t}]->() RETURN count(r) AS r_{t} }}" for t in RELATIONS]
    s["counts"] = " ".join(parts) + " RETURN " + ", ".join([f"n_{lab}" for lab in LABELS] + [f"r_{t}" for t in RELATIONS])
    for t, sl in sorted({(t, sl) for t, sl, _ in REL_COMBOS}):  # count store: (:Label)-[:TYPE]->() is stored
        s[f"rel.count_from.{t}.{sl}"] = f"MATCH (:{sl})-[r:{t}]->() RETURN count(r) AS n"
    for t in RELATIONS:
        s[f"rel.iter.{t}"] = (
            f"MATCH (a)-[r:{t}]->(b) "
            "RETURN labels(a)[0] AS src_label, a.key AS src_key, labels(b)[0] AS dst_label, b.key AS dst_key, "
            "properties(r) AS props"
        )

    # --- change log (written by meta.bump)
    s["changelog.read"] = (
        f"MATCH (c:{CHANGE}) WHERE c.ver > $since AND c.ver <= $upto RETURN c.ver AS ver, c.items AS items ORDER BY ver"
    )

    # --- wipe_for_tests: delete in slices so a big test database does not need one huge transaction
    for lab in (*LABELS, META, AUDIT, APIKEY, CHANGE):
        s[f"admin.wipe.{lab}"] = (
            f"MATCH (n:{lab}) WITH n LIMIT $limit DETACH DELETE n RETURN count(*) AS deleted"
        )

    # --- administration
    s["audit.append"] = (
        f"MATCH (m:{META} {{id: 'meta'}}) "
        "SET m.audit_seq = coalesce(m.audit_seq, 0) + 1 "
        f"CREATE (a:{AUDIT} {{id: m.audit_seq, at: $at, actor: $actor, action: $action, target: $target, "
        "before: $before, after: $after})"
    )
    s["audit.list"] = (
        f"MATCH (a:{AUDIT}) WHERE $actor IS NULL OR a.actor = $actor "
        "RETURN a.id AS id, a.at AS at, a.actor AS actor, a.action AS action, a.target AS target, "
        "a.before AS before, a.after AS after "
        "ORDER BY id DESC SKIP $offset LIMIT $limit"
    )
    _apikey_cols = (
        "k.key_id AS key_id, k.name AS name, k.role AS role, k.park AS park, k.secret_hash AS secret_hash, "
        "k.created_at AS created_at, k.revoked_at AS revoked_at"
    )
    s["apikey.put"] = (
        f"CREATE (k:{APIKEY} {{key_id: $key_id, name: $name, role: $role, park: $park, "
        "secret_hash: $secret_hash, created_at: $created_at, revoked_at: $revoked_at})"
    )
    s["apikey.get"] = f"MATCH (k:{APIKEY} {{key_id: $key_id}}) RETURN {_apikey_cols}"
    s["apikey.list"] = f"MATCH (k:{APIKEY}) RETURN {_apikey_cols} ORDER BY created_at, key_id"
    s["apikey.revoke"] = (
        f"MATCH (k:{APIKEY} {{key_id: $key_id}}) WHERE k.revoked_at IS NULL "
        "SET k.revoked_at = $at RETURN count(k) AS n"
    )
    return s


STATEMENTS: dict[str, str] = _build_statements()
# The parameters each statement takes; `_run` insists on exactly these (a missing or stray parameter is a bug).
STATEMENT_PARAMS: dict[str, frozenset[str]] = {k: frozenset(_PARAM.findall(v)) for k, v in STATEMENTS.items()}
SCHEMA_STATEMENTS: tuple[str, ...] = tuple(k for k in STATEMENTS if k.startswith("schema.constraint.")) + tuple(
    k for k in STATEMENTS if k.startswith("schema.index.")
)


def all_statements() -> list[str]:
    """Every Cypher statement this backend can send (for the CI linter)."""
    return list(STATEMENTS.values())


def lint_schema() -> dict[str, list[str]]:
    """Labels, relationship types and property keys of this backend's graph, as the linter's dbSchema."""
    props: set[str] = {"key", "id", "version", "store_id", "schema_version", "audit_seq", "ver", "items",
                       CREATED_MARK, LOCK_PROP}
    for model in MODELS.values():
        props.update(model.model_fields)
    for rt in RELATIONS.values():
        props.update(rt.props)
    props.update(("at", "actor", "action", "target", "before", "after"))
    props.update(ApiKeyRec.__dataclass_fields__)
    return {
        "labels": sorted({*LABELS, META, AUDIT, APIKEY, CHANGE}),
        "relationshipTypes": sorted(RELATIONS),
        "propertyKeys": sorted(props),
    }


# ---------------------------------------------------------------------------------------------- helpers
_dumps = orjson.dumps
_SCALARS = (str, int, float, bool)


def _clean_props(props: dict[str, Any], where: str, *, drop: str | None = None) -> dict[str, Any]:
    """Neo4j cannot store null (setting null removes the property), maps, or lists of non-scalars."""
    out: dict[str, Any] = {}
    for k, v in props.items():
        if v is None or k == drop:
            continue
        if isinstance(v, _SCALARS):
            out[k] = v
        elif isinstance(v, (list, tuple)):
            if any(x is None or not isinstance(x, _SCALARS) for x in v):
                raise StoreError(f"{where}: 属性 {k!r} 的列表只能包含文本、数字或布尔值")
            kinds = {str if isinstance(x, str) else bool if isinstance(x, bool) else float for x in v}
            if len(kinds) > 1:  # Neo4j stores homogeneous arrays only
                raise StoreError(f"{where}: 属性 {k!r} 的列表混有文本、数字、布尔值，Neo4j 只能存同一类型的列表")
            out[k] = list(v)
        else:
            raise StoreError(f"{where}: 属性 {k!r} 的值类型 {type(v).__name__} 无法存入 Neo4j（只支持扁平属性）")
    return out


def _row(key: str, props: dict[str, Any]) -> dict[str, Any]:
    """The shape SQLiteStore returns: properties with sorted names, then "key"."""
    d = {k: props[k] for k in sorted(props) if k != "key"}
    d["key"] = key
    return d


def _bare(props: dict[str, Any], drop: str | None = "key") -> dict[str, Any]:
    return {k: props[k] for k in sorted(props) if k != drop}


def _chunks(seq: Sequence[Any], n: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


def _check_field(field: str) -> str:
    """Same rule as SQLiteStore._expr: plain names only."""
    if field in ("key", "name"):
        return field
    if not field.replace("_", "").isalnum():
        raise ValueError(f"非法字段名 {field!r}")
    return field


def _audit_params(e: AuditEntry) -> dict[str, Any]:
    """An audit entry as statement parameters; before/after as JSON text (Neo4j properties cannot be maps)."""
    return {"at": e.at, "actor": e.actor, "action": e.action, "target": e.target,
            "before": None if e.before is None else _dumps(e.before).decode(),
            "after": None if e.after is None else _dumps(e.after).decode()}


def _run(tx: Any, stmt: str, /, **params: Any) -> Any:
    """Send STATEMENTS[stmt] with exactly its parameters. The only way this module talks to Neo4j."""
    expected = STATEMENT_PARAMS[stmt]
    if set(params) != expected:
        raise RuntimeError(f"statement {stmt}: parameters {sorted(params)} != {sorted(expected)}")
    return tx.run(cast("Any", STATEMENTS[stmt]), params)


class _Eager(list):
    """A statement's records, fetched at once (so the next statement can run on the same session)."""

    def single(self) -> Any:
        return self[0] if self else None

    def consume(self) -> None:
        return None


class _AutoCommit:
    """Stands in for a transaction in `Neo4jStore._read`: every statement runs in auto-commit mode."""

    def __init__(self, session: Any):
        self._session = session

    def run(self, query: Any, parameters: dict[str, Any] | None = None) -> _Eager:
        return _Eager(self._session.run(query, parameters))


_RETRYABLE: tuple[type[BaseException], ...] = (
    (neo4j_exc.TransientError, neo4j_exc.ServiceUnavailable, neo4j_exc.SessionExpired) if neo4j_exc else ()
)


# ---------------------------------------------------------------------------------------------- the store
class Neo4jStore:
    backend = "neo4j"

    def __init__(
        self,
        uri: str,
        *,
        user: str = "neo4j",
        password: str = "",
        database: str | None = None,
        driver: Any = None,
        await_indexes_seconds: int = 300,
    ):
        self.uri = uri
        self.database = database or None
        self._closed = False
        self._write_lock = threading.Lock()
        self._await_seconds = int(await_indexes_seconds)
        if driver is None:
            if GraphDatabase is None:  # pragma: no cover
                raise StoreError("未安装 neo4j 驱动（pip install neo4j）")
            try:
                # notifications off: the server would warn, e.g., about a relation type no data has yet
                driver = GraphDatabase.driver(uri, auth=(user, password), connection_timeout=10,
                                              notifications_min_severity="OFF")
            except Exception as e:  # bad URI scheme, bad config …
                raise StoreError(f"无法创建 Neo4j 连接 {uri}: {e}") from e
            try:  # fail at once on a wrong address or password, instead of the write retry's 30 s
                driver.verify_connectivity()
            except Exception as e:
                driver.close()
                raise StoreError(f"无法连接 Neo4j {uri}: {e}") from e
        self._driver = driver
        try:
            self._store_id = self.ensure_schema()
        except StoreError:
            self._driver.close()
            raise
        except Exception as e:
            self._driver.close()
            raise StoreError(f"无法连接 Neo4j {uri}: {e}") from e

    # ------------------------------------------------------------------ sessions
    def _session(self, *, write: bool = False) -> Any:
        cfg: dict[str, Any] = {"database": self.database}
        bm = getattr(self._driver, "execute_query_bookmark_manager", None)
        if bm is not None:  # read-your-writes across sessions (causal chaining in a cluster)
            cfg["bookmark_manager"] = bm
        if neo4j is not None:
            cfg["default_access_mode"] = neo4j.WRITE_ACCESS if write else neo4j.READ_ACCESS
        return self._driver.session(**cfg)

    def _read(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run `fn(tx, *args)` for a read. Each statement it sends is its own auto-commit transaction — one round
        trip instead of BEGIN / RUN / COMMIT (Neo4j reads at read-committed isolation either way, so a managed
        transaction would not make several statements more consistent). Retried on transient errors."""
        for attempt in range(READ_RETRIES + 1):
            try:
                with self._session() as s:
                    return fn(_AutoCommit(s), *args)
            except Exception as e:
                if attempt == READ_RETRIES or neo4j_exc is None or not isinstance(e, _RETRYABLE):
                    raise
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _write(self, fn: Callable[..., Any], *args: Any) -> Any:
        with self._session(write=True) as s:
            return s.execute_write(fn, *args)

    def _stream(self, stmt: str, /, **params: Any) -> Iterator[Any]:
        """Stream a large read (auto-commit transaction, records fetched in batches)."""
        with self._session() as s:
            yield from _run(s, stmt, **params)

    def ensure_schema(self) -> str:
        """Uniqueness constraints, indexes and the meta node; idempotent. Returns the store id."""
        for name in SCHEMA_STATEMENTS:
            self._write(lambda tx, n=name: _run(tx, n).consume())
        self._write(lambda tx: _run(tx, "schema.await", timeout=self._await_seconds).consume())

        def init(tx: Any) -> str:
            rec = _run(tx, "meta.init", store_id=uuid.uuid4().hex, schema_version=SCHEMA_VERSION).single()
            return rec["store_id"]

        return self._write(init)

    def close(self) -> None:
        self._closed = True
        self._driver.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def wipe_for_tests(self) -> None:
        """Delete every ChainMatch node (domain, meta, audit, API keys) and start afresh: version 0, new id.

        For the contract tests against a scratch database; other labels in the database are left alone."""
        with self._write_lock:
            for lab in (*LABELS, META, AUDIT, APIKEY, CHANGE):
                while self._write(lambda tx, l=lab: _run(tx, f"admin.wipe.{l}", limit=10_000).single()["deleted"]):
                    pass
            self._store_id = self.ensure_schema()

    # ------------------------------------------------------------------ writes
    @staticmethod
    def _plan(batch: Batch) -> dict[str, Any]:
        """Validate and group a batch before any statement is sent. A later duplicate (same label and key, or
        same relation) replaces an earlier one: the final state is SQLite's, the write counts it once."""
        nodes: dict[str, dict[str, dict[str, Any]]] = {}
        for n in batch.nodes:
            if n.label not in LABELS:
                raise StoreError(f"未知节点类别 {n.label!r}；可选: {', '.join(LABELS)}")
            if not isinstance(n.key, str) or not n.key:
                raise StoreError(f"{n.label} 的 key 必须是非空文本")
            props = _clean_props(n.props, f"{n.label} {n.key}", drop="key")
            props["key"] = n.key
            nodes.setdefault(n.label, {})[n.key] = {"key": n.key, "props": props}
        rels: dict[tuple[str, str, str], dict[tuple[str, str], dict[str, Any]]] = {}
        for r in batch.rels:
            combo = (r.type, r.src_label, r.dst_label)
            if combo not in REL_COMBOS:
                raise StoreError(f"关系 {r.type} 不能连接 {r.src_label} → {r.dst_label}（见 schema.RELATIONS）")
            props = _clean_props(r.props, f"{r.type} {r.src_key}→{r.dst_key}")
            rels.setdefault(combo, {})[(r.src_key, r.dst_key)] = {"src": r.src_key, "dst": r.dst_key, "props": props}
        del_rels: dict[tuple[str, str, str], dict[tuple[str, str], dict[str, Any]]] = {}
        for t, sl, sk, dl, dk in batch.delete_rels:
            if (t, sl, dl) in REL_COMBOS:  # other combinations cannot exist in this store
                del_rels.setdefault((t, sl, dl), {})[(sk, dk)] = {"src": sk, "dst": dk}
        for ex in batch.expect:
            if ex.label not in LABELS:  # a node of a label this store cannot hold does not exist
                raise ConflictError(ex, None)
        del_nodes: dict[str, dict[str, None]] = {}
        for label, key in batch.delete_nodes:
            if label in LABELS:  # unknown labels cannot exist in this store
                del_nodes.setdefault(label, {})[key] = None
        log_items: str | None = None
        if len(batch) <= CHANGELOG_MAX_ITEMS:
            log_items = _dumps({
                "n": [[n.label, n.key] for n in batch.nodes] + [list(k) for k in batch.delete_nodes],
                "r": [[r.type, r.src_label, r.src_key, r.dst_label, r.dst_key] for r in batch.rels]
                     + [list(k) for k in batch.delete_rels],
            }).decode()
        return {
            "log": log_items,
            "nodes": {lab: list(rows.values()) for lab, rows in nodes.items()},
            "rels": {c: list(rows.values()) for c, rows in rels.items()},
            "delete_rels": {c: list(rows.values()) for c, rows in del_rels.items()},
            "delete_nodes": {lab: list(keys) for lab, keys in del_nodes.items()},
            "expect": list(batch.expect),
        }

    @staticmethod
    def _write_tx(tx: Any, plan: dict[str, Any], audit: AuditEntry | None) -> WriteResult:
        # Serialise writers on the meta node (the documented SET _LOCK_ idiom); released at commit/rollback.
        if _run(tx, "meta.lock").single() is None:
            raise StoreError("Neo4j 中缺少 ChainMatchMeta 节点（数据库被清空？请重新打开存储）")
        for ex in plan["expect"]:  # optimistic concurrency: checked under the lock, before anything is written
            rec = _run(tx, f"node.get.{ex.label}", key=ex.key).single()
            check_expect(ex, None if rec is None else _bare(dict(rec["props"])))
        nodes_written = 0
        for lab, rows in plan["nodes"].items():
            for chunk in _chunks(rows, CHUNK):
                nodes_written += _run(tx, f"node.upsert.{lab}", rows=list(chunk)).single()["changed"]
        rels_written = 0
        for (t, sl, dl), rows in plan["rels"].items():
            for chunk in _chunks(rows, CHUNK):
                rec = _run(tx, f"rel.upsert.{t}.{sl}.{dl}", rows=list(chunk)).single()
                if rec["matched"] != len(chunk):
                    # Neo4j cannot hold a relationship without both ends; raising rolls back the whole batch.
                    raise Neo4jStore._missing_end(tx, t, sl, dl, chunk)
                rels_written += rec["changed"]
        deleted = 0
        for (t, sl, dl), rows in plan["delete_rels"].items():
            for chunk in _chunks(rows, CHUNK):
                deleted += _run(tx, f"rel.delete.{t}.{sl}.{dl}", rows=list(chunk)).single()["deleted"]
        for lab, keys in plan["delete_nodes"].items():
            for chunk in _chunks(keys, CHUNK):
                deleted += _run(tx, f"node.delete.{lab}", keys=list(chunk)).single()["deleted"]
        if nodes_written + rels_written + deleted:
            if audit is None:
                rec = _run(tx, "meta.bump", items=plan["log"], keep=CHANGELOG_KEEP).single()
            else:
                rec = _run(tx, "meta.bump.audit", items=plan["log"], keep=CHANGELOG_KEEP, **_audit_params(audit)).single()
            version = int(rec["version"])
        else:
            version = int(_run(tx, "meta.unlock").single()["version"])
        return WriteResult(nodes_written, rels_written, deleted, version)

    @staticmethod
    def _missing_end(tx: Any, t: str, sl: str, dl: str, rows: Sequence[dict[str, Any]]) -> StoreError:
        """The error naming the first relation of `rows` whose source or target node does not exist."""
        have_src = {r["key"] for r in _run(tx, f"node.existing.{sl}", keys=[r["src"] for r in rows])}
        have_dst = {r["key"] for r in _run(tx, f"node.existing.{dl}", keys=[r["dst"] for r in rows])}
        for r in rows:
            for label, key, end, have in ((sl, r["src"], "起点", have_src), (dl, r["dst"], "终点", have_dst)):
                if key not in have:
                    return StoreError(f"关系 {t} {r['src']} → {r['dst']} 的{end} {label} {key!r} 不存在，整批未写入")
        return StoreError(f"{t} 关系（{sl} → {dl}）的端点不存在，整批未写入")

    def write(self, batch: Batch, *, audit: AuditEntry | None = None) -> WriteResult:
        plan = self._plan(batch)
        with self._write_lock:
            return self._write(self._write_tx, plan, audit)

    # ------------------------------------------------------------------ reads
    def get(self, label: str, key: str) -> dict[str, Any] | None:
        if label not in LABELS:
            return None

        def work(tx: Any) -> dict[str, Any] | None:
            rec = _run(tx, f"node.get.{label}", key=key).single()
            return None if rec is None else _row(key, rec["props"])

        return self._read(work)

    def get_many(self, label: str, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        keys = list(dict.fromkeys(keys))
        if label not in LABELS or not keys:
            return {}

        def work(tx: Any) -> dict[str, dict[str, Any]]:
            out: dict[str, dict[str, Any]] = {}
            for chunk in _chunks(keys, KEY_CHUNK):
                for rec in _run(tx, f"node.get_many.{label}", keys=list(chunk)):
                    out[rec["key"]] = _row(rec["key"], rec["props"])
            return out

        return self._read(work)

    def existing_keys(self, label: str, keys: Iterable[str]) -> set[str]:
        keys = list(dict.fromkeys(keys))
        if label not in LABELS or not keys:
            return set()

        def work(tx: Any) -> set[str]:
            found: set[str] = set()
            for chunk in _chunks(keys, KEY_CHUNK):
                found.update(rec["key"] for rec in _run(tx, f"node.existing.{label}", keys=list(chunk)))
            return found

        return self._read(work)

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
        flist: list[dict[str, Any]] = []
        for name, value in (filters or {}).items():
            if value is None:
                continue
            field, op = split_filter(name)
            _check_field(field)
            if op == "in":
                value = list(value)
            elif op == "like":
                value = str(value).lower()
            flist.append({"field": field, "op": op, "value": value})
        _check_field(order_by)
        if label not in LABELS:
            return [], 0
        # An equality on an indexed scalar field picks the statement variant that seeks that index.
        seek = next(
            (
                f
                for f in flist
                if f["op"] == "eq" and f["field"] in SEEK_FIELDS[label] and isinstance(f["value"], _SCALARS)
            ),
            None,
        )
        suffix = f".by.{seek['field']}" if seek else ""
        extra = {"seek": seek["value"]} if seek else {}
        lim = int(limit)
        lim = lim if lim >= 0 else 2**62  # SQLite: a negative LIMIT means no limit
        off = max(0, int(offset))
        direction = "desc" if descending else "asc"

        def work(tx: Any) -> tuple[list[dict[str, Any]], int]:
            total = _run(tx, f"find.count.{label}{suffix}", filters=flist, **extra).single()["total"]
            rows = [
                _row(rec["props"]["key"], rec["props"])
                for rec in _run(
                    tx,
                    f"find.page.{label}.{direction}{suffix}",
                    filters=flist,
                    order_by=order_by,
                    offset=off,
                    limit=lim,
                    **extra,
                )
            ]
            return rows, int(total)

        return self._read(work)

    def neighbours(
        self, label: str, key: str, *, rel_type: str | None = None, direction: Direction = "both", limit: int = 1000
    ) -> list[Neighbour]:
        if label not in LABELS:
            return []
        rt = rel_type or None
        lim = int(limit)
        lim = lim if lim >= 0 else 2**62

        def work(tx: Any) -> list[Neighbour]:
            out: list[Neighbour] = []
            for d in ("out", "in"):
                if direction not in (d, "both"):
                    continue
                for rec in _run(tx, f"node.neighbours.{label}.{d}", key=key, rel_type=rt, limit=lim):
                    out.append(
                        Neighbour(
                            rec["type"],
                            d,  # type: ignore[arg-type]
                            _bare(rec["rel_props"], None),
                            rec["label"],
                            rec["key"],
                            _row(rec["key"], rec["props"]),
                        )
                    )
            return out[:lim]

        return self._read(work)

    def counts(self) -> dict[str, dict[str, int]]:
        def work(tx: Any) -> dict[str, dict[str, int]]:
            rec = _run(tx, "counts").single()
            nodes = {lab: int(rec[f"n_{lab}"]) for lab in LABELS}
            rels = {t: int(rec[f"r_{t}"]) for t in RELATIONS if rec[f"r_{t}"]}  # SQLite lists only types present
            return {"nodes": nodes, "relations": rels}

        return self._read(work)

    def iter_nodes(self, label: str) -> Iterator[tuple[str, dict[str, Any]]]:
        if label not in LABELS:
            return
        for rec in self._stream(f"node.iter.{label}"):
            yield rec["key"], _bare(rec["props"])

    def iter_relations(self, rel_type: str | None = None) -> Iterator[RelRec]:
        if rel_type:
            if rel_type not in RELATIONS:
                return
            types: Iterable[str] = (rel_type,)
        else:
            types = RELATIONS
        for t in types:
            for rec in self._stream(f"rel.iter.{t}"):
                yield RelRec(t, rec["src_label"], rec["src_key"], rec["dst_label"], rec["dst_key"], _bare(rec["props"], None))

    def node_columns(self, label: str, fields: Sequence[str], *, chunk_size: int = 50_000
                     ) -> Iterator[tuple[list[str], list[str | None], list[list[Any]]]]:
        """Pages of `chunk_size` nodes in Neo4j's key order (the snapshot re-sorts if numpy's order differs)."""
        for f in fields:
            _check_field(f)
        if label not in LABELS:
            return
        after = ""  # keys are never empty here (write() refuses them)
        while True:
            rows = self._read(lambda tx: _run(tx, f"node.columns.{label}", after=after, page=chunk_size,
                                              fields=list(fields)).single()["rows"])
            if not rows:
                return
            yield [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]
            if len(rows) < chunk_size:
                return
            after = rows[-1][0]

    def edge_arrays(self, keys: Mapping[str, Any], *, page: int = 50_000) -> dict[tuple[str, str, str], EdgeArrays]:
        """Per (type, src label, dst label) the schema allows between labels in `keys`: pages of `page` source
        nodes, each page's relations as one record of three lists; keys become positions with one vectorised
        search per page."""
        import numpy as np

        out: dict[tuple[str, str, str], EdgeArrays] = {}
        present: dict[tuple[str, str], bool] = {}
        for t, sl, dl in REL_COMBOS:
            if sl not in keys or dl not in keys:
                continue
            if (t, sl) not in present:  # skip, from the count store, what has no relations at all
                present[(t, sl)] = bool(self._read(lambda tx: _run(tx, f"rel.count_from.{t}.{sl}").single()["n"]))
            if not present[(t, sl)]:
                continue
            parts: list[tuple[Any, Any, Any]] = []
            after = ""
            while True:
                rec = self._read(lambda tx: _run(tx, f"rel.ends.{t}.{sl}.{dl}", after=after, page=page).single())
                if not len(rec["s"]) == len(rec["d"]) == len(rec["w"]):  # collect() drops nulls: would misalign
                    raise StoreError(f"{t} {sl}→{dl}: 关系端点读取不完整（有节点缺少 key）")
                if rec["s"]:
                    si = positions(keys[sl], np.asarray(rec["s"], dtype=str))
                    di = positions(keys[dl], np.asarray(rec["d"], dtype=str))
                    ok = (si >= 0) & (di >= 0)
                    parts.append((si[ok], di[ok], np.asarray(rec["w"], dtype=np.float64)[ok]))
                if rec["n"] < page:
                    break
                after = rec["last"]
            if parts:
                out[(t, sl, dl)] = tuple(np.concatenate(c) for c in zip(*parts))  # type: ignore[assignment]
        return out

    def changes_since(self, version: int, *, max_items: int = 50_000) -> ChangeSet | None:
        """From the change log (see the module docstring). Neo4j reads at read-committed isolation, so the
        version is read first and the keys' state after it: a write landing in between can only make the state
        newer than the version reported, and the next call re-reads every key written after that version."""

        def work(tx: Any) -> ChangeSet | None:
            rec = _run(tx, "meta.version").single()
            if rec is None:
                return None
            current = int(rec["version"])
            if version > current:
                return None  # not this store's history (the database was wiped)
            if version == current:
                return ChangeSet(version, current, {}, {})
            entries = [(int(r["ver"]), r["items"]) for r in _run(tx, "changelog.read", since=version, upto=current)]
            if len(entries) != current - version or any(items is None for _, items in entries):
                return None  # pruned, written before the log existed, or a write too big to itemise
            node_keys: dict[str, set[str]] = {}
            rel_keys: set[RelKey] = set()
            for _, items in entries:
                d = orjson.loads(items)
                for label, key in d["n"]:
                    node_keys.setdefault(label, set()).add(key)
                rel_keys.update(tuple(k) for k in d["r"])  # type: ignore[misc]
                if sum(map(len, node_keys.values())) + len(rel_keys) > max_items:
                    return None
            nodes: dict[str, dict[str, dict[str, Any] | None]] = {}
            for label, keys in node_keys.items():
                state: dict[str, dict[str, Any] | None] = dict.fromkeys(keys)
                if label in LABELS:
                    for chunk in _chunks(list(keys), KEY_CHUNK):
                        for r in _run(tx, f"node.get_many.{label}", keys=list(chunk)):
                            state[r["key"]] = _bare(r["props"])
                nodes[label] = state
            rels: dict[RelKey, dict[str, Any] | None] = dict.fromkeys(rel_keys)
            by_combo: dict[tuple[str, str, str], list[dict[str, str]]] = {}
            for t, sl, sk, dl, dk in rel_keys:
                if (t, sl, dl) in REL_COMBOS:
                    by_combo.setdefault((t, sl, dl), []).append({"src": sk, "dst": dk})
            for (t, sl, dl), rows in by_combo.items():
                for chunk in _chunks(rows, KEY_CHUNK):
                    for r in _run(tx, f"rel.get_many.{t}.{sl}.{dl}", rows=list(chunk)):
                        rels[(t, sl, r["src"], dl, r["dst"])] = _bare(r["props"], None)
            return ChangeSet(version, current, nodes, rels)

        return self._read(work)

    def version(self) -> int:
        rec = self._read(lambda tx: _run(tx, "meta.version").single())
        if rec is None:
            raise StoreError("Neo4j 中缺少 ChainMatchMeta 节点")
        return int(rec["version"])

    def store_id(self) -> str:
        return self._store_id

    def ping(self) -> bool:
        try:
            return self._read(lambda tx: _run(tx, "ping").single()["ok"]) == 1
        except Exception:
            return False

    # ------------------------------------------------------------------ administration
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
            self._write(lambda tx: _run(tx, "apikey.put", **params).consume())
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
        rec = self._read(lambda tx: _run(tx, "apikey.get", key_id=key_id).single())
        return None if rec is None else self._apikey(rec)

    def list_api_keys(self) -> list[ApiKeyRec]:
        return self._read(lambda tx: [self._apikey(r) for r in _run(tx, "apikey.list")])

    def revoke_api_key(self, key_id: str, at: str) -> bool:
        n = self._write(lambda tx: _run(tx, "apikey.revoke", key_id=key_id, at=at).single()["n"])
        return n == 1

    def append_audit(self, entry: AuditEntry) -> None:
        self._write(lambda tx: _run(tx, "audit.append", **_audit_params(entry)).consume())

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
                for r in _run(tx, "audit.list", **params)
            ]

        return self._read(work)
