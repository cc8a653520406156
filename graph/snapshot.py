"""The in-memory analytic snapshot: compact numpy/scipy arrays built once from any store.

Matching reads only this, never a backend. Per label: the sorted key array (key → index by binary search, no
million-entry dict), names, numeric feature columns (float64, NaN = unknown), categorical columns (int32 codes
with a vocabulary, -1 = unknown) and list columns (multi-hot CSR with a vocabulary). Per relation type and
label pair: a CSR adjacency matrix (rows = source index, cols = target index, data = the relation's `weight`
or 1).

A snapshot is tied to (store_id, version). `SnapshotCache` rebuilds when the store's version moves on and keeps
the arrays on disk (one uncompressed .npz) so a restarted service starts in about a second.
"""
from __future__ import annotations

import logging
import os
import threading
import time
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import scipy.sparse as sp

from graph.schema import MODELS, RELATIONS, Label
from graph.store import GraphStore

log = logging.getLogger(__name__)

# Text fields kept out of the snapshot (long, free text); the recommender reads them from the store when fitting.
_SKIP = {"key", "name", "source", "description", "business_scope", "summary", "uscc", "stock_code", "doc_no"}


def _kind(annotation: Any) -> str | None:
    """'num', 'cat', 'list' or None for a model field annotation."""
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
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


class Snapshot:
    def __init__(self, store_id: str, version: int, labels: dict[str, LabelArrays],
                 adj: dict[tuple[str, str, str], sp.csr_matrix], built_seconds: float = 0.0):
        self.store_id = store_id
        self.version = version
        self.labels = labels
        self.adj = adj
        self.built_seconds = built_seconds

    # ----------------------------------------------------------------- lookups
    def n(self, label: str) -> int:
        return len(self.labels[label]) if label in self.labels else 0

    def keys(self, label: str) -> np.ndarray:
        return self.labels[label].keys

    def index_of(self, label: str, keys: str | Iterable[str]) -> np.ndarray | int:
        """Indices of keys (-1 where unknown). A single key gives an int."""
        arr = self.labels[label].keys
        single = isinstance(keys, str)
        q = np.asarray([keys] if single else list(keys), dtype=arr.dtype if arr.size else str)
        if arr.size == 0:
            res = np.full(len(q), -1, dtype=np.int64)
        else:
            pos = np.searchsorted(arr, q)
            pos_c = np.minimum(pos, len(arr) - 1)
            res = np.where(arr[pos_c] == q, pos_c, -1).astype(np.int64)
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
        t0 = time.perf_counter()
        version = store.version()
        store_id = store.store_id()
        labels: dict[str, LabelArrays] = {}
        for lab in Label:
            labels[lab.value] = _build_label(store, lab)
        index: dict[str, dict[str, int]] = {}
        rows: dict[tuple[str, str, str], tuple[list[int], list[int], list[float]]] = {}
        for rel in store.iter_relations():
            si = index.get(rel.src_label)
            if si is None:
                si = index[rel.src_label] = {k: i for i, k in enumerate(labels[rel.src_label].keys.tolist())}
            di = index.get(rel.dst_label)
            if di is None:
                di = index[rel.dst_label] = {k: i for i, k in enumerate(labels[rel.dst_label].keys.tolist())}
            s = si.get(rel.src_key)
            d = di.get(rel.dst_key)
            if s is None or d is None:
                continue  # a dangling relation can only come from a concurrent write; the next build sees it whole
            bucket = rows.setdefault((rel.type, rel.src_label, rel.dst_label), ([], [], []))
            bucket[0].append(s)
            bucket[1].append(d)
            w = rel.props.get("weight") if rel.props else None
            bucket[2].append(float(w) if isinstance(w, (int, float)) and w > 0 else 1.0)
        adj = {}
        for k, (r, c, w) in rows.items():
            shape = (len(labels[k[1]]), len(labels[k[2]]))
            m = sp.csr_matrix((np.asarray(w, np.float32), (np.asarray(r, np.int32), np.asarray(c, np.int32))), shape=shape)
            m.sum_duplicates()
            adj[k] = m
        snap = cls(store_id, version, labels, adj, time.perf_counter() - t0)
        log.info("snapshot built: version %s in %.2fs", version, snap.built_seconds)
        return snap

    # ----------------------------------------------------------------- persistence
    def save(self, path: str) -> None:
        arrays: dict[str, np.ndarray] = {
            "meta": np.asarray([self.store_id, str(self.version), str(self.built_seconds)]),
        }
        for lab, la in self.labels.items():
            arrays[f"L|{lab}|keys"] = la.keys
            arrays[f"L|{lab}|names"] = la.names
            for f, a in la.num.items():
                arrays[f"N|{lab}|{f}"] = a
            for f, (codes, vocab) in la.cat.items():
                arrays[f"C|{lab}|{f}|codes"] = codes
                arrays[f"C|{lab}|{f}|vocab"] = vocab
            for f, (m, vocab) in la.lists.items():
                _put_csr(arrays, f"M|{lab}|{f}", m)
                arrays[f"M|{lab}|{f}|vocab"] = vocab
        for (t, s, d), m in self.adj.items():
            _put_csr(arrays, f"A|{t}|{s}|{d}", m)
        tmp = path + ".tmp"
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str) -> "Snapshot":
        z = np.load(path, allow_pickle=False)
        meta = z["meta"]
        labels: dict[str, LabelArrays] = {}
        adj: dict[tuple[str, str, str], sp.csr_matrix] = {}
        names = z.files
        for n in names:
            parts = n.split("|")
            if parts[0] == "L" and parts[2] == "keys":
                labels[parts[1]] = LabelArrays(keys=z[n], names=z[f"L|{parts[1]}|names"])
        for n in names:
            parts = n.split("|")
            if parts[0] == "N":
                labels[parts[1]].num[parts[2]] = z[n]
            elif parts[0] == "C" and parts[3] == "codes":
                labels[parts[1]].cat[parts[2]] = (z[n], z[f"C|{parts[1]}|{parts[2]}|vocab"])
            elif parts[0] == "M" and parts[3] == "data":
                m = _get_csr(z, f"M|{parts[1]}|{parts[2]}")
                labels[parts[1]].lists[parts[2]] = (m, z[f"M|{parts[1]}|{parts[2]}|vocab"])
            elif parts[0] == "A" and parts[4] == "data":
                adj[(parts[1], parts[2], parts[3])] = _get_csr(z, f"A|{parts[1]}|{parts[2]}|{parts[3]}")
        return cls(str(meta[0]), int(meta[1]), labels, adj, float(meta[2]))


