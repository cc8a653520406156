"""The in-memory analytic snapshot: compact numpy/scipy arrays built from any store, kept fresh by patching.

Matching reads only this, never a backend. Per label: the sorted key array (key → index by binary search, no
million-entry dict), names, numeric feature columns (float64, NaN = unknown), categorical columns (int32 codes
with a vocabulary, -1 = unknown) and list columns (multi-hot CSR with a vocabulary). Per relation type and
label pair: a CSR adjacency matrix (rows = source index, cols = target index, data = the relation's `weight`
or 1).

A snapshot is tied to (store_id, version) and never changes once made. When the store's version moves on,
`SnapshotCache` asks the store what changed (`changes_since`) and `Snapshot.apply` makes a patched copy: only
the touched rows are re-read, arrays are carried over by index arithmetic. It rebuilds in full only when the
store cannot itemise the changes (a bulk import, history pruned, a store older than its change log). The newest
snapshot is kept on disk (one uncompressed .npz, written in the background) so a restarted service loads it and
patches it up to the store's version instead of rebuilding. docs/storage.md has the numbers at 1M firms.
"""
from __future__ import annotations

import atexit
import hashlib
import logging
import os
import queue
import re
import sys
import threading
import time
import types
import typing
import weakref
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
import scipy.sparse as sp

from graph.schema import KEY_MAX, MODELS, Label
from graph.store import ChangeSet, GraphStore, positions, rel_weight

log = logging.getLogger(__name__)

# Text fields kept out of the snapshot (long, free text); the recommender reads them from the store when fitting.
# free text and logs: matching never compares them (the project library reads stage_history/tracking_log from the store)
_SKIP = {"key", "name", "source", "description", "business_scope", "summary", "uscc", "stock_code", "doc_no",
         "stage_history", "tracking_log"}


def _kind(annotation: Any) -> str | None:
    """'num', 'cat', 'list' or None for a model field annotation."""
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:  # a bounded text type (graph.schema.Text …): what it annotates
        return _kind(args[0])
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _kind(inner[0]) if len(inner) == 1 else None
    if origin is list:
        return "list"
    if origin is typing.Literal:
        return "cat"
    if annotation in (int, float):
        return "num"
    if annotation is bool:
        return "num"
    if annotation is str:
        return "cat"
    return None  # dates and others: not featurised here


def feature_fields(label: Label) -> dict[str, str]:
    return {
        name: k
        for name, f in MODELS[label].model_fields.items()
        if name not in _SKIP and (k := _kind(f.annotation)) is not None
    }


@dataclass
class LabelArrays:
    keys: np.ndarray  # sorted unicode
    names: np.ndarray
    num: dict[str, np.ndarray] = field(default_factory=dict)
    cat: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # codes, vocab
    lists: dict[str, tuple[sp.csr_matrix, np.ndarray]] = field(default_factory=dict)  # multi-hot, vocab

    def __len__(self) -> int:
        return len(self.keys)


_NUM_TYPES = (int, float, bool)  # what JSON numbers and booleans load as
_NAN = float("nan")


def _str_array(values: Sequence[str]) -> np.ndarray:
    """A unicode array as wide as its longest value — for keys (binary search needs fixed width; keys are bounded
    by schema.KEY_MAX and longer ones never enter a snapshot) and for queries."""
    arr = np.asarray(values, dtype=str)
    return arr if arr.size else np.zeros(0, dtype="<U1")


_FIXED_MIN_BYTES = 1 << 16  # below this a fixed-width array is used whatever its widest value


def _fixed_width_fits(n: int, longest: int, total: int) -> bool:
    """Is a fixed-width array (n × longest × 4 bytes) at most twice what the text itself takes?"""
    fixed = n * longest * 4
    return fixed <= _FIXED_MIN_BYTES or fixed <= 2 * (4 * total + 16 * n)


