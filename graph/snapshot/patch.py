"""Patching a ChainMatch analytic snapshot from a store's change log: only the touched rows are re-read; arrays
are carried over by index arithmetic (old index → new index maps, -1 = deleted), vocabularies re-derived as a full
build would have them, and adjacency matrices rebuilt only in the rows of the changed relations' sources.
Snapshot.apply (graph/snapshot/snapshot.py) drives it; tests/graph/test_snapshot.py checks the result equals a
full build, array for array.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from graph.schema import Label
from graph.snapshot.columns import (
    LabelArrays, _Columns, _fixed_width_fits, _multi_hot, _str_array, _text_array, _widest,
)
from graph.store import positions, rel_weight


def _weight(props: dict[str, Any] | None) -> float:
    """A patched edge's value, as a build gives it from the store's weight column: the weight if positive, else 1."""
    w = rel_weight(props)
    return float(w) if w is not None and w > 0 else 1.0


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
        out.lists[f] = _patch_lists(m, vocab, o2n, rewritten_old, rows, cols.lists.get(f, [[]] * len(rows)), n,
                                     counted=f in cols.counted)
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
                 rows: np.ndarray, values: list[list[Any]], n: int, *, counted: bool = False
                 ) -> tuple[sp.csr_matrix, np.ndarray]:
    """A list column with rows set to values (a record list keeps each old row's counts, see _multi_hot)."""
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
    r, c, w = r[keep], c[keep], m.data[keep]
    if o2n is not None:
        r = o2n[r]
    lengths = np.fromiter((len(vs) for vs in values), dtype=np.int64, count=len(values))
    r = np.concatenate([r, np.repeat(rows, lengths)])
    c = np.concatenate([c, np.fromiter((at[str(v)] for vs in values for v in vs), dtype=np.int64,
                                       count=int(lengths.sum()))])
    w = np.concatenate([w, np.ones(int(lengths.sum()), dtype=np.float32)])
    used = np.bincount(c, minlength=len(merged)) > 0
    if not used.all():
        compact = np.cumsum(used) - 1
        c = compact[c]
        merged = [v for v, u in zip(merged, used) if u]
    return _multi_hot(r, c, (n, len(merged)), counted=counted, weights=w), _text_array(merged)


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
