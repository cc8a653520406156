"""The catalogue of every Cypher statement the Neo4j backend of ChainMatch can send.

Every value travels as a query parameter; nothing the caller supplies is ever formatted into Cypher. Labels and
relationship types cannot be parameters, so every statement is generated ONCE, at import time, from the closed
sets in graph/schema (Label, RELATIONS, INDEXED_FIELDS) and kept in STATEMENTS under a name such as
`node.upsert.Enterprise`. The store only ever sends STATEMENTS[name] through `run` (which insists on exactly the
statement's parameters), and `all_statements()` returns all of them so that CI lints every one with the official
Neo4j linter (tools/cypher-lint, tests/graph/test_cypher_lint.py). A label or relation type that is not in the
schema has no statement and is refused before anything is sent.

The catalogue is built by one small function per group (schema, meta, nodes of a label, find() of a label,
relations of a (type, source label, target label), counts, change log and wipe, audit and API keys, 内容订阅).

Over 400 lines: one catalogue — every Cypher statement must live in this module (the linter test reads it), so it
grows with each group of administrative records; each group is its own small function.
"""
from __future__ import annotations

import re
from typing import Any, cast

from graph.schema import INDEXED_FIELDS, MODELS, RELATIONS, Label
from graph.store import ApiKeyRec, SubscriptionRec, WebhookJob

META = "ChainMatchMeta"
AUDIT = "AuditEntry"
APIKEY = "ApiKey"
CHANGE = "ChainMatchChange"
# 内容订阅 records (graph/neo4j_store/alerts.py): label → its unique id property
ALERT_LABELS: dict[str, str] = {"AlertSubscription": "sub_id", "AlertEvent": "event_id", "AlertInbox": "inbox_id",
                                "AlertJob": "job_id", "AlertWatch": "k"}
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
    """Labels, types and property names that go into statement text come from graph/schema; check anyway."""
    if not _IDENT.match(name):
        raise ValueError(f"not a plain Cypher identifier: {name!r}")
    return name


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