def _text_array(values: Sequence[str]) -> np.ndarray:
    """Names and vocabularies: fixed-width unicode while that costs at most twice the text itself, else an object
    array, whose memory follows the total text — one long name among a million short ones must not make every
    row as wide as it (a 1 MB name once meant n × 4 MB)."""
    vals = values if isinstance(values, list) else list(values)
    n = len(vals)
    if n == 0:
        return np.zeros(0, dtype="<U1")
    lens = np.fromiter(map(len, vals), dtype=np.int64, count=n)
    longest = int(lens.max())
    if _fixed_width_fits(n, longest, int(lens.sum())):
        return np.asarray(vals, dtype=f"<U{max(1, longest)}")
    out = np.empty(n, dtype=object)
    out[:] = vals
    return out


def _text_nbytes(a: np.ndarray) -> int:
    """Bytes an array of text holds (for an object array: the pointers and the str objects)."""
    if a.dtype != object:
        return int(a.nbytes)
    return int(a.nbytes) + sum(sys.getsizeof(x) for x in a.tolist())


def _join_text(a: np.ndarray) -> tuple[np.ndarray, str] | None:
    """An object array of text as one string and its separator (for the .npz cache, which holds no objects)."""
    vals = a.tolist()
    for sep in _SEPARATORS:
        joined = sep.join(vals)
        if joined.count(sep) == len(vals) - 1:
            return np.asarray([joined]), sep
    return None


_SEPARATORS = ("\x1f", "\x1e", "\ufdd0", "\ufdd1")  # control characters and non-characters no valid text holds


def _widest(a: np.ndarray, b: np.ndarray) -> np.dtype:
    return a.dtype if a.dtype.itemsize >= b.dtype.itemsize else b.dtype


def _weight(props: dict[str, Any] | None) -> float:
    """A patched edge's value, as a build gives it from the store's weight column: the weight if positive, else 1."""
    w = rel_weight(props)
    return float(w) if w is not None and w > 0 else 1.0


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


def _to_float(col: Sequence[Any]) -> np.ndarray:
    """Numbers, booleans (and numeric text, which validated data never has) as float64; anything else NaN."""
    a = np.array(col, dtype=object)
    if a.ndim == 1:
        a[np.equal(a, None)] = _NAN
        try:
            return a.astype(np.float64)
        except (TypeError, ValueError):
            pass
    return np.array([float(v) if type(v) in _NUM_TYPES else _NAN for v in col], dtype=np.float64)


class _Columns:
    """Feature columns of a label gathered chunk by chunk from rows of field values (in `self.fields` order)."""

    def __init__(self, lab: Label):
        fields = feature_fields(lab)
        self.num_f = [f for f, k in fields.items() if k == "num"]
        self.cat_f = [f for f, k in fields.items() if k == "cat"]
        self.list_f = [f for f, k in fields.items() if k == "list"]
        self.fields = [*self.num_f, *self.cat_f, *self.list_f]
        self.names: list[str] = []
        self.num: dict[str, list[np.ndarray]] = {f: [] for f in self.num_f}
        self.cat: dict[str, list[Any]] = {f: [] for f in self.cat_f}
        self.lists: dict[str, list[list[Any]]] = {f: [] for f in self.list_f}

    def add_props(self, props: Sequence[dict[str, Any]]) -> None:
        self.add_rows([p.get("name") for p in props], [[p.get(f) for f in self.fields] for p in props])

    def add_rows(self, names: Sequence[str | None], rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        self.names.extend(["" if v is None else v for v in names])
        cols = list(zip(*rows)) if self.fields else []
        i = 0
        for f in self.num_f:
            self.num[f].append(_to_float(cols[i]))
            i += 1
        for f in self.cat_f:
            self.cat[f].extend(cols[i])
            i += 1
        for f in self.list_f:
            self.lists[f].extend([v if isinstance(v, list) else [] for v in cols[i]])
            i += 1

    def num_array(self, f: str) -> np.ndarray:
        parts = self.num[f]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float64)


