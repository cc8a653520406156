"""The per-label arrays of the ChainMatch analytic snapshot and how model fields become them.

Per label: the sorted key array, names, numeric feature columns (float64, NaN = unknown), categorical columns (int32
codes with a vocabulary, -1 = unknown) and list columns (multi-hot CSR with a vocabulary). Which fields are which
follows from the pydantic models of graph/schema (`feature_fields`); long free text stays out of the snapshot.
A list of dated records (a firm's financing rounds, branches … — `list[LogEntry]`, `counted_fields`) keeps how
many times each entry is listed as the CSR value: two identical A轮 rounds are two rounds, where a tag listed twice
is still one tag (value 1).
Text arrays are fixed-width while that is cheap, object arrays otherwise (`_text_array`).
"""
from __future__ import annotations

import sys
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import scipy.sparse as sp

from graph.schema import MODELS, Label, LogEntry

# Text fields kept out of the snapshot (long, free text); the recommender reads them from the store when fitting.
# free text and logs: matching never compares them (the project library reads stage_history/tracking_log from the store)
_SKIP = {"key", "name", "source", "description", "business_scope", "summary", "uscc", "doc_no",
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


def columns_fingerprint() -> str:
    """A short hash of which columns (label, field, kind) a snapshot holds under the current schema: a cached
    snapshot saved under another schema (a field added since, a record list that now keeps counts) is not loaded
    but rebuilt."""
    import hashlib

    spec = sorted((lab.value, name, "records" if name in counted_fields(lab) else kind)
                  for lab in Label for name, kind in feature_fields(lab).items())
    return hashlib.sha256(repr(spec).encode()).hexdigest()[:16]


def counted_fields(label: Label) -> frozenset[str]:
    """The list fields of `label` that hold dated records (`list[LogEntry]`, e.g. a firm's financing rounds): their
    list column counts repeated entries (an entry listed twice has value 2) instead of marking membership."""
    return frozenset(name for name, f in MODELS[label].model_fields.items()
                     if name not in _SKIP and typing.get_origin(f.annotation) is list
                     and typing.get_args(f.annotation)[:1] == (LogEntry,))


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


def _widest(a: np.ndarray, b: np.ndarray) -> np.dtype:
    return a.dtype if a.dtype.itemsize >= b.dtype.itemsize else b.dtype


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
        self.counted = counted_fields(lab)
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


def _multi_hot(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int], *, counted: bool = False,
               weights: np.ndarray | None = None) -> sp.csr_matrix:
    """Rows × vocabulary. Membership (1) for a plain list — a value listed twice is still one membership; for a
    record list (`counted`) the number of times the entry is listed (`weights`: what each (row, col) pair adds,
    default 1)."""
    data = np.ones(len(rows), np.float32) if weights is None else weights.astype(np.float32, copy=False)
    m = sp.csr_matrix((data, (rows, cols)), shape=shape)
    m.sum_duplicates()
    if not counted:
        m.data[:] = 1
    return m


def _list_column(values: list[list[Any]], n: int, *, counted: bool = False) -> tuple[sp.csr_matrix, np.ndarray]:
    vocab = sorted({str(v) for vs in values for v in vs})
    pos = {v: i for i, v in enumerate(vocab)}
    lengths = np.fromiter((len(vs) for vs in values), dtype=np.int64, count=len(values))
    rows = np.repeat(np.arange(len(values), dtype=np.int64), lengths)
    cols = np.fromiter((pos[str(v)] for vs in values for v in vs), dtype=np.int64, count=int(lengths.sum()))
    return _multi_hot(rows, cols, (n, len(vocab)), counted=counted), _text_array(vocab)
