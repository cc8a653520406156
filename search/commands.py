"""Keeping ChainMatch's search index current: the one module of `search` that reads the store — its change log.

The index is derived data (search.index). `index_for` finds the index file of a store next to the snapshot cache
(`search-<store id>.sqlite3`) and brings it to the snapshot's version: nothing to do when it is there already; the
nodes the store's change log names since the index's version re-indexed (a written firm is found, a deleted one
disappears, a new 链主 or park tenant moves up) — no full rebuild after a write; a full build only when there is no
index yet, it belongs to another store, or the store cannot itemise what changed (a bulk import, history pruned).
"""
from __future__ import annotations

import logging
import os
import tempfile
import threading

from graph.snapshot import Snapshot
from graph.store import ChangeSet, GraphStore
from search.documents import LABELS
from search.index import SearchIndex

log = logging.getLogger("chainmatch.search")

# relation types whose change alters what a doc holds (a firm's boost: 链主, located in a park)
_BOOST_RELATIONS = frozenset({"LEADS", "LOCATED_IN"})

_indexes: dict[str, SearchIndex] = {}
_known: dict[str, tuple[str, int]] = {}  # index path → (store id, version) this process last brought it to
_locks: dict[str, threading.Lock] = {}
_registry = threading.Lock()


def index_path(directory: str | None, store_id: str) -> str:
    """Where a store's search index lives: beside the snapshot cache (a temporary folder when there is none)."""
    base = directory or os.path.join(tempfile.gettempdir(), "chainmatch-search")
    return os.path.join(base, f"search-{store_id}.sqlite3")


def touched(changes: ChangeSet) -> dict[str, set[str]]:
    """label → keys whose doc may differ after the changes (nodes written or deleted, boost relations' firms)."""
    out: dict[str, set[str]] = {}
    for label, nodes in changes.nodes.items():
        if label in LABELS and nodes:
            out.setdefault(label, set()).update(nodes)
    for (rel_type, src_label, src_key, dst_label, dst_key) in changes.rels:
        if rel_type in _BOOST_RELATIONS and src_label == "Enterprise":
            out.setdefault("Enterprise", set()).add(src_key)
    return out


def index_for(store: GraphStore, snap: Snapshot, directory: str | None, *, max_changes: int = 50_000) -> SearchIndex:
    """The store's search index, current with `snap`."""
    path = index_path(directory, snap.store_id)
    with _registry:
        index = _indexes.get(path)
        if index is None:
            index = _indexes[path] = SearchIndex(path)
            _locks[path] = threading.Lock()
        lock = _locks[path]
    if _known.get(path) == (snap.store_id, snap.version):
        return index
    with lock:
        if _known.get(path) != (snap.store_id, snap.version):
            _known[path] = _bring_up_to(index, store, snap, max_changes)
    return index


def _bring_up_to(index: SearchIndex, store: GraphStore, snap: Snapshot, max_changes: int) -> tuple[str, int]:
    state = index.state()
    if state is not None and state[0] == snap.store_id and state[1] >= snap.version:
        return state  # current, or brought further by another process
    changes = None
    if state is not None and state[0] == snap.store_id:
        changes = store.changes_since(state[1], max_items=max_changes)
    if changes is None:
        log.info("search index: full build at version %s (%s)", snap.version,
                 "no index yet" if state is None else "the change log cannot itemise the changes")
        index.build(snap)
    else:
        n = index.update(snap, touched(changes))
        log.info("search index: %d nodes re-indexed, version %s → %s", n, state[1], snap.version)
    return snap.store_id, snap.version


def forget(directory: str | None, store_id: str) -> None:
    """Drop this process's handle on a store's index (tests, a store wiped and reopened)."""
    path = index_path(directory, store_id)
    with _registry:
        index = _indexes.pop(path, None)
        _known.pop(path, None)
    if index is not None:
        index.close()
