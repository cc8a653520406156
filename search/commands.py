"""Keeping ChainMatch's search index current: the one module of `search` that reads the store — its change log.

The index is derived data (search.index). `index_for` finds the index file of a store next to the snapshot cache
(`search-<store id>.sqlite3`) and brings it to the snapshot's version: nothing to do when it is there already; the
nodes the store's change log names since the index's version re-indexed (a written firm is found, a deleted one
disappears, a new 链主 or park tenant moves up) — no full rebuild after a write; a full build only when there is no
index yet, it belongs to another store, or the store cannot itemise what changed (a bulk import, history pruned).

A first build over a million firms takes minutes, so the service starts it in the background when it starts
(`warm_up`, setting `search.warm_on_start`), and a search never runs a bring-up itself: it starts one in the
background (or finds one running — after a bulk import, a new index format) and waits at most `wait` seconds: then
it reads the index as it was (a build writes a new file and swaps it in, so the old one stays whole) or, when there
is none yet, answers 503 "检索索引正在建立" with Retry-After (`IndexNotReady`) instead of holding the request.
"""
from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from typing import Callable

from graph.snapshot import Snapshot
from graph.store import ChangeSet, GraphStore
from kernel.errors import ChainMatchError
from search.documents import LABELS
from search.index import SearchIndex

log = logging.getLogger("chainmatch.search")

# relation types whose change alters what a doc holds (a firm's boost: 链主, located in a park)
_BOOST_RELATIONS = frozenset({"LEADS", "LOCATED_IN"})

_indexes: dict[str, SearchIndex] = {}
_known: dict[str, tuple[str, int]] = {}  # index path → (store id, version) this process last brought it to
_locks: dict[str, threading.Lock] = {}
_registry = threading.Lock()
_since: dict[str, float] = {}  # index path → when the bring-up running now started (time.monotonic())
_running: dict[str, "_BringUp"] = {}  # index path → the background bring-up a search started
RETRY_AFTER_S = 15


class IndexNotReady(ChainMatchError):
    """There is no usable index yet and its first build is still running: 503 with Retry-After."""

    status = 503

    def __init__(self, running_s: float) -> None:
        super().__init__(f"检索索引正在建立（已进行 {running_s:.0f} 秒；数据量大时首次建立需要几分钟），请 {RETRY_AFTER_S} 秒后再试",
                         headers={"Retry-After": str(RETRY_AFTER_S)})


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


def index_for(store: GraphStore, snap: Snapshot, directory: str | None, *, max_changes: int = 50_000,
              wait: float | None = None) -> SearchIndex:
    """The store's search index, current with `snap`.

    Without `wait` (the CLI, the start-up warm-up) the bring-up runs here, however long it takes. With `wait` (a
    search request) it runs in a background thread — whether this request started it or another one did — and is
    waited for at most `wait` seconds: then the index as it was (still a whole index, of an older version), or
    IndexNotReady when there is no index of this store yet; the build goes on and the next search finds it."""
    path = index_path(directory, snap.store_id)
    with _registry:
        index = _indexes.get(path)
        if index is None:
            index = _indexes[path] = SearchIndex(path)
            _locks[path] = threading.Lock()
    if _current(path, snap):
        return index
    if wait is None:
        _bring_up_locked(path, index, store, snap, max_changes)
        return index
    deadline = time.monotonic() + max(wait, 0.0)
    while True:
        worker = _background(path, index, store, snap, max_changes)
        worker.join(max(deadline - time.monotonic(), 0.0))
        if _current(path, snap):
            return index
        if worker.is_alive() or time.monotonic() >= deadline:
            break
        if worker.error is not None:  # it failed: say so, as the request itself would have
            raise worker.error
    state = index.state()
    if state is not None and state[0] == snap.store_id:
        log.info("search index: busy, answering from version %s (snapshot %s)", state[1], snap.version)
        return index
    raise IndexNotReady(time.monotonic() - _since.get(path, time.monotonic()))


def _current(path: str, snap: Snapshot) -> bool:
    """This process brought the index to `snap`'s version or further."""
    known = _known.get(path)
    return known is not None and known[0] == snap.store_id and known[1] >= snap.version


class _BringUp(threading.Thread):
    """A background bring-up of one index file; `error` holds what it raised, for the request that waits on it."""

    def __init__(self, job: Callable[[], None]) -> None:
        super().__init__(name="chainmatch-search-index", daemon=True)
        self._job = job
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._job()
        except Exception as exc:  # noqa: BLE001 — handed to the waiting request, and logged for the others
            self.error = exc
            log.exception("search index: bringing the index up failed; the next search tries again")


def _background(path: str, index: SearchIndex, store: GraphStore, snap: Snapshot, max_changes: int) -> _BringUp:
    """The bring-up running for this index file, or a new one to `snap`'s version."""
    with _registry:
        running = _running.get(path)
        if running is not None and running.is_alive():
            return running
        worker = _running[path] = _BringUp(lambda: _bring_up_locked(path, index, store, snap, max_changes))
        worker.start()
        return worker


def _bring_up_locked(path: str, index: SearchIndex, store: GraphStore, snap: Snapshot, max_changes: int) -> None:
    with _locks[path]:
        if _current(path, snap):
            return
        _since[path] = time.monotonic()
        try:
            _known[path] = _bring_up_to(index, store, snap, max_changes)
        finally:
            _since.pop(path, None)


def warm_up(store: GraphStore, snapshot: Callable[[], Snapshot], directory: str | None, *,
            max_changes: int = 50_000) -> threading.Thread:
    """Bring the index up in a background thread (the service's start): the first search then finds it ready.
    A failure is logged; the next search tries again."""

    def run() -> None:
        started = time.monotonic()
        try:
            index_for(store, snapshot(), directory, max_changes=max_changes)
        except Exception:  # noqa: BLE001 — a background thread: log, and let the next search try again
            log.exception("search index: building at start-up failed; the first search will try again")
        else:
            log.info("search index: ready %.1f s after start-up", time.monotonic() - started)

    thread = threading.Thread(target=run, name="chainmatch-search-warm-up", daemon=True)
    thread.start()
    return thread


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