def _put_csr(arrays: dict[str, np.ndarray], prefix: str, m: sp.csr_matrix) -> None:
    arrays[f"{prefix}|data"] = m.data
    arrays[f"{prefix}|indices"] = m.indices
    arrays[f"{prefix}|indptr"] = m.indptr
    arrays[f"{prefix}|shape"] = np.asarray(m.shape, dtype=np.int64)


def _get_csr(z: Any, prefix: str) -> sp.csr_matrix:
    shape = tuple(int(x) for x in z[f"{prefix}|shape"])
    return sp.csr_matrix((z[f"{prefix}|data"], z[f"{prefix}|indices"], z[f"{prefix}|indptr"]), shape=shape)


def _build_label(store: GraphStore, lab: Label) -> LabelArrays:
    fields = feature_fields(lab)
    keys: list[str] = []
    names: list[str] = []
    num: dict[str, list[float]] = {f: [] for f, k in fields.items() if k == "num"}
    cat: dict[str, list[Any]] = {f: [] for f, k in fields.items() if k == "cat"}
    lst: dict[str, list[list[str]]] = {f: [] for f, k in fields.items() if k == "list"}
    nan = float("nan")
    for key, props in store.iter_nodes(lab.value):  # ordered by key
        keys.append(key)
        names.append(props.get("name", ""))
        for f, col in num.items():
            v = props.get(f)
            col.append(float(v) if isinstance(v, (int, float)) else nan)
        for f, col in cat.items():
            col.append(props.get(f))
        for f, col in lst.items():
            v = props.get(f)
            col.append(v if isinstance(v, list) else [])
    la = LabelArrays(keys=np.asarray(keys, dtype=str), names=np.asarray(names, dtype=str))
    for f, col in num.items():
        la.num[f] = np.asarray(col, dtype=np.float64)
    for f, col in cat.items():
        vocab = sorted({v for v in col if v is not None})
        pos = {v: i for i, v in enumerate(vocab)}
        la.cat[f] = (np.asarray([pos.get(v, -1) for v in col], dtype=np.int32), np.asarray(vocab, dtype=str))
    for f, col in lst.items():
        vocab = sorted({str(v) for vs in col for v in vs})
        pos = {v: i for i, v in enumerate(vocab)}
        indptr = np.zeros(len(col) + 1, dtype=np.int64)
        indices: list[int] = []
        for i, vs in enumerate(col):
            ix = sorted({pos[str(v)] for v in vs})
            indices.extend(ix)
            indptr[i + 1] = len(indices)
        m = sp.csr_matrix(
            (np.ones(len(indices), np.float32), np.asarray(indices, np.int32), indptr), shape=(len(col), len(vocab))
        )
        la.lists[f] = (m, np.asarray(vocab, dtype=str))
    return la


class SnapshotCache:
    """Keeps the current snapshot of a store: rebuilt when the store's version changes, cached on disk."""

    def __init__(self, store: GraphStore, cache_dir: str | None):
        self.store = store
        self.cache_dir = cache_dir
        self._snap: Snapshot | None = None
        self._lock = threading.Lock()

    def _path(self, store_id: str, version: int) -> str | None:
        if not self.cache_dir:
            return None
        return os.path.join(self.cache_dir, f"snapshot-{store_id}-v{version}.npz")

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
            path = self._path(store_id, version)
            if path and os.path.exists(path):
                try:
                    snap = Snapshot.load(path)
                except (OSError, ValueError, KeyError) as e:  # a torn or old-format cache is rebuilt
                    log.warning("snapshot cache %s unreadable (%s); rebuilding", path, e)
                    snap = None
            if snap is None or snap.version != version:
                snap = Snapshot.build(self.store)
                if path:
                    os.makedirs(self.cache_dir, exist_ok=True)  # type: ignore[arg-type]
                    snap.save(path)
                    self._prune(store_id, keep=path)
            self._snap = snap
            return snap

    def _prune(self, store_id: str, keep: str) -> None:
        assert self.cache_dir
        for f in os.listdir(self.cache_dir):
            p = os.path.join(self.cache_dir, f)
            if f.startswith("snapshot-") and f.endswith(".npz") and p != keep:
                try:
                    os.remove(p)
                except OSError:
                    pass
