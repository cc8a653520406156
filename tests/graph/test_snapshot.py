"""The analytic snapshot: arrays match the store, a patched snapshot equals a full build, cache by version, a
restart loads the newest cached snapshot and patches it forward — on each backend (the Neo4j snapshot patches from
its change log too)."""
from __future__ import annotations

import importlib

import numpy as np
import pytest

from conftest import USCC_A, USCC_B, USCC_C, tiny_graph_objects, tiny_graph_relations
from graph.snapshot import Snapshot, SnapshotCache
from graph.store import Batch, NodeRec, RelRec
from graph.writer import write_objects


def _store(store):
    write_objects(store, tiny_graph_objects(), tiny_graph_relations())
    return store


def assert_same(a: Snapshot, b: Snapshot) -> None:
    """Two snapshots hold the same data, array for array."""
    assert (a.store_id, a.version) == (b.store_id, b.version)
    assert set(a.labels) == set(b.labels)
    for lab, la in a.labels.items():
        lb = b.labels[lab]
        assert la.keys.tolist() == lb.keys.tolist(), lab
        assert la.names.tolist() == lb.names.tolist(), lab
        assert set(la.num) == set(lb.num)
        for f in la.num:
            np.testing.assert_array_equal(la.num[f], lb.num[f], err_msg=f"{lab}.{f}")
        assert set(la.cat) == set(lb.cat)
        for f in la.cat:
            assert la.cat[f][1].tolist() == lb.cat[f][1].tolist(), f"{lab}.{f} vocabulary"
            np.testing.assert_array_equal(la.cat[f][0], lb.cat[f][0], err_msg=f"{lab}.{f}")
        assert set(la.lists) == set(lb.lists)
        for f in la.lists:
            assert la.lists[f][1].tolist() == lb.lists[f][1].tolist(), f"{lab}.{f} vocabulary"
            ma, mb = la.lists[f][0], lb.lists[f][0]
            assert ma.shape == mb.shape and (ma != mb).nnz == 0, f"{lab}.{f}"
    assert set(a.adj) == set(b.adj)
    for k, m in a.adj.items():
        assert m.shape == b.adj[k].shape and (m != b.adj[k]).nnz == 0, k


def test_arrays_reflect_the_graph(any_store):
    snap = Snapshot.build(_store(any_store))
    assert snap.n("Enterprise") == 3 and snap.n("Segment") == 4
    e = snap.index_of("Enterprise", [USCC_A, USCC_B, "missing"])
    assert e[2] == -1
    assert snap.index_of("Segment", "ic.fab.longer") == -1  # a longer key is not matched by its prefix
    seg = snap.index_of("Segment", "ic.fab")
    m = snap.relation("IN_SEGMENT", "Enterprise", "Segment")
    assert m.shape == (3, 4) and m[e[1], seg] == np.float32(0.7)
    assert snap.relation("SUPPLIES", "Enterprise", "Enterprise")[e[0], e[1]] == 1  # no weight: 1
    rev = snap.column("Enterprise", "revenue_wan")
    assert rev[snap.index_of("Enterprise", USCC_C)] == 1200
    tags, vocab = snap.multi_hot("Enterprise", "tags")
    assert tags[e[0], list(vocab).index("专精特新")] == 1
    codes, vocab = snap.categorical("Segment", "stream")
    assert vocab[codes[seg]] == "中游"
    # a relation type with no edges still has the right shape
    assert snap.relation("INVESTED_IN", "Fund", "Enterprise").shape == (0, 3)


def test_cache_patches_on_write_and_loads_from_disk(any_store, tmp_path):
    store = _store(any_store)
    cache = SnapshotCache(store, str(tmp_path / "snaps"))
    s1 = cache.get()
    assert cache.last_refresh == "built"
    assert cache.get() is s1  # unchanged store: same object
    store.write(Batch(nodes=[NodeRec("IndustryChain", "nm", {"name": "新材料"})]))
    s2 = cache.get()
    assert cache.last_refresh == "patched"
    assert s2.version == s1.version + 1 and s2.n("IndustryChain") == 2 and s1.n("IndustryChain") == 1
    assert cache.flush(timeout=30)
    # a new process (fresh cache object) loads the file instead of rebuilding
    files = list((tmp_path / "snaps").glob("*.npz"))
    assert [f.name for f in files] == [f"snapshot-{store.store_id()}-v{s2.version}.npz"]
    fresh = SnapshotCache(store, str(tmp_path / "snaps"))
    cold = fresh.get()
    assert fresh.last_refresh == "loaded"
    assert_same(cold, s2)


def _firm(key: str, name: str, **props) -> NodeRec:
    return NodeRec("Enterprise", key, {"name": name, "source": "测试（合成）", "synthetic": True, **props})


