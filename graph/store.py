"""The store protocol every backend (SQLite embedded, Neo4j production) fulfils, and its record types.

A store is a labelled property graph with keyed nodes and typed relations, plus small administrative records
kept apart from the graph (API keys, audit log, and the 内容订阅 records: subscriptions, events, digests, the
webhook outbox, the alert processor's state). Writes go through `write(batch)`, which is all-or-nothing and
idempotent: writing the same batch twice changes nothing the second time (and does not bump the version).

Filters for `find` are a dict; each entry is `field`, or `field__op` with op one of:
  eq (default)  the property equals the value (for list properties: contains it)
  in            the property is one of the values (a list)
  min / max     numeric or text range, inclusive
  like          case-insensitive substring (text)
`name__like` searches names. Unknown fields simply match nothing; callers validate field names.
"""
from __future__ import annotations

import datetime as dt
import json as _json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Literal, Mapping, Protocol, Sequence, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

FILTER_OPS = ("eq", "in", "min", "max", "like")
Direction = Literal["out", "in", "both"]


@dataclass(frozen=True, slots=True)
class NodeRec:
    label: str
    key: str
    props: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RelRec:
    type: str
    src_label: str
    src_key: str
    dst_label: str
    dst_key: str
    props: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Expect:
    """A precondition of a write (optimistic concurrency): the node exists and each listed property has the
    given value (None = absent). Checked inside the write's transaction, after the store's write lock."""

    label: str
    key: str
    props: dict[str, Any]


@dataclass
class Batch:
    """One all-or-nothing write: preconditions, then upserts, then deletions."""

    nodes: list[NodeRec] = field(default_factory=list)
    rels: list[RelRec] = field(default_factory=list)
    delete_nodes: list[tuple[str, str]] = field(default_factory=list)  # (label, key); detaches relations
    delete_rels: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # type, src_label, src_key, dst_label, dst_key
    expect: list[Expect] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.nodes) + len(self.rels) + len(self.delete_nodes) + len(self.delete_rels)


@dataclass(frozen=True)
class WriteResult:
    nodes_written: int  # inserted or changed
    rels_written: int
    deleted: int
    version: int


RelKey = tuple[str, str, str, str, str]  # type, src_label, src_key, dst_label, dst_key
# The relations of one (type, src_label, dst_label) as arrays: source positions, target positions (each an index
# into that label's sorted key array) and weights (the numeric `weight` property; 0 where there is none).
EdgeArrays = tuple["np.ndarray", "np.ndarray", "np.ndarray"]


@dataclass(frozen=True)
class ChangeSet:
    """What changed in a store between two versions, as the current state of every touched key.

    `nodes[label][key]` is the node's props now (without "key"), or None if it no longer exists; `rels[key]` is
    the relation's props now, or None. Keys may have been touched without changing (a superset is allowed).
    Deleting a node also removed its relations; those are not listed separately."""

    since: int
    version: int
    nodes: dict[str, dict[str, dict[str, Any] | None]]
    rels: dict[RelKey, dict[str, Any] | None]

    def __len__(self) -> int:
        return sum(len(v) for v in self.nodes.values()) + len(self.rels)


@dataclass(frozen=True)
class AuditEntry:
    actor: str
    action: str
    target: str
    before: Any = None
    after: Any = None
    at: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))


@dataclass(frozen=True)
class ApiKeyRec:
    key_id: str
    name: str
    role: str
    park: str | None
    secret_hash: str
    created_at: str
    revoked_at: str | None = None


@dataclass(frozen=True)
class SubscriptionRec:
    """An officer's 内容订阅 (an administrative record, not graph data): what they follow — `kind` one of chain,
    segment, region, park, firm, parcel, project, with the subject's key and name — optional thresholds
    (`min_score`: only targets / signals at or above it; `region`: the 行政区 a chain/segment's targets are for),
    and an optional webhook with its own signing secret. `owner` is the officer's API key id."""

    sub_id: str
    owner: str
    kind: str
    key: str
    name: str
    created_at: str
    min_score: float | None = None
    region: str | None = None
    webhook_url: str | None = None
    secret: str | None = None


@dataclass(frozen=True)
class AlertEventRec:
    """One recorded change worth telling officers about (parcel listed, project stage changed …). `event_id` is
    derived from (version, kind, subject), so recording the same change twice keeps one record. `topics` are the
    "label:key" strings a subscription matches on (the parcel, its park, its region and the regions above …)."""

    event_id: str
    version: int
    kind: str
    subject_label: str
    subject_key: str
    title: str
    at: str
    topics: tuple[str, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)


def event_body(ev: AlertEventRec) -> str:
    """An event's subject, title, topics and detail as one JSON text (both backends store it so)."""
    return _json.dumps({"subject_label": ev.subject_label, "subject_key": ev.subject_key, "title": ev.title,
                         "topics": list(ev.topics), "detail": ev.detail})


