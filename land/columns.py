"""土地超市 raw columns: parcels and projects as numpy columns, read from the analytic snapshot or from records.

The matcher's tables (land/tables.py) are built from one `Raw` whichever the source — the snapshot the API serves,
or validated records (CSV rows of `chainmatch land-assign`, an inline API project) — so the two cannot drift apart.
Numbers are float (NaN = unknown), text is str ("" = unknown), lists are multi-hot CSR rows over a vocabulary.
`Vocab` maps keys to codes (-1 = unknown); every per-code array has one pad element at the end (see `pad`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import scipy.sparse as sp

from graph.schema import LandParcel, Project
from graph.snapshot import Snapshot


class Vocab:
    """A sorted set of keys; `codes` maps keys to positions (-1 = unknown) by binary search."""

    def __init__(self, *groups: Iterable[str]):
        arrays = []
        for g in groups:
            a = g if isinstance(g, np.ndarray) else np.asarray([str(v) for v in g if v is not None], dtype=str)
            if a.size:
                arrays.append(a.astype(str, copy=False))
        if len(arrays) == 1 and _is_strictly_sorted(arrays[0]):
            keys = arrays[0]  # already a sorted key array (a snapshot's): no copy, and codes() of it is arange
        else:
            keys = np.unique(np.concatenate(arrays)) if arrays else np.asarray([], dtype=str)
        self.keys = keys[keys != ""] if keys.size and keys[0] == "" else keys

    def __len__(self) -> int:
        return len(self.keys)

    def codes(self, values: Any) -> np.ndarray:
        if values is self.keys:
            return np.arange(len(self.keys), dtype=np.int64)
        q = np.asarray(values, dtype=str).ravel()
        if len(self.keys) == 0 or q.size == 0:
            return np.full(q.size, -1, dtype=np.int64)
        pos = np.searchsorted(self.keys, q)
        pos_c = np.minimum(pos, len(self.keys) - 1)
        return np.where(self.keys[pos_c] == q, pos_c, -1).astype(np.int64)

    def code(self, value: str | None) -> int:
        return -1 if not value else int(self.codes([value])[0])


def _is_strictly_sorted(a: np.ndarray) -> bool:
    return a.ndim == 1 and (a.size < 2 or bool(np.all(a[1:] > a[:-1])))


def pad(arr: np.ndarray, value: Any) -> np.ndarray:
    """Append one pad element so that code -1 indexes it (numpy's arr[-1])."""
    return np.concatenate([arr, np.asarray([value], dtype=arr.dtype)])



def epoch_seconds(text: np.ndarray) -> np.ndarray:
    """Canonical UTC text (YYYY-MM-DDTHH:MM:SSZ) → seconds since 1970 (NaN when empty or unreadable)."""
    out = np.full(len(text), np.nan)
    if len(text) == 0:
        return out
    uniq, inv = np.unique(text, return_inverse=True)
    vals = np.full(len(uniq), np.nan)
    for i, t in enumerate(uniq):
        if t:
            try:
                vals[i] = dt.datetime.fromisoformat(str(t).replace("Z", "+00:00")).timestamp()
            except ValueError:
                pass
    return vals[inv]


def epoch_days(text: np.ndarray) -> np.ndarray:
    out = np.full(len(text), np.nan)
    if len(text) == 0:
        return out
    uniq, inv = np.unique(text, return_inverse=True)
    vals = np.full(len(uniq), np.nan)
    for i, t in enumerate(uniq):
        if t:
            try:
                vals[i] = float(dt.date.fromisoformat(str(t)[:10]).toordinal())
            except ValueError:
                pass
    return vals[inv]


# Raw columns: numbers (float, NaN = unknown), text (str, "" = unknown), lists (multi-hot CSR + vocabulary).
@dataclass
class Raw:
    n: int
    keys: np.ndarray
    names: np.ndarray
    num: dict[str, np.ndarray] = field(default_factory=dict)
    text: dict[str, np.ndarray] = field(default_factory=dict)
    lists: dict[str, tuple[sp.csr_matrix, np.ndarray]] = field(default_factory=dict)


def raw_from_snapshot(snap: Snapshot, label: str, num: Sequence[str], text: Sequence[str],
                       lists: Sequence[str]) -> Raw:
    la = snap.labels.get(label)
    if la is None:
        empty = np.asarray([], dtype=str)
        raw = Raw(0, empty, empty)
        n = 0
    else:
        n = len(la)
        raw = Raw(n, la.keys, la.names)
    for f in num:
        col = la.num.get(f) if la is not None else None
        raw.num[f] = col.astype(np.float64, copy=False) if col is not None else np.full(n, np.nan)
    for f in text:
        cat = la.cat.get(f) if la is not None else None
        if cat is None or len(cat[1]) == 0:
            raw.text[f] = np.full(n, "", dtype=str)
        else:
            codes, vocab = cat
            raw.text[f] = np.where(codes >= 0, vocab[np.maximum(codes, 0)], "")
    for f in lists:
        lst = la.lists.get(f) if la is not None else None
        if lst is None:
            raw.lists[f] = (sp.csr_matrix((n, 0), dtype=np.float32), np.asarray([], dtype=str))
        else:
            raw.lists[f] = lst
    return raw


def raw_from_records(records: Sequence[dict[str, Any]], num: Sequence[str], text: Sequence[str],
                      lists: Sequence[str]) -> Raw:
    n = len(records)
    raw = Raw(n, np.asarray([r.get("key", "") for r in records], dtype=str),
               np.asarray([r.get("name", "") or "" for r in records], dtype=str))
    for f in num:
        vals = []
        for r in records:
            v = r.get(f)
            vals.append(float(v) if isinstance(v, (int, float)) else np.nan)
        raw.num[f] = np.asarray(vals, dtype=np.float64)
    for f in text:
        raw.text[f] = np.asarray([str(r.get(f) or "") for r in records], dtype=str) if n else np.asarray([], str)
    for f in lists:
        vocab = sorted({str(v) for r in records for v in (r.get(f) or [])})
        pos = {v: i for i, v in enumerate(vocab)}
        indptr = [0]
        indices: list[int] = []
        for r in records:
            indices.extend(sorted({pos[str(v)] for v in (r.get(f) or [])}))
            indptr.append(len(indices))
        m = sp.csr_matrix((np.ones(len(indices), np.float32), np.asarray(indices, np.int64), np.asarray(indptr)),
                          shape=(n, len(vocab)))
        raw.lists[f] = (m, np.asarray(vocab, dtype=str))
    return raw


def records_of(objs: Sequence[LandParcel | Project | dict[str, Any]]) -> list[dict[str, Any]]:
    """Validated models (or stored props) as plain records. A project's land use counts only when it was given:
    未填则不限 — a CSV cell left empty or an API body without it takes any parcel, as a stored project without one
    does (the model's default 0601 is not the user's word)."""
    out = []
    for o in objs:
        if isinstance(o, dict):
            out.append(o)
            continue
        d = o.model_dump(mode="json")
        if isinstance(o, Project) and "land_use" not in o.model_fields_set:
            d["land_use"] = None
        out.append(d)
    return out


def list_to_dense(lst: tuple[sp.csr_matrix, np.ndarray], target: Vocab | Sequence[str]) -> np.ndarray:
    """Multi-hot rows over `lst`'s vocabulary → dense bool (n × len(target)+1); the last column (pad) is False.
    Values not in the target vocabulary are dropped (the row still counts as restricted: see `_any`)."""
    m, vocab = lst
    tv = target if isinstance(target, Vocab) else None
    width = len(tv) if tv is not None else len(target)
    codes = tv.codes(vocab) if tv is not None else np.asarray([list(target).index(v) if v in target else -1
                                                                for v in vocab.tolist()], dtype=np.int64)
    keep = codes >= 0
    sel = sp.csr_matrix((np.ones(int(keep.sum()), np.float32), (np.nonzero(keep)[0], codes[keep])),
                        shape=(len(vocab), width + 1))
    return np.asarray((m.astype(np.float32) @ sel).toarray() > 0)


def row_nonempty(lst: tuple[sp.csr_matrix, np.ndarray]) -> np.ndarray:
    m = lst[0]
    return np.diff(m.indptr) > 0