def test_patched_snapshot_equals_a_full_build(any_store, tmp_path):
    """Every kind of write — new keys before, between and after the others, updates that add and retire
    categorical and list values, deletions that detach relations, relation upserts and deletions — patched
    into the snapshot gives exactly what a full build of the store gives."""
    store = _store(any_store)
    cache = SnapshotCache(store, str(tmp_path / "snaps"), background_save=False)
    cache.get()
    writes = [
        Batch(nodes=[_firm("00000000000000000A", "最前（合成）", region="330800", size="小型", tags=["瞪羚"]),
                     _firm("ZZZZZZZZZZZZZZZZZZ", "最后（合成）", revenue_wan=3.5, tags=["瞪羚", "新标签"]),
                     _firm(USCC_A + "X", "夹在中间的长键（合成）", employees=12)],
              rels=[RelRec("SUPPLIES", "Enterprise", "00000000000000000A", "Enterprise", USCC_C, {"weight": 2.5}),
                    RelRec("IN_SEGMENT", "Enterprise", "ZZZZZZZZZZZZZZZZZZ", "Segment", "ic.app", {})]),
        # update: categorical value appears, tags replaced (上市 retires from the vocabulary), revenue unknown
        Batch(nodes=[_firm(USCC_B, "乙晶圆（合成）改名", region="440300", size="大型", tags=["小巨人"])]),
        # relation weight changes, one relation deleted
        Batch(rels=[RelRec("IN_SEGMENT", "Enterprise", USCC_B, "Segment", "ic.fab", {"weight": 0.3})],
              delete_rels=[("UPSTREAM_OF", "Segment", "ic.fab", "Segment", "ic.pkg")]),
        # deleting a firm detaches its relations (SUPPLIES A→B, IN_SEGMENT A)
        Batch(delete_nodes=[("Enterprise", USCC_A)]),
        # a segment added in the middle of the segment keys shifts every IN_SEGMENT column index
        Batch(nodes=[NodeRec("Segment", "ic.eda", {"name": "EDA 工具", "chain": "ic", "stream": "上游"})],
              rels=[RelRec("PART_OF", "Segment", "ic.eda", "IndustryChain", "ic", {}),
                    RelRec("IN_SEGMENT", "Enterprise", USCC_C, "Segment", "ic.eda", {"weight": 0.5})]),
        # delete and re-create in consecutive writes; the last holder of 瞪羚 loses it
        Batch(delete_nodes=[("Enterprise", "ZZZZZZZZZZZZZZZZZZ")]),
        Batch(nodes=[_firm("ZZZZZZZZZZZZZZZZZZ", "最后（合成）", tags=["新标签"])]),
        Batch(nodes=[_firm("00000000000000000A", "最前（合成）", region="330800", tags=[])]),
    ]
    for i, batch in enumerate(writes):
        store.write(batch)
        patched = cache.get()
        assert cache.last_refresh == "patched", i
        assert_same(patched, Snapshot.build(store))
    snap = cache.get()
    e = snap.index_of("Enterprise", ["00000000000000000A", USCC_C])
    assert snap.relation("SUPPLIES", "Enterprise", "Enterprise")[e[0], e[1]] == np.float32(2.5)
    assert snap.index_of("Enterprise", USCC_A) == -1


def test_restart_patches_the_cached_snapshot_forward(any_store, tmp_path):
    store = _store(any_store)
    SnapshotCache(store, str(tmp_path / "snaps"), background_save=False).get()  # cached at this version
    store.write(Batch(nodes=[_firm("91440300MA5FFFFF0X", "新设（合成）", region="440300")]))
    store.write(Batch(rels=[RelRec("SUPPLIES", "Enterprise", USCC_C, "Enterprise", USCC_B, {})]))
    cache = SnapshotCache(store, str(tmp_path / "snaps"), background_save=False)
    snap = cache.get()
    assert cache.last_refresh == "patched" and snap.version == store.version()
    assert_same(snap, Snapshot.build(store))
    assert len(list((tmp_path / "snaps").glob("*.npz"))) == 1  # the patched one replaced the old file


def test_a_write_too_big_to_itemise_rebuilds(any_store, tmp_path, monkeypatch):
    store = _store(any_store)
    cache = SnapshotCache(store, None)
    cache.get()
    monkeypatch.setattr(importlib.import_module(f"{type(store).__module__}.changelog"), "CHANGELOG_MAX_ITEMS", 2)
    store.write(Batch(nodes=[_firm(f"9111000000000000{i:02d}", f"批量{i}（合成）") for i in range(3)]))
    assert store.changes_since(store.version() - 1) is None
    snap = cache.get()
    assert cache.last_refresh == "built" and snap.n("Enterprise") == 6
    store.write(Batch(nodes=[_firm("911100000000000099", "单个（合成）")]))  # small again: patched
    assert cache.get().n("Enterprise") == 7 and cache.last_refresh == "patched"


