"""The Snapshot object: one immutable, compact, array view of the whole ChainMatch graph at (store_id, version).

Matching code (chains, targets, land, incentives, pipeline) reads only this, never a store backend: per label the
sorted key array (key → index by binary search), names and feature columns (graph/snapshot/columns.py); per
relation type and label pair a CSR adjacency matrix (rows = source index, cols = target index, data = the relation's
`weight` or 1). `build` reads a store in full (build.py), `apply` patches a copy from a change set (patch.py),
`save`/`load` go through one .npz (disk.py).
"""
from __future__ import annotations

import logging
import time
from typing import Any, Iterable, Sequence

import numpy as np
import scipy.sparse as sp

from graph.schema import KEY_MAX, Label
from graph.snapshot.build import _build_adjacency, _build_label, _digest, _holdable
from graph.snapshot.columns import LabelArrays, _str_array
from graph.snapshot.disk import load_npz, save_npz
from graph.snapshot.patch import _patch_adjacency, _patch_label
from graph.store import ChangeSet, GraphStore, positions

log = logging.getLogger("graph.snapshot")


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
        save_npz(self, path)

    @classmethod
    def load(cls, path: str) -> "Snapshot":
        return cls(*load_npz(path))