def _cat_column(values: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    vocab = sorted({v for v in values if v is not None})
    pos = {v: i for i, v in enumerate(vocab)}
    return np.asarray([pos.get(v, -1) for v in values], dtype=np.int32), _text_array(vocab)


def _multi_hot(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    m = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=shape)
    m.sum_duplicates()
    m.data[:] = 1  # a value listed twice is still one membership
    return m


def _list_column(values: list[list[Any]], n: int) -> tuple[sp.csr_matrix, np.ndarray]:
    vocab = sorted({str(v) for vs in values for v in vs})
    pos = {v: i for i, v in enumerate(vocab)}
    lengths = np.fromiter((len(vs) for vs in values), dtype=np.int64, count=len(values))
    rows = np.repeat(np.arange(len(values), dtype=np.int64), lengths)
    cols = np.fromiter((pos[str(v)] for vs in values for v in vs), dtype=np.int64, count=int(lengths.sum()))
    return _multi_hot(rows, cols, (n, len(vocab))), _text_array(vocab)


class Snapshot:
    def __init__(self, store_id: str, version: int, labels: dict[str, LabelArrays],
                 adj: dict[tuple[str, str, str], sp.csr_matrix], built_seconds: float = 0.0,
                 skipped: Sequence[tuple[str, str, str, str]] = ()):
        self.store_id = store_id
        self.version = version
        self.labels = labels
        self.adj = adj
        self.built_seconds = built_seconds  # time to build this snapshot, or to patch it from its predecessor
        self.skipped = list(skipped)  # (label, key's first 80 characters, why, digest) of records left out (_holdable)

    # ----------------------------------------------------------------- lookups
    def n(self, label: str) -> int:
        return len(self.labels[label]) if label in self.labels else 0

    def keys(self, label: str) -> np.ndarray:
        return self.labels[label].keys

    def index_of(self, label: str, keys: str | Iterable[str]) -> np.ndarray | int:
        """Indices of keys (-1 where unknown). A single key gives an int."""
        arr = self.labels[label].keys
        single = isinstance(keys, str)
        q = _str_array([keys] if single else list(keys))  # as wide as the longest query: no truncated matches
        res = positions(arr, q)
        return int(res[0]) if single else res

    def relation(self, rel_type: str, src_label: str, dst_label: str) -> sp.csr_matrix:
        """Adjacency (src × dst); an empty matrix of the right shape if there are no such relations."""
        m = self.adj.get((rel_type, src_label, dst_label))
        if m is None:
            return sp.csr_matrix((self.n(src_label), self.n(dst_label)), dtype=np.float32)
        return m

    def column(self, label: str, name: str) -> np.ndarray:
        return self.labels[label].num[name]

    def categorical(self, label: str, name: str) -> tuple[np.ndarray, np.ndarray]:
        return self.labels[label].cat[name]

    def multi_hot(self, label: str, name: str) -> tuple[sp.csr_matrix, np.ndarray]:
        return self.labels[label].lists[name]

    # ----------------------------------------------------------------- build
    @classmethod
    def build(cls, store: GraphStore, *, progress: bool = False) -> "Snapshot":
        """Read the whole store: nodes label by label (props parsed once, columns filled chunk by chunk), then
        every relation through the store's bulk edge read, mapped to indices and bucketed with numpy.

        The version is read first: if a write lands during the build, the arrays may already hold some of it,
        and the next SnapshotCache.get() re-reads every key written after that version, which settles it."""
        t0 = time.perf_counter()
        version = store.version()
        store_id = store.store_id()
        labels: dict[str, LabelArrays] = {}
        skipped: list[tuple[str, str, str, str]] = []
        for lab in Label:
            labels[lab.value] = _build_label(store, lab, skipped)
            if progress:
                log.info("snapshot: %s %d rows (%.1fs)", lab.value, len(labels[lab.value]), time.perf_counter() - t0)
        adj = _build_adjacency(store, labels)
        snap = cls(store_id, version, labels, adj, time.perf_counter() - t0, skipped=skipped)
        log.info("snapshot built: version %s in %.2fs", version, snap.built_seconds)
        return snap

    def apply(self, changes: ChangeSet) -> "Snapshot":
        """A new snapshot at changes.version: this one with the changed nodes and relations patched in.

        Equal, array for array, to a full build at that version (tests/graph/test_snapshot.py checks it). This
        snapshot is left untouched: arrays that did not change are shared, the others are new."""
        t0 = time.perf_counter()
        labels = dict(self.labels)
        remap: dict[str, np.ndarray] = {}
        touched = {(lab, _digest(k)) for lab, ch in changes.nodes.items() for k in ch if len(k) > KEY_MAX}
        skipped = [x for x in self.skipped if (x[0], x[3]) not in touched]  # re-judged below if still there
        for lab, changed in changes.nodes.items():
            if lab not in labels or not changed:
                continue
            if _holdable(lab, [k for k, v in changed.items() if v is not None], skipped) is not None:
                changed = {k: v for k, v in changed.items() if len(k) <= KEY_MAX}  # never held: as if absent
            labels[lab], o2n = _patch_label(Label(lab), labels[lab], changed)
            if o2n is not None:
                remap[lab] = o2n
        groups: dict[tuple[str, str, str], list[tuple[str, str, dict[str, Any] | None]]] = {}
        for (t, sl, sk, dl, dk), props in changes.rels.items():
            groups.setdefault((t, sl, dl), []).append((sk, dk, props))
        adj = dict(self.adj)
        for k in set(groups) | {k for k in adj if k[1] in remap or k[2] in remap}:
            if k[1] not in labels or k[2] not in labels:
                continue
            m = _patch_adjacency(adj.get(k), labels[k[1]].keys, labels[k[2]].keys,
                                 remap.get(k[1]), remap.get(k[2]), groups.get(k, []))
            if m.nnz:
                adj[k] = m
            else:
                adj.pop(k, None)
        snap = Snapshot(self.store_id, changes.version, labels, adj, time.perf_counter() - t0, skipped=skipped)
        log.info("snapshot patched: version %s → %s (%d keys) in %.3fs", self.version, changes.version,
                 len(changes), snap.built_seconds)
        return snap

    # ----------------------------------------------------------------- persistence
    def save(self, path: str) -> None:
        arrays: dict[str, np.ndarray] = {
            "meta": np.asarray([self.store_id, str(self.version), str(self.built_seconds)]),
        }
        if self.skipped:
            arrays["skipped"] = np.asarray(["\x1f".join(x) for x in self.skipped])

        def text(name: str, a: np.ndarray) -> None:
            if a.dtype != object:
                arrays[name] = a
                return
            joined = _join_text(a)
            if joined is None:  # (no separator free: fixed width after all)
                arrays[name] = np.asarray(a.tolist(), dtype=str)
            else:
                arrays[name], arrays[f"{name}|sep"] = joined[0], np.asarray([joined[1]])

        for lab, la in self.labels.items():
            arrays[f"L|{lab}|keys"] = la.keys
            text(f"L|{lab}|names", la.names)
            for f, a in la.num.items():
                arrays[f"N|{lab}|{f}"] = a
            for f, (codes, vocab) in la.cat.items():
                arrays[f"C|{lab}|{f}|codes"] = codes
                text(f"C|{lab}|{f}|vocab", vocab)
            for f, (m, vocab) in la.lists.items():
                _put_csr(arrays, f"M|{lab}|{f}", m)
                text(f"M|{lab}|{f}|vocab", vocab)
        for (t, s, d), m in self.adj.items():
            _put_csr(arrays, f"A|{t}|{s}|{d}", m)
        tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            with open(tmp, "wb") as fh:
                np.savez(fh, **arrays)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)

    @classmethod
    def load(cls, path: str) -> "Snapshot":
        z = np.load(path, allow_pickle=False)
        meta = z["meta"]
        labels: dict[str, LabelArrays] = {}
        adj: dict[tuple[str, str, str], sp.csr_matrix] = {}
        names = z.files
        present = set(names)

        def text(name: str) -> np.ndarray:
            a = z[name]
            if f"{name}|sep" not in present:
                return a
            vals = str(a[0]).split(str(z[f"{name}|sep"][0]))
            out = np.empty(len(vals), dtype=object)
            out[:] = vals
            return out

        for n in names:
            parts = n.split("|")
            if parts[0] == "L" and parts[2] == "keys":
                labels[parts[1]] = LabelArrays(keys=z[n], names=text(f"L|{parts[1]}|names"))
        for n in names:
            parts = n.split("|")
            if parts[0] == "N":
                labels[parts[1]].num[parts[2]] = z[n]
            elif parts[0] == "C" and parts[3] == "codes":
                labels[parts[1]].cat[parts[2]] = (z[n], text(f"C|{parts[1]}|{parts[2]}|vocab"))
            elif parts[0] == "M" and parts[3] == "data":
                m = _get_csr(z, f"M|{parts[1]}|{parts[2]}")
                labels[parts[1]].lists[parts[2]] = (m, text(f"M|{parts[1]}|{parts[2]}|vocab"))
            elif parts[0] == "A" and parts[4] == "data":
                adj[(parts[1], parts[2], parts[3])] = _get_csr(z, f"A|{parts[1]}|{parts[2]}|{parts[3]}")
        skipped = [tuple(str(x).split("\x1f", 3)) for x in z["skipped"]] if "skipped" in present else []
        return cls(str(meta[0]), int(meta[1]), labels, adj, float(meta[2]), skipped=skipped)  # type: ignore[arg-type]