def event_of(event_id: str, ver: int, kind: str, at: str, body: str) -> AlertEventRec:
    d = _json.loads(body)
    return AlertEventRec(event_id, int(ver), kind, d["subject_label"], d["subject_key"], d["title"], at,
                         tuple(d.get("topics") or ()), d.get("detail") or {})


@dataclass(frozen=True)
class InboxItem:
    """An event delivered to an officer's digest through one of their subscriptions; read_at None = unread."""

    event: AlertEventRec
    sub_id: str
    read_at: str | None = None


@dataclass(frozen=True)
class WebhookJob:
    """One webhook delivery in the outbox: status pending (next try at `next_at`), sending (claimed by a sender
    until `next_at`, its lease), delivered or failed (gave up)."""

    job_id: str
    sub_id: str
    owner: str
    event_id: str
    status: str = "pending"
    attempts: int = 0
    next_at: str = ""
    last_error: str | None = None
    updated_at: str | None = None


@dataclass
class AlertBatch:
    """What one pass of the alert processor records, all or nothing: new events, their digest entries
    (owner, event_id, sub_id), webhook jobs, changes to the processor's watched values (key → text, None =
    forget) and its new cursor (the store version it has read up to). Already recorded ids are left as they are.

    With a cursor, the pass is recorded only if the stored cursor is still `expect_cursor` (None = none yet):
    otherwise another processor recorded these versions first, nothing is written and AlertCursorMoved is raised."""

    events: list[AlertEventRec] = field(default_factory=list)
    inbox: list[tuple[str, str, str]] = field(default_factory=list)
    jobs: list[WebhookJob] = field(default_factory=list)
    watch: dict[str, str | None] = field(default_factory=dict)
    cursor: int | None = None
    expect_cursor: int | None = None


@dataclass(frozen=True)
class Neighbour:
    rel_type: str
    direction: Literal["out", "in"]
    rel_props: dict[str, Any]
    label: str
    key: str
    props: dict[str, Any]


class StoreError(RuntimeError):
    """A store could not do what was asked (unreachable, constraint broken …)."""


class ConflictError(StoreError):
    """A precondition (Expect) did not hold: someone else changed the node first. Nothing was written."""

    def __init__(self, expect: "Expect", actual: dict[str, Any] | None):
        self.expect = expect
        self.actual = actual
        if actual is None:
            msg = f"{expect.label} {expect.key!r} 不存在"
        else:
            diffs = [f"{k} 应为 {v!r}，实际 {actual.get(k)!r}" for k, v in expect.props.items() if actual.get(k) != v]
            msg = f"{expect.label} {expect.key!r} 已被修改：" + "；".join(diffs)
        super().__init__(msg)


class AlertCursorMoved(StoreError):
    """Another alert processor recorded a pass since this one read the cursor; nothing was written."""


def check_expect(expect: Expect, actual: dict[str, Any] | None) -> None:
    """Raise ConflictError unless `actual` (the node's props, or None) satisfies `expect`."""
    if actual is None or any(actual.get(k) != v for k, v in expect.props.items()):
        raise ConflictError(expect, actual)


