"""The in-memory analytic snapshot of the ChainMatch graph: compact numpy/scipy arrays built from any store, kept
fresh by patching.

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

The package, by job: `columns` (per-label arrays, which model fields become which columns), `snapshot` (the
Snapshot object and its lookups), `build` (full build from a store), `patch` (patching from a change set),
`disk` (the .npz format), `cache` (SnapshotCache).
"""
from __future__ import annotations

from graph.snapshot.cache import SnapshotCache
from graph.snapshot.columns import LabelArrays, feature_fields
from graph.snapshot.snapshot import Snapshot

__all__ = ["LabelArrays", "Snapshot", "SnapshotCache", "feature_fields"]