def _schema() -> dict[str, str]:
    """ensure_schema(): constraints first, then indexes, then the wait for them, then the meta node."""
    s: dict[str, str] = {}
    for lab in LABELS:
        s[f"schema.constraint.{lab}.key"] = (
            f"CREATE CONSTRAINT chainmatch_{_ident(lab)}_key IF NOT EXISTS "
            f"FOR (n:{lab}) REQUIRE n.key IS UNIQUE"
        )
    for name, label, var, prop in (("meta", META, "m", "id"), ("apikey", APIKEY, "k", "key_id"),
                                   ("audit", AUDIT, "a", "id"), ("change", CHANGE, "c", "ver")):
        s[f"schema.constraint.{name}"] = (
            f"CREATE CONSTRAINT chainmatch_{label}_{prop} IF NOT EXISTS FOR ({var}:{label}) REQUIRE {var}.{prop} IS UNIQUE"
        )
    for lab in LABELS:
        for fld in ("name", *SEEK_FIELDS[lab]):
            s[f"schema.index.{lab}.{fld}"] = (
                f"CREATE INDEX chainmatch_{lab}_{_ident(fld)} IF NOT EXISTS FOR (n:{lab}) ON (n.{fld})"
            )
    for lab, prop in ALERT_LABELS.items():
        s[f"schema.constraint.{lab}"] = (
            f"CREATE CONSTRAINT chainmatch_{lab}_{prop} IF NOT EXISTS FOR (n:{lab}) REQUIRE n.{prop} IS UNIQUE"
        )
    s["schema.index.alerts.inbox_owner"] = (
        "CREATE INDEX chainmatch_AlertInbox_owner IF NOT EXISTS FOR (i:AlertInbox) ON (i.owner)"
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
    return s


def _meta() -> dict[str, str]:
    """The write lock and the version: a write that changed something bumps the version, writes its change-log
    entry, prunes the log (and, with .audit, writes the audit entry), in one round trip."""
    s: dict[str, str] = {}
    s["meta.lock"] = f"MATCH (m:{META} {{id: 'meta'}}) SET m.{LOCK_PROP} = true RETURN m.version AS version"
    prune = f"WITH m CALL (m) {{ MATCH (c:{CHANGE}) WHERE c.ver <= m.version - $keep DELETE c }} "
    s["meta.bump"] = (
        f"MATCH (m:{META} {{id: 'meta'}}) SET m.version = m.version + 1 REMOVE m.{LOCK_PROP} "
        f"CREATE (:{CHANGE} {{ver: m.version, items: $items}}) "
        f"{prune}RETURN m.version AS version"
    )
    s["meta.bump.audit"] = (
        f"MATCH (m:{META} {{id: 'meta'}}) "
        f"SET m.version = m.version + 1, m.audit_seq = coalesce(m.audit_seq, 0) + 1 REMOVE m.{LOCK_PROP} "
        f"CREATE (:{CHANGE} {{ver: m.version, items: $items}}) "
        f"CREATE (:{AUDIT} {{id: m.audit_seq, at: $at, actor: $actor, action: $action, target: $target, "
        "before: $before, after: $after}) "
        f"{prune}RETURN m.version AS version"
    )
    s["meta.unlock"] = f"MATCH (m:{META} {{id: 'meta'}}) REMOVE m.{LOCK_PROP} RETURN m.version AS version"
    s["meta.version"] = f"MATCH (m:{META} {{id: 'meta'}}) RETURN m.version AS version"
    s["meta.store_id"] = f"MATCH (m:{META} {{id: 'meta'}}) RETURN m.store_id AS store_id"
    s["ping"] = "RETURN 1 AS ok"
    return s


def _nodes(lab: str) -> dict[str, str]:
    """Writes and reads of the nodes of one label."""
    s: dict[str, str] = {}
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
    return s


def _find(lab: str) -> dict[str, str]:
    """find(): one statement per label (and per seek field: an equality on an indexed field becomes an index
    seek) for the total, and one per sort direction for the page."""
    s: dict[str, str] = {}
    for seek in (None, *SEEK_FIELDS[lab]):
        match = f"MATCH (n:{lab}) WHERE " + (f"n.{_ident(seek)} = $seek AND " if seek else "") + _FILTER_PRED
        suffix = f".by.{seek}" if seek else ""
        s[f"find.count.{lab}{suffix}"] = f"{match} RETURN count(n) AS total"
        for d, order in _ORDER.items():
            s[f"find.page.{lab}.{d}{suffix}"] = (
                f"{match} WITH n {order} SKIP $offset LIMIT $limit RETURN properties(n) AS props"
            )
    return s


def _relations(t: str, sl: str, dl: str) -> dict[str, str]:
    """Writes and reads of the relations of one (type, source label, target label) the schema allows."""
    _ident(t)
    s: dict[str, str] = {}
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
    return s


def _counts() -> dict[str, str]:
    """counts() from the count store in one round trip; per (type, source label) counts; relations by type."""
    s: dict[str, str] = {}
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
    return s


def _changelog_and_wipe() -> dict[str, str]:
    """The change log read (written by meta.bump); wipe_for_tests deletes in slices so a big test database does
    not need one huge transaction."""
    s: dict[str, str] = {}
    s["changelog.read"] = (
        f"MATCH (c:{CHANGE}) WHERE c.ver > $since AND c.ver <= $upto RETURN c.ver AS ver, c.items AS items ORDER BY ver"
    )
    for lab in (*LABELS, META, AUDIT, APIKEY, CHANGE, *ALERT_LABELS):
        s[f"admin.wipe.{lab}"] = (
            f"MATCH (n:{lab}) WITH n LIMIT $limit DETACH DELETE n RETURN count(*) AS deleted"
        )
    return s


def _audit_and_api_keys() -> dict[str, str]:
    s: dict[str, str] = {}
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
    cols = (
        "k.key_id AS key_id, k.name AS name, k.role AS role, k.park AS park, k.secret_hash AS secret_hash, "
        "k.created_at AS created_at, k.revoked_at AS revoked_at"
    )
    s["apikey.put"] = (
        f"CREATE (k:{APIKEY} {{key_id: $key_id, name: $name, role: $role, park: $park, "
        "secret_hash: $secret_hash, created_at: $created_at, revoked_at: $revoked_at})"
    )
    s["apikey.get"] = f"MATCH (k:{APIKEY} {{key_id: $key_id}}) RETURN {cols}"
    s["apikey.list"] = f"MATCH (k:{APIKEY}) RETURN {cols} ORDER BY created_at, key_id"
    s["apikey.revoke"] = (
        f"MATCH (k:{APIKEY} {{key_id: $key_id}}) WHERE k.revoked_at IS NULL "
        "SET k.revoked_at = $at RETURN count(k) AS n"
    )
    return s


_SUB_COLS = ", ".join(f"s.{c} AS {c}" for c in ("sub_id", "owner", "kind", "key", "name", "created_at", "min_score",
                                                 "region", "webhook_url", "secret"))
_JOB_COLS = ", ".join(f"j.{c} AS {c}" for c in ("job_id", "sub_id", "owner", "event_id", "status", "attempts",
                                                 "next_at", "last_error", "updated_at"))


def _alerts() -> dict[str, str]:
    """内容订阅: subscriptions, events (MERGE on the deterministic id: recorded once), digests with read marks,
    the webhook outbox and the processor's watched values — administrative nodes, never graph data."""
    s: dict[str, str] = {}
    s["alerts.sub.put"] = (
        "CREATE (s:AlertSubscription {sub_id: $sub_id, owner: $owner, kind: $kind, key: $key, name: $name, "
        "created_at: $created_at, min_score: $min_score, region: $region, webhook_url: $webhook_url, secret: $secret})"
    )
    s["alerts.sub.list"] = (
        f"MATCH (s:AlertSubscription) WHERE $owner IS NULL OR s.owner = $owner RETURN {_SUB_COLS} "
        "ORDER BY created_at, sub_id"
    )
    s["alerts.sub.delete"] = (
        "MATCH (s:AlertSubscription {sub_id: $sub_id}) WHERE $owner IS NULL OR s.owner = $owner "
        "DELETE s RETURN count(*) AS n"
    )
    s["alerts.event.merge"] = (
        "UNWIND $rows AS row MERGE (e:AlertEvent {event_id: row.event_id}) "
        "ON CREATE SET e.ver = row.ver, e.kind = row.kind, e.at = row.at, e.body = row.body, e.fresh = true "
        "WITH e WHERE e.fresh = true REMOVE e.fresh RETURN count(e) AS n"
    )
    s["alerts.event.get"] = (
        "UNWIND $ids AS id MATCH (e:AlertEvent {event_id: id}) "
        "RETURN e.event_id AS event_id, e.ver AS ver, e.kind AS kind, e.at AS at, e.body AS body"
    )
    s["alerts.inbox.merge"] = (
        "UNWIND $rows AS row MERGE (i:AlertInbox {inbox_id: row.inbox_id}) "
        "ON CREATE SET i.owner = row.owner, i.event_id = row.event_id, i.sub_id = row.sub_id"
    )
    s["alerts.job.merge"] = (
        "UNWIND $rows AS row MERGE (j:AlertJob {job_id: row.job_id}) "
        "ON CREATE SET j.sub_id = row.sub_id, j.owner = row.owner, j.event_id = row.event_id, j.status = row.status, "
        "j.attempts = row.attempts, j.next_at = row.next_at, j.last_error = row.last_error, j.updated_at = row.updated_at"
    )
    s["alerts.watch.set"] = "UNWIND $rows AS row MERGE (w:AlertWatch {k: row.k}) SET w.v = row.v"
    s["alerts.watch.delete"] = "UNWIND $keys AS k MATCH (w:AlertWatch {k: k}) DELETE w"
    s["alerts.cursor.lock"] = f"MERGE (w:AlertWatch {{k: $k}}) SET w.{LOCK_PROP} = true RETURN w.v AS v"
    s["alerts.cursor.set"] = f"MATCH (w:AlertWatch {{k: $k}}) SET w.v = $v REMOVE w.{LOCK_PROP}"
    s["alerts.watch.get"] = "UNWIND $keys AS k MATCH (w:AlertWatch {k: k}) RETURN w.k AS k, w.v AS v"
    s["alerts.inbox.list"] = (
        "MATCH (i:AlertInbox {owner: $owner}) WHERE NOT $unread_only OR i.read_at IS NULL "
        "MATCH (e:AlertEvent {event_id: i.event_id}) "
        "RETURN e.event_id AS event_id, e.ver AS ver, e.kind AS kind, e.at AS at, e.body AS body, "
        "i.sub_id AS sub_id, i.read_at AS read_at "
        "ORDER BY read_at IS NOT NULL, ver DESC, at DESC, event_id LIMIT $limit"
    )
    s["alerts.inbox.unread"] = (
        "MATCH (i:AlertInbox {owner: $owner}) WHERE i.read_at IS NULL RETURN count(i) AS n"
    )
    s["alerts.inbox.read_all"] = (
        "MATCH (i:AlertInbox {owner: $owner}) WHERE i.read_at IS NULL SET i.read_at = $at RETURN count(i) AS n"
    )
    s["alerts.inbox.read"] = (
        "UNWIND $ids AS id MATCH (i:AlertInbox {inbox_id: id}) WHERE i.read_at IS NULL "
        "SET i.read_at = $at RETURN count(i) AS n"
    )
    s["alerts.job.due"] = (
        f"MATCH (j:AlertJob) WHERE j.status IN $statuses AND j.next_at <= $now RETURN {_JOB_COLS} "
        "ORDER BY next_at, job_id LIMIT $limit"
    )
    # claim a due job for sending: take the node's write lock first, so the check sees any rival's committed claim
    s["alerts.job.claim"] = (
        f"MATCH (j:AlertJob {{job_id: $job_id}}) SET j.{LOCK_PROP} = true "
        "WITH j, (j.status IN $statuses AND j.next_at <= $now AND ($attempts IS NULL OR j.attempts = $attempts)) AS ok "
        f"REMOVE j.{LOCK_PROP} "
        "SET j.status = CASE WHEN ok THEN $sending ELSE j.status END, "
        "j.next_at = CASE WHEN ok THEN $until ELSE j.next_at END "
        "RETURN ok AS claimed"
    )
    s["alerts.job.update"] = (
        "MATCH (j:AlertJob {job_id: $job_id}) SET j.status = $status, j.attempts = $attempts, j.next_at = $next_at, "
        "j.last_error = $last_error, j.updated_at = $updated_at"
    )
    s["alerts.job.list"] = (
        f"MATCH (j:AlertJob) WHERE $owner IS NULL OR j.owner = $owner RETURN {_JOB_COLS} "
        "ORDER BY updated_at DESC, job_id LIMIT $limit"
    )
    return s


def _build_statements() -> dict[str, str]:
    s = {**_schema(), **_meta()}
    for lab in LABELS:
        s.update(_nodes(lab))
        s.update(_find(lab))
    for t, sl, dl in REL_COMBOS:
        s.update(_relations(t, sl, dl))
    s.update(_counts())
    s.update(_changelog_and_wipe())
    s.update(_audit_and_api_keys())
    s.update(_alerts())
    return s


STATEMENTS: dict[str, str] = _build_statements()
# The parameters each statement takes; `run` insists on exactly these (a missing or stray parameter is a bug).
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
    props.update(SubscriptionRec.__dataclass_fields__)
    props.update(WebhookJob.__dataclass_fields__)
    props.update(("event_id", "ver", "kind", "body", "fresh", "inbox_id", "sub_id", "read_at", "k", "v"))
    return {
        "labels": sorted({*LABELS, META, AUDIT, APIKEY, CHANGE, *ALERT_LABELS}),
        "relationshipTypes": sorted(RELATIONS),
        "propertyKeys": sorted(props),
    }


def run(tx: Any, stmt: str, /, **params: Any) -> Any:
    """Send STATEMENTS[stmt] with exactly its parameters. The only way the Neo4j backend talks to Neo4j."""
    expected = STATEMENT_PARAMS[stmt]
    if set(params) != expected:
        raise RuntimeError(f"statement {stmt}: parameters {sorted(params)} != {sorted(expected)}")
    return tx.run(cast("Any", STATEMENTS[stmt]), params)
