"""Building the ChainMatch analytic snapshot from a store in full: nodes label by label (the store's column reads,
one chunk ahead in a reader thread), then every relation through the store's bulk edge read, bucketed with numpy.

A key longer than schema.KEY_MAX (only data written around the schema can have one) would widen every key of its
label: such records are left out, logged and listed in Snapshot.skipped (`_holdable`).
"""
from __future__ import annotations

import hashlib
import logging
import os
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator, Sequence

import numpy as np
import scipy.sparse as sp

from graph.schema import KEY_MAX, Label
from graph.snapshot.columns import LabelArrays, _cat_column, _Columns, _list_column, _str_array, _text_array
from graph.store import GraphStore

log = logging.getLogger("graph.snapshot")

# One long-lived reader thread: a store opens a connection per thread, so a thread per build would leave one
# more open connection (and its page cache) behind each time. Made anew in a forked child (whose copy of the
# parent's executor has no thread).
_READER: tuple[int, ThreadPoolExecutor] | None = None
_READER_LOCK = threading.Lock()


def _reader() -> ThreadPoolExecutor:
    global _READER
    with _READER_LOCK:
        if _READER is None or _READER[0] != os.getpid():
            _READER = (os.getpid(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="snapshot-read"))
        return _READER[1]


def _prefetch(it: Iterator[Any]) -> Iterator[Any]:
    """Run a store iterator one step ahead in the reader thread. The SQLite store computes each chunk inside one
    query (the GIL is released meanwhile), so the next chunk is read while this thread turns the last one into
    arrays. If the consumer stops early, the reader stops too."""
    q: queue.Queue = queue.Queue(maxsize=1)
    done = object()
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in it:
                if not put(item):
                    return
            put(done)
        except BaseException as e:  # handed to the consumer, raised there
            put(e)

    _reader().submit(run)
    try:
        while (item := q.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()


def _digest(key: str) -> str:
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def _holdable(label: str, keys: Sequence[str], skipped: list[tuple[str, str, str, str]]) -> list[int] | None:
    """Positions of the keys a snapshot can hold (None: all of them). A key longer than schema.KEY_MAX — which
    only data written around the schema can have — would widen every key of its label: it is left out, logged
    and listed in Snapshot.skipped, and the service stays up."""
    bad = [i for i, k in enumerate(keys) if len(k) > KEY_MAX]
    if not bad:
        return None
    for i in bad:
        skipped.append((label, keys[i][:80], f"key 长 {len(keys[i]):,} 个字符，超过上限 {KEY_MAX}", _digest(keys[i])))
        log.warning("snapshot: %s %r… left out: key of %d characters (limit %d)", label, keys[i][:80], len(keys[i]),
                    KEY_MAX)
    drop = set(bad)
    return [i for i in range(len(keys)) if i not in drop]


def _build_label(store: GraphStore, lab: Label, skipped: list[tuple[str, str, str, str]]) -> LabelArrays:
    cols = _Columns(lab)
    keys: list[str] = []
    for ks, names, rows in _prefetch(store.node_columns(lab.value, cols.fields)):  # ordered by key
        ok = _holdable(lab.value, ks, skipped)
        if ok is not None:
            ks, names, rows = [ks[i] for i in ok], [names[i] for i in ok], [rows[i] for i in ok]
        keys.extend(ks)
        cols.add_rows(names, rows)
    n = len(keys)
    la = LabelArrays(keys=_str_array(keys), names=_text_array(cols.names))
    for f in cols.num_f:
        la.num[f] = cols.num_array(f)
    for f in cols.cat_f:
        la.cat[f] = _cat_column(cols.cat[f])
    for f in cols.list_f:
        la.lists[f] = _list_column(cols.lists[f], n, counted=f in cols.counted)
    if n > 1 and not bool(np.all(la.keys[1:] > la.keys[:-1])):  # a backend that orders keys differently
        la = _take_rows(la, np.argsort(la.keys, kind="stable"))
    return la


def _take_rows(la: LabelArrays, order: np.ndarray) -> LabelArrays:
    out = LabelArrays(keys=la.keys[order], names=la.names[order])
    out.num = {f: a[order] for f, a in la.num.items()}
    out.cat = {f: (c[order], v) for f, (c, v) in la.cat.items()}
    out.lists = {f: (m[order], v) for f, (m, v) in la.lists.items()}
    return out


def _build_adjacency(store: GraphStore, labels: dict[str, LabelArrays]) -> dict[tuple[str, str, str], sp.csr_matrix]:
    adj = {}
    for (t, sl, dl), (s, d, w) in store.edge_arrays({lab: la.keys for lab, la in labels.items()}).items():
        if not len(s):
            continue
        w = w.astype(np.float32)
        w[~(w > 0)] = 1.0  # no usable weight: 1
        m = sp.csr_matrix((w, (s, d)), shape=(len(labels[sl]), len(labels[dl])), dtype=np.float32)
        m.sum_duplicates()
        adj[(t, sl, dl)] = m
    return adj
