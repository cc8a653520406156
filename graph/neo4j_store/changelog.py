"""The Neo4j backend's change log: which node and relation keys each version touched, and `changes_since`.

`(:ChainMatchChange {ver, items})` is written by the write's own transaction (statement meta.bump): the keys as
JSON text, or no items for a write too big to itemise; the last CHANGELOG_KEEP versions are kept. The analytic
snapshot patches itself from `changes_since` (the current state of those keys) instead of rebuilding.
"""
from __future__ import annotations

from typing import Any

import orjson

from graph.neo4j_store.records import bare_props, chunks, dumps
from graph.neo4j_store.session import Neo4jSessions
from graph.neo4j_store.statements import LABELS, REL_COMBOS, run
from graph.store import Batch, ChangeSet, RelKey

CHANGELOG_MAX_ITEMS = 20_000  # a bigger write is logged as "not itemised": a snapshot rebuilds after it
CHANGELOG_KEEP = 1_000  # versions of change log kept
KEY_CHUNK = 10_000  # keys per statement when reading the changed keys' state


def log_items(batch: Batch) -> str | None:
    """The change-log entry of a batch (a superset of what it changes), or None if it is too big to itemise."""
    if len(batch) > CHANGELOG_MAX_ITEMS:
        return None
    return dumps({
        "n": [[n.label, n.key] for n in batch.nodes] + [list(k) for k in batch.delete_nodes],
        "r": [[r.type, r.src_label, r.src_key, r.dst_label, r.dst_key] for r in batch.rels]
             + [list(k) for k in batch.delete_rels],
    }).decode()


class Neo4jChangeLog(Neo4jSessions):
    """changes_since: what the change log says changed since a version, in its current state."""

    def changes_since(self, version: int, *, max_items: int = 50_000) -> ChangeSet | None:
        """From the change log (see the module docstring). Neo4j reads at read-committed isolation, so the
        version is read first and the keys' state after it: a write landing in between can only make the state
        newer than the version reported, and the next call re-reads every key written after that version."""

        def work(tx: Any) -> ChangeSet | None:
            rec = run(tx, "meta.version").single()
            if rec is None:
                return None
            current = int(rec["version"])
            if version > current:
                return None  # not this store's history (the database was wiped)
            if version == current:
                return ChangeSet(version, current, {}, {})
            entries = [(int(r["ver"]), r["items"]) for r in run(tx, "changelog.read", since=version, upto=current)]
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
                    for chunk in chunks(list(keys), KEY_CHUNK):
                        for r in run(tx, f"node.get_many.{label}", keys=list(chunk)):
                            state[r["key"]] = bare_props(r["props"])
                nodes[label] = state
            rels: dict[RelKey, dict[str, Any] | None] = dict.fromkeys(rel_keys)
            by_combo: dict[tuple[str, str, str], list[dict[str, str]]] = {}
            for t, sl, sk, dl, dk in rel_keys:
                if (t, sl, dl) in REL_COMBOS:
                    by_combo.setdefault((t, sl, dl), []).append({"src": sk, "dst": dk})
            for (t, sl, dl), rows in by_combo.items():
                for chunk in chunks(rows, KEY_CHUNK):
                    for r in run(tx, f"rel.get_many.{t}.{sl}.{dl}", rows=list(chunk)):
                        rels[(t, sl, r["src"], dl, r["dst"])] = bare_props(r["props"], None)
            return ChangeSet(version, current, nodes, rels)

        return self._read(work)