def test_max_patch_falls_back_to_a_full_build(any_store):
    store = _store(any_store)
    cache = SnapshotCache(store, None, max_patch=2)
    cache.get()
    store.write(Batch(nodes=[_firm(f"9111000000000000{i:02d}", f"批量{i}（合成）") for i in range(3)]))
    assert cache.get().n("Enterprise") == 6 and cache.last_refresh == "built"


def test_torn_cache_file_is_ignored(any_store, tmp_path):
    store = _store(any_store)
    d = tmp_path / "snaps"
    d.mkdir()
    (d / f"snapshot-{store.store_id()}-v{store.version()}.npz").write_bytes(b"PK\x03\x04 torn")
    cache = SnapshotCache(store, str(d), background_save=False)
    assert cache.get().n("Enterprise") == 3 and cache.last_refresh == "built"


def test_bulk_column_read_covers_odd_keys_and_names(sqlite_store):
    """Keys and names travel joined by a separator and in chunks: an empty key, a key or name containing the
    separator, a node without a name and chunk borders must not lose or shift anything."""
    store = sqlite_store
    odd = ["", "a\x1fb", "z"] + [f"k{i:03d}" for i in range(7)]
    store.write(Batch(nodes=[NodeRec("Product", k, {"name": f"产品{k}\x1f" if k == "z" else f"产品{k}"}) for k in odd]
                      + [NodeRec("Product", "noname", {})]))
    got_keys, got_names = [], []
    for keys, names, rows in store.node_columns("Product", [], chunk_size=3):
        assert len(keys) == len(names) == len(rows)
        got_keys += keys
        got_names += names
    want = sorted([*odd, "noname"])
    assert got_keys == want
    assert got_names == [None if k == "noname" else (f"产品{k}\x1f" if k == "z" else f"产品{k}") for k in want]
    snap = Snapshot.build(store)
    assert snap.keys("Product").tolist() == want and snap.index_of("Product", "") == 0


def test_a_process_ending_right_after_a_patch_leaves_it_on_disk(sqlite_store, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    store = _store(sqlite_store)
    snaps = tmp_path / "snaps"
    SnapshotCache(store, str(snaps)).get()
    store.close()
    script = (
        "import sys\n"
        "from graph.sqlite_store import SQLiteStore\n"
        "from graph.snapshot import SnapshotCache\n"
        "from graph.store import Batch, NodeRec\n"
        "s = SQLiteStore(sys.argv[1])\n"
        "c = SnapshotCache(s, sys.argv[2])\n"
        "c.get()\n"
        "s.write(Batch(nodes=[NodeRec('IndustryChain', 'nm', {'name': '新材料'})]))\n"
        "assert c.get().n('IndustryChain') == 2 and c.last_refresh == 'patched'\n"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "t.db"), str(snaps)], cwd=root, check=True)
    reopened = type(store)(tmp_path / "t.db")
    try:
        assert [f.name for f in snaps.glob("*.npz")] == [f"snapshot-{reopened.store_id()}-v{reopened.version()}.npz"]
    finally:
        reopened.close()


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_forked_child_can_build(sqlite_store):
    """A server that forks workers after building a snapshot in the parent: the child builds too."""
    import os

    store = _store(sqlite_store)
    Snapshot.build(store)  # the parent's reader thread exists now
    pid = os.fork()
    if pid == 0:  # child: build with a fresh connection, exit with the result as status
        try:
            from graph.sqlite_store import SQLiteStore

            ok = Snapshot.build(SQLiteStore(store.path)).n("Enterprise") == 3
        except BaseException:
            ok = False
        os._exit(0 if ok else 1)
    import time

    for _ in range(300):  # up to 30 s
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("the forked child's snapshot build hung")
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_cache_saved_under_another_schema_is_rebuilt(any_store, tmp_path, monkeypatch):
    """After an upgrade that adds fields (the 企业尽调 records), a snapshot cached by the old version lacks their
    columns: it is not loaded (the pages would miss them) but rebuilt."""
    import graph.snapshot.disk as disk

    store = _store(any_store)
    monkeypatch.setattr(disk, "columns_fingerprint", lambda: "old-schema")
    SnapshotCache(store, str(tmp_path / "snaps"), background_save=False).get()  # saved by the "old" version
    monkeypatch.undo()
    cache = SnapshotCache(store, str(tmp_path / "snaps"), background_save=False)
    assert cache.get().n("Enterprise") == 3 and cache.last_refresh == "built"
    again = SnapshotCache(store, str(tmp_path / "snaps"), background_save=False)
    assert again.get().n("Enterprise") == 3 and again.last_refresh == "loaded"