@runtime_checkable
class GraphStore(Protocol):
    backend: str

    # --- writes
    def write(self, batch: Batch, *, audit: AuditEntry | None = None) -> WriteResult: ...

    # --- reads
    def get(self, label: str, key: str) -> dict[str, Any] | None: ...
    def get_many(self, label: str, keys: Sequence[str]) -> dict[str, dict[str, Any]]: ...
    def existing_keys(self, label: str, keys: Iterable[str]) -> set[str]: ...
    def find(
        self,
        label: str,
        *,
        filters: dict[str, Any] | None = None,
        order_by: str = "key",
        descending: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int]: ...
    def neighbours(
        self, label: str, key: str, *, rel_type: str | None = None, direction: Direction = "both", limit: int = 1000
    ) -> list[Neighbour]: ...
    def counts(self) -> dict[str, dict[str, int]]: ...
    def iter_nodes(self, label: str) -> Iterator[tuple[str, dict[str, Any]]]: ...
    def iter_relations(self, rel_type: str | None = None) -> Iterator[RelRec]: ...
    def node_columns(self, label: str, fields: Sequence[str], *, chunk_size: int = 50_000
                     ) -> Iterator[tuple[list[str], list[str | None], list[list[Any]]]]:
        """The label's nodes in key order, in chunks: their keys, names, and per node the values of `fields`
        (plain property names; None where absent) — the snapshot's bulk read of feature columns."""
        ...
    def edge_arrays(self, keys: Mapping[str, "np.ndarray"]) -> dict[tuple[str, str, str], EdgeArrays]:
        """Every relation between nodes listed in `keys` (label → sorted key array), as index arrays into those
        arrays, grouped by (type, src_label, dst_label) — the snapshot's bulk read of the graph. Relations with
        an end not in `keys` are left out."""
        ...
    def changes_since(self, version: int, *, max_items: int = 50_000) -> ChangeSet | None:
        """The current state of every key written after `version`, read consistently with the version it
        reports; None when the store cannot itemise that (history not kept that far back, a write too big to
        itemise, more than max_items keys, or a store written before its change log existed): then rebuild in full."""
        ...
    def version(self) -> int: ...
    def store_id(self) -> str: ...
    def ping(self) -> bool: ...

    # --- administration
    def put_api_key(self, rec: ApiKeyRec) -> None: ...
    def get_api_key(self, key_id: str) -> ApiKeyRec | None: ...
    def list_api_keys(self) -> list[ApiKeyRec]: ...
    def revoke_api_key(self, key_id: str, at: str) -> bool: ...
    def append_audit(self, entry: AuditEntry) -> None: ...
    def list_audit(self, *, limit: int = 100, offset: int = 0, actor: str | None = None) -> list[dict[str, Any]]: ...

    # --- 内容订阅 (alerts): subscriptions, events, digests, webhook outbox, the processor's state
    def put_subscription(self, rec: SubscriptionRec) -> None: ...
    def list_subscriptions(self, *, owner: str | None = None) -> list[SubscriptionRec]: ...
    def delete_subscription(self, sub_id: str, *, owner: str | None = None) -> bool: ...
    def record_alerts(self, batch: AlertBatch) -> int:
        """Record a processor pass in one transaction; returns how many events were new."""
        ...
    def alert_watch(self, keys: Sequence[str]) -> dict[str, str]:
        """The processor's stored values for those keys (absent keys left out); key "cursor" is its cursor."""
        ...
    def get_alert_events(self, event_ids: Sequence[str]) -> list[AlertEventRec]:
        """The recorded events with those ids (unknown ids left out), in the order asked."""
        ...
    def list_inbox(self, owner: str, *, unread_only: bool = False, limit: int = 100) -> list[InboxItem]:
        """An officer's digest: unread first, then newest first."""
        ...
    def count_unread(self, owner: str) -> int:
        """How many events in the officer's digest are unread (all of them, not one page)."""
        ...
    def mark_read(self, owner: str, event_ids: Sequence[str] | None, at: str) -> int:
        """Mark those events (None = all) read in the officer's digest; returns how many were unread."""
        ...
    def due_webhook_jobs(self, now: str, *, limit: int = 50) -> list[WebhookJob]:
        """Jobs to send at `now`: pending ones whose next try is due, and 'sending' ones whose lease has run out
        (a sender died after claiming them)."""
        ...
    def claim_webhook_job(self, job_id: str, now: str, lease_until: str, *, attempts: int | None = None) -> bool:
        """Atomically take a due job for sending: if it is still pending (or 'sending' with an expired lease) and
        due at `now` — and, when `attempts` is given, still has that many attempts (the sender's copy is current: a
        rival has not tried it meanwhile) — mark it 'sending' until `lease_until` and return True; otherwise (another
        sender claimed it first) change nothing and return False. Only the claimant posts."""
        ...
    def update_webhook_job(self, job: WebhookJob) -> None: ...
    def list_webhook_jobs(self, *, owner: str | None = None, limit: int = 100) -> list[WebhookJob]: ...

    def close(self) -> None: ...


def split_filter(name: str) -> tuple[str, str]:
    """'area_mu__min' -> ('area_mu', 'min'); 'region' -> ('region', 'eq')."""
    if "__" in name:
        f, op = name.rsplit("__", 1)
        if op in FILTER_OPS:
            return f, op
    return name, "eq"


def open_store(backend: str, *, sqlite_path: str | None = None, neo4j_uri: str | None = None,
               neo4j_user: str = "neo4j", neo4j_password: str | None = None, neo4j_database: str | None = None) -> GraphStore:
    """Open the configured backend."""
    if backend == "sqlite":
        from graph.sqlite_store import SQLiteStore

        return SQLiteStore(sqlite_path or "chainmatch.db")
    if backend == "neo4j":
        from graph.neo4j_store import Neo4jStore

        if not neo4j_uri:
            raise StoreError("Neo4j 后端需要 NEO4J_URI")
        return Neo4jStore(neo4j_uri, user=neo4j_user, password=neo4j_password or "", database=neo4j_database)
    raise StoreError(f"未知存储后端 {backend!r}（sqlite 或 neo4j）")


def rel_weight(props: Mapping[str, Any] | None) -> float | int | None:
    """A relation's numeric `weight` (its strength for the snapshot: revenue share, supply volume …); booleans and
    text are not weights. The one rule every backend and the snapshot use."""
    w = props.get("weight") if props else None
    return w if type(w) in (int, float) else None


def positions(sorted_keys: "np.ndarray", q: "np.ndarray") -> "np.ndarray":
    """Index of each of q in sorted_keys, -1 where absent."""
    import numpy as np

    if sorted_keys.size == 0 or q.size == 0:
        return np.full(q.size, -1, dtype=np.int64)
    p = np.minimum(np.searchsorted(sorted_keys, q), len(sorted_keys) - 1)
    return np.where(sorted_keys[p] == q, p, -1).astype(np.int64)