def _put_csr(arrays: dict[str, np.ndarray], prefix: str, m: sp.csr_matrix) -> None:
    arrays[f"{prefix}|data"] = m.data
    arrays[f"{prefix}|indices"] = m.indices
    arrays[f"{prefix}|indptr"] = m.indptr
    arrays[f"{prefix}|shape"] = np.asarray(m.shape, dtype=np.int64)


def _get_csr(z: Any, prefix: str) -> sp.csr_matrix:
    shape = tuple(int(x) for x in z[f"{prefix}|shape"])
    return sp.csr_matrix((z[f"{prefix}|data"], z[f"{prefix}|indices"], z[f"{prefix}|indptr"]), shape=shape)


# --------------------------------------------------------------------------------------------- full build
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
        la.lists[f] = _list_column(cols.lists[f], n)
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


# ---------------------------------------------------------------------------------------- incremental
def _patch_label(lab: Label, la: LabelArrays, changed: dict[str, dict[str, Any] | None]
                 ) -> tuple[LabelArrays, np.ndarray | None]:
    """The label's arrays with `changed` applied, and old index → new index (-1 = deleted), or None when no
    node came or went (indices unchanged)."""
    ck = sorted(changed)
    ck_arr = _str_array(ck)
    old_keys = la.keys
    n_old = len(old_keys)
    pos = positions(old_keys, ck_arr)
    present = np.fromiter((changed[k] is not None for k in ck), dtype=bool, count=len(ck))
    gone = pos[(pos >= 0) & ~present]
    new_keys = ck_arr[(pos < 0) & present]
    rewritten_old = pos[(pos >= 0) & present]  # rows whose values are replaced
    o2n: np.ndarray | None = None
    keep: np.ndarray | None = None
    ins = np.zeros(0, dtype=np.int64)
    if gone.size or new_keys.size:
        keep = np.ones(n_old, dtype=bool)
        keep[gone] = False
        kept = old_keys[keep].astype(_widest(old_keys, new_keys), copy=False)
        ins = np.searchsorted(kept, new_keys)
        keys = np.insert(kept, ins, new_keys)
        j = np.arange(len(kept))
        o2n = np.full(n_old, -1, dtype=np.int64)
        o2n[keep] = j + np.searchsorted(ins, j, side="right")
    else:
        keys = old_keys
    n = len(keys)
    live_keys = ck_arr[present]
    rows = positions(keys, live_keys)
    props = [changed[k] for k in ck if changed[k] is not None]
    cols = _Columns(lab)
    cols.add_props(props)

    def carry(old: np.ndarray, dtype: Any, fill: Any) -> np.ndarray:
        """`old` at the new positions (a fresh array; `fill` where a node came in)."""
        old = old.astype(dtype, copy=False)
        if o2n is None:
            return old.copy()
        if gone.size:
            old = old[keep]
        return np.insert(old, ins, fill) if ins.size else (old.copy() if not gone.size else old)

    new_names = _text_array(cols.names)
    if la.names.dtype == object or new_names.dtype == object:
        names = carry(la.names, object, "")
    else:  # stays fixed-width while that is cheap (see _text_array)
        wide = _widest(la.names, new_names)
        grows = wide.itemsize > la.names.dtype.itemsize
        names = carry(la.names, wide if not grows or _fixed_width_fits(n, wide.itemsize // 4, n * 8) else object, "")
    names[rows] = new_names
    if names.dtype == object and _fixed_width_fits(n, max(map(len, names.tolist()), default=1),
                                                  sum(map(len, names.tolist()))):
        names = _text_array(names.tolist())  # the long name left again: back to fixed width
    out = LabelArrays(keys=keys, names=names)
    for f, old in la.num.items():
        a = carry(old, np.float64, np.nan)
        if props and f in cols.num:
            a[rows] = cols.num_array(f)
        out.num[f] = a
    for f, (codes, vocab) in la.cat.items():
        out.cat[f] = _patch_cat(carry(codes, np.int32, -1), vocab, rows, cols.cat.get(f, [None] * len(rows)))
    for f, (m, vocab) in la.lists.items():
        out.lists[f] = _patch_lists(m, vocab, o2n, rewritten_old, rows, cols.lists.get(f, [[]] * len(rows)), n)
    return out, o2n


def _patch_cat(codes: np.ndarray, vocab: np.ndarray, rows: np.ndarray, values: list[Any]
               ) -> tuple[np.ndarray, np.ndarray]:
    """Codes with rows set to values; vocabulary = the sorted set of values in use (as a full build has it)."""
    old_vocab = vocab.tolist()
    merged = sorted(set(old_vocab) | {str(v) for v in values if v is not None})
    at = {v: i for i, v in enumerate(merged)}
    old_to_merged = np.asarray([at[v] for v in old_vocab], dtype=np.int32)
    out = np.where(codes >= 0, old_to_merged[np.maximum(codes, 0)] if len(old_vocab) else -1, -1).astype(np.int32)
    out[rows] = np.asarray([-1 if v is None else at[str(v)] for v in values], dtype=np.int32)
    used = np.bincount(out[out >= 0], minlength=len(merged)) > 0
    if not used.all():
        compact = np.cumsum(used) - 1
        out = np.where(out >= 0, compact[np.maximum(out, 0)], -1).astype(np.int32)
        merged = [v for v, u in zip(merged, used) if u]
    return out, _text_array(merged)


def _patch_lists(m: sp.csr_matrix, vocab: np.ndarray, o2n: np.ndarray | None, rewritten_old: np.ndarray,
                 rows: np.ndarray, values: list[list[Any]], n: int) -> tuple[sp.csr_matrix, np.ndarray]:
    old_vocab = vocab.tolist()
    merged = sorted(set(old_vocab) | {str(v) for vs in values for v in vs})
    at = {v: i for i, v in enumerate(merged)}
    old_to_merged = np.asarray([at[v] for v in old_vocab], dtype=np.int64)
    r = np.repeat(np.arange(m.shape[0], dtype=np.int64), np.diff(m.indptr))
    c = old_to_merged[m.indices] if m.nnz else np.zeros(0, dtype=np.int64)
    drop = np.zeros(m.shape[0], dtype=bool)
    drop[rewritten_old] = True
    if o2n is not None:
        drop |= o2n < 0
    keep = ~drop[r]
    r, c = r[keep], c[keep]
    if o2n is not None:
        r = o2n[r]
    lengths = np.fromiter((len(vs) for vs in values), dtype=np.int64, count=len(values))
    r = np.concatenate([r, np.repeat(rows, lengths)])
    c = np.concatenate([c, np.fromiter((at[str(v)] for vs in values for v in vs), dtype=np.int64,
                                       count=int(lengths.sum()))])
    used = np.bincount(c, minlength=len(merged)) > 0
    if not used.all():
        compact = np.cumsum(used) - 1
        c = compact[c]
        merged = [v for v, u in zip(merged, used) if u]
    return _multi_hot(r, c, (n, len(merged))), _text_array(merged)


def _remap_csr(m: sp.csr_matrix, shape: tuple[int, int], src_map: np.ndarray | None,
               dst_map: np.ndarray | None) -> sp.csr_matrix:
    """m with rows and columns moved by old → new index maps (-1 = gone). The maps keep order (keys stay sorted),
    so the result is canonical CSR without sorting: one pass over the entries."""
    rows = np.repeat(np.arange(m.shape[0], dtype=np.int64), np.diff(m.indptr))
    cols = m.indices.astype(np.int64)
    if src_map is not None:
        rows = src_map[rows]
    if dst_map is not None:
        cols = dst_map[cols]
    keep = (rows >= 0) & (cols >= 0)
    if not keep.all():
        rows, cols, data = rows[keep], cols[keep], m.data[keep]
    else:
        data = m.data
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
    return sp.csr_matrix((data, cols.astype(np.int32), indptr), shape=shape)


def _patch_adjacency(m: sp.csr_matrix | None, src_keys: np.ndarray, dst_keys: np.ndarray,
                     src_map: np.ndarray | None, dst_map: np.ndarray | None,
                     changed: list[tuple[str, str, dict[str, Any] | None]]) -> sp.csr_matrix:
    """One adjacency matrix with node indices remapped and the changed relations replaced by their state now."""
    shape = (len(src_keys), len(dst_keys))
    if m is None:
        m = sp.csr_matrix(shape, dtype=np.float32)
    elif src_map is not None or dst_map is not None:
        m = _remap_csr(m, shape, src_map, dst_map)
    if not changed:
        return m
    n_d = shape[1]
    cs = positions(src_keys, _str_array([x[0] for x in changed]))
    cd = positions(dst_keys, _str_array([x[1] for x in changed]))
    both = (cs >= 0) & (cd >= 0)
    live = both & np.fromiter((p is not None for _, _, p in changed), dtype=bool, count=len(changed))
    add_w = np.asarray([_weight(p) for (_, _, p), ok in zip(changed, live) if ok],
                       dtype=np.float32)
    # only the rows of the changed relations' sources are touched: rebuild those rows, share the rest
    touched = np.unique(cs[both])
    r = np.repeat(np.arange(shape[0], dtype=np.int64), np.diff(m.indptr))
    c = m.indices.astype(np.int64)
    w = m.data
    keep = ~np.isin(r * n_d + c, cs[both] * n_d + cd[both]) if touched.size else np.ones(len(r), dtype=bool)
    r = np.concatenate([r[keep], cs[live]])
    c = np.concatenate([c[keep], cd[live]])
    w = np.concatenate([w[keep], add_w])
    out = sp.csr_matrix((w.astype(np.float32), (r, c)), shape=shape, dtype=np.float32)
    out.sum_duplicates()
    return out


_CACHE_FILE = re.compile(r"^snapshot-(?P<store>[0-9A-Za-z_-]+)-v(?P<version>\d+)\.npz$")


_SAVING: "weakref.WeakSet[SnapshotCache]" = weakref.WeakSet()


@atexit.register
def _flush_at_exit() -> None:
    """A process that ends right after a patch still leaves the patched snapshot on disk."""
    for cache in list(_SAVING):
        cache.flush(timeout=60)


class SnapshotCache:
    """Keeps the current snapshot of a store: patched (or, when the store cannot say what changed, rebuilt) when
    the store's version moves on; the newest one is kept on disk for the next start.

    `max_patch`: above this many changed keys a full rebuild is cheaper than patching. `background_save`: write a
    patched snapshot's .npz in a background thread so a request after a write waits only for the patch
    (`flush()` waits for it; so does interpreter exit). A full build is saved before get() returns.
    """

    def __init__(self, store: GraphStore, cache_dir: str | None, *, max_patch: int = 50_000,
                 background_save: bool = True):
        self.store = store
        self.cache_dir = cache_dir
        self.max_patch = max_patch
        self.background_save = background_save
        self.last_refresh: str | None = None  # "loaded", "patched", "built": how the current snapshot was made
        self._snap: Snapshot | None = None
        self._lock = threading.Lock()
        self._save_cv = threading.Condition()
        self._pending: Snapshot | None = None
        self._saver: threading.Thread | None = None

    def _path(self, store_id: str, version: int) -> str | None:
        if not self.cache_dir:
            return None
        return os.path.join(self.cache_dir, f"snapshot-{store_id}-v{version}.npz")

    @property
    def current(self) -> Snapshot | None:
        """The snapshot last handed out (no refresh, no build), or None before the first get()."""
        return self._snap

    def get(self) -> Snapshot:
        version = self.store.version()
        snap = self._snap
        if snap is not None and snap.version == version:
            return snap
        with self._lock:
            snap = self._snap
            if snap is not None and snap.version == version:
                return snap
            store_id = self.store.store_id()
            how = "patched"
            if snap is None or snap.store_id != store_id:
                snap, how = self._load_newest(store_id, version), "loaded"
            if snap is not None and snap.version != version:
                changes = self.store.changes_since(snap.version, max_items=self.max_patch)
                snap, how = (None, how) if changes is None else (snap.apply(changes), "patched")
            if snap is None:
                snap, how = Snapshot.build(self.store), "built"
            self._snap = snap
            self.last_refresh = how
            path = self._path(store_id, snap.version)
            if path and not os.path.exists(path):
                # after a full build the file is written before returning (a one-shot CLI run leaves it for the
                # next); a patch, which follows a write in a running service, is saved in the background
                self._save(snap, background=self.background_save and how == "patched")
            return snap

    def _load_newest(self, store_id: str, version: int) -> Snapshot | None:
        """The newest cached snapshot of this store not newer than `version` (a newer one belongs to another
        history of the store file); unreadable files are skipped."""
        if not self.cache_dir or not os.path.isdir(self.cache_dir):
            return None
        found = []
        for f in os.listdir(self.cache_dir):
            m = _CACHE_FILE.match(f)
            if m and m["store"] == store_id and int(m["version"]) <= version:
                found.append((int(m["version"]), os.path.join(self.cache_dir, f)))
        for _, path in sorted(found, reverse=True):
            try:
                snap = Snapshot.load(path)
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:  # torn or old format
                log.warning("snapshot cache %s unreadable (%s); ignoring it", path, e)
                continue
            if snap.store_id == store_id and snap.version <= version:
                return snap
        return None

    # ----------------------------------------------------------------- saving
    def _save(self, snap: Snapshot, *, background: bool) -> None:
        if not background:
            self.flush()
            self._write(snap)
            return
        with self._save_cv:
            self._pending = snap  # only the newest one matters
            if self._saver is None or not self._saver.is_alive():  # (not alive: this is a forked child)
                self._saver = threading.Thread(target=self._save_loop, name="snapshot-save", daemon=True)
                self._saver.start()
                _SAVING.add(self)

    def _save_loop(self) -> None:
        while True:
            with self._save_cv:
                snap = self._pending
                self._pending = None
                if snap is None:
                    self._saver = None
                    self._save_cv.notify_all()
                    return
            try:
                self._write(snap)
            except Exception:  # the saver must outlive a bad save (flush() waits for it)
                log.exception("snapshot v%s not saved", snap.version)

    def _write(self, snap: Snapshot) -> None:
        path = self._path(snap.store_id, snap.version)
        if not path:
            return
        try:
            os.makedirs(self.cache_dir, exist_ok=True)  # type: ignore[arg-type]
            snap.save(path)
            self._prune(keep=path)
        except OSError as e:  # a full disk costs the next start a rebuild, not this request
            log.warning("snapshot cache %s not written: %s", path, e)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until the newest snapshot is on disk; False if it is not after `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._save_cv:
            while self._saver is not None and self._saver.is_alive():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._save_cv.wait(left)
        return True

    def _prune(self, keep: str) -> None:
        assert self.cache_dir
        for f in os.listdir(self.cache_dir):
            p = os.path.join(self.cache_dir, f)
            if f.startswith("snapshot-") and f.endswith(".npz") and p != keep:
                try:
                    os.remove(p)
                except OSError:
                    pass
