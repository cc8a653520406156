"""One registry of what is derived from a snapshot: chain indexes, the land matcher's tables, target engines,
similar-firm profiles, cached responses.

A snapshot never changes, so anything computed from it alone stays valid as long as the snapshot lives. `derived`
builds each entry once per snapshot object — also under concurrent requests: the first caller builds, the others
wait for it (one lock per entry, so a slow build blocks nobody who wants something else) — and the entries go
away with the snapshot. A build that raises leaves nothing behind; the next call tries again.

    idx = derived(snap, "chains.index", lambda: ChainIndex(snap))
    eng = derived(snap, "targets.engine", lambda: TargetEngine(snap, cfg), key=cfg)
"""
from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from typing import Any, Callable, Hashable, TypeVar

T = TypeVar("T")


class _Entry:
    __slots__ = ("lock", "value", "ready")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.value: Any = None
        self.ready = False


_entries: "weakref.WeakKeyDictionary[Any, dict[tuple[str, Hashable], _Entry]]" = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def derived(snap: Any, name: str, build: Callable[[], T], *, key: Hashable = None) -> T:
    """The value `build()` returns for this snapshot under (name, key), built at most once per snapshot."""
    with _registry_lock:
        per = _entries.get(snap)
        if per is None:
            per = _entries[snap] = {}
        entry = per.get((name, key))
        if entry is None:
            entry = per[(name, key)] = _Entry()
    if entry.ready:
        return entry.value
    with entry.lock:
        if not entry.ready:
            entry.value = build()
            entry.ready = True
    return entry.value


def built(snap: Any) -> list[tuple[str, Hashable]]:
    """The (name, key) entries already built for a snapshot (for tests and diagnostics)."""
    with _registry_lock:
        return [k for k, e in (_entries.get(snap) or {}).items() if e.ready]


class LRU:
    """A small bounded map (least recently used goes first), safe under concurrent requests — for per-snapshot
    memos of many small answers (e.g. finished JSON responses), kept in the registry so they die with the snapshot."""

    def __init__(self, maxsize: int = 512) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> Any:
        with self._lock:
            if key not in self._data:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return self._data[key]

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)
