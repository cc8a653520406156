"""The analytic snapshot: arrays match the store, cache by version, cold load equals build."""
from __future__ import annotations

import numpy as np

from conftest import USCC_A, USCC_B, USCC_C, tiny_graph_objects, tiny_graph_relations
from graph.snapshot import Snapshot, SnapshotCache
from graph.store import Batch, NodeRec
from graph.writer import write_objects


def _store(sqlite_store):
    write_objects(sqlite_store, tiny_graph_objects(), tiny_graph_relations())
    return sqlite_store


def test_arrays_reflect_the_graph(sqlite_store):
    snap = Snapshot.build(_store(sqlite_store))
    assert snap.n("Enterprise") == 3 and snap.n("Segment") == 4
    e = snap.index_of("Enterprise", [USCC_A, USCC_B, "missing"])
    assert e[2] == -1
    seg = snap.index_of("Segment", "ic.fab")
    m = snap.relation("IN_SEGMENT", "Enterprise", "Segment")
    assert m.shape == (3, 4) and m[e[1], seg] == np.float32(0.7)
    rev = snap.column("Enterprise", "revenue_wan")
    assert rev[snap.index_of("Enterprise", USCC_C)] == 1200
    tags, vocab = snap.multi_hot("Enterprise", "tags")
    assert tags[e[0], list(vocab).index("专精特新")] == 1
    codes, vocab = snap.categorical("Segment", "stream")
    assert vocab[codes[seg]] == "中游"
    # a relation type with no edges still has the right shape
    assert snap.relation("INVESTED_IN", "Fund", "Enterprise").shape == (0, 3)


def test_cache_rebuilds_on_write_and_loads_from_disk(sqlite_store, tmp_path):
    store = _store(sqlite_store)
    cache = SnapshotCache(store, str(tmp_path / "snaps"))
    s1 = cache.get()
    assert cache.get() is s1  # unchanged store: same object
    store.write(Batch(nodes=[NodeRec("IndustryChain", "nm", {"name": "新材料"})]))
    s2 = cache.get()
    assert s2.version == s1.version + 1 and s2.n("IndustryChain") == 2
    # a new process (fresh cache object) loads the file instead of rebuilding
    files = list((tmp_path / "snaps").glob("*.npz"))
    assert len(files) == 1
    cold = SnapshotCache(store, str(tmp_path / "snaps")).get()
    assert cold.version == s2.version and cold.built_seconds == s2.built_seconds
    a = s2.relation("SUPPLIES", "Enterprise", "Enterprise")
    b = cold.relation("SUPPLIES", "Enterprise", "Enterprise")
    assert (a != b).nnz == 0
    assert list(cold.keys("Segment")) == list(s2.keys("Segment"))
