"""The ChainMatch analytic snapshot on disk: one uncompressed .npz of plain arrays (no pickled objects), so a
restarted service loads it and patches it up to the store's version instead of rebuilding (SnapshotCache).

Object arrays of text are stored as one joined string with a separator no valid text holds.
"""
from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from graph.snapshot.columns import LabelArrays, columns_fingerprint

if TYPE_CHECKING:
    from graph.snapshot.snapshot import Snapshot


def _join_text(a: np.ndarray) -> tuple[np.ndarray, str] | None:
    """An object array of text as one string and its separator (for the .npz cache, which holds no objects)."""
    vals = a.tolist()
    for sep in _SEPARATORS:
        joined = sep.join(vals)
        if joined.count(sep) == len(vals) - 1:
            return np.asarray([joined]), sep
    return None


_SEPARATORS = ("\x1f", "\x1e", "\ufdd0", "\ufdd1")  # control characters and non-characters no valid text holds


def save_npz(snap: "Snapshot", path: str) -> None:
    """Write the snapshot to `path` atomically (a temporary file, then a rename)."""
    arrays: dict[str, np.ndarray] = {
        "meta": np.asarray([snap.store_id, str(snap.version), str(snap.built_seconds), columns_fingerprint()]),
    }
    if snap.skipped:
        arrays["skipped"] = np.asarray(["\x1f".join(x) for x in snap.skipped])

    def text(name: str, a: np.ndarray) -> None:
        if a.dtype != object:
            arrays[name] = a
            return
        joined = _join_text(a)
        if joined is None:  # (no separator free: fixed width after all)
            arrays[name] = np.asarray(a.tolist(), dtype=str)
        else:
            arrays[name], arrays[f"{name}|sep"] = joined[0], np.asarray([joined[1]])

    for lab, la in snap.labels.items():
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
    for (t, s, d), m in snap.adj.items():
        _put_csr(arrays, f"A|{t}|{s}|{d}", m)
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load_npz(path: str) -> tuple[str, int, dict[str, LabelArrays], dict[tuple[str, str, str], sp.csr_matrix], float, list]:
    """The parts of a snapshot saved by save_npz: (store_id, version, labels, adj, built_seconds, skipped)."""
    z = np.load(path, allow_pickle=False)
    meta = z["meta"]
    if len(meta) < 4 or str(meta[3]) != columns_fingerprint():
        raise ValueError("saved under another schema (its columns differ): rebuild")
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
    return str(meta[0]), int(meta[1]), labels, adj, float(meta[2]), skipped  # type: ignore[return-value]


def _put_csr(arrays: dict[str, np.ndarray], prefix: str, m: sp.csr_matrix) -> None:
    arrays[f"{prefix}|data"] = m.data
    arrays[f"{prefix}|indices"] = m.indices
    arrays[f"{prefix}|indptr"] = m.indptr
    arrays[f"{prefix}|shape"] = np.asarray(m.shape, dtype=np.int64)


def _get_csr(z: Any, prefix: str) -> sp.csr_matrix:
    shape = tuple(int(x) for x in z[f"{prefix}|shape"])
    return sp.csr_matrix((z[f"{prefix}|data"], z[f"{prefix}|indices"], z[f"{prefix}|indptr"]), shape=shape)
