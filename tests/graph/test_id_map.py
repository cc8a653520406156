"""The SQLite store's in-process id map (big imports resolve relation ends in Python, not by key in SQLite): it
must give exactly the database that writing by key gives, and never be trusted once the store moved on."""
from __future__ import annotations

import sqlite3

import pytest

import graph.sqlite_store.writes as sqlite_writes
from graph.sqlite_store import SQLiteStore
from graph.store import Batch, NodeRec, RelRec, StoreError


def _firm(key: str, name: str, **props) -> NodeRec:
    return NodeRec("Enterprise", key, {"name": name, "region": "330800", **props})


def _sup(a: str, b: str, **props) -> RelRec:
    return RelRec("SUPPLIES", "Enterprise", a, "Enterprise", b, props)


def _write(store: SQLiteStore, batch: Batch, monkeypatch, *, by_id: bool):
    """Write with every write counted as big (so the id map is built and used) or none (always by key)."""
    monkeypatch.setattr(sqlite_writes, "BIG_WRITE_ROWS", 1 if by_id else 10**12)
    return store.write(batch)


def _dump(path) -> tuple[list, list, list]:
    conn = sqlite3.connect(path)
    try:
        return (conn.execute("SELECT * FROM nodes ORDER BY id").fetchall(),
                conn.execute("SELECT * FROM rels ORDER BY src, type, dst").fetchall(),
                conn.execute("SELECT ver, items FROM changelog ORDER BY ver").fetchall())
    finally:
        conn.close()


BATCHES = [
    Batch(nodes=[_firm("91330800A0000000B1", "甲（合成）"), _firm("91330800A0000000A1", "乙（合成）"),
                 NodeRec("Region", "330800", {"name": "衢州市"})],
          rels=[_sup("91330800A0000000B1", "91330800A0000000A1", share=0.2),
                RelRec("LOCATED_IN", "Enterprise", "91330800A0000000B1", "Region", "330800", {})]),
    # the same node twice in one batch (the last one wins), a relation to a node of an earlier batch
    Batch(nodes=[_firm("91330800A0000000C1", "丙（合成）"), _firm("91330800A0000000C1", "丙二（合成）"),
                 _firm("91330800A0000000A1", "乙改（合成）", revenue_wan=3.0)],
          rels=[_sup("91330800A0000000C1", "91330800A0000000B1", weight=1.5),
                _sup("91330800A0000000B1", "91330800A0000000A1", share=0.3)]),
    # re-importing changes nothing
    Batch(nodes=[_firm("91330800A0000000C1", "丙二（合成）")],
          rels=[_sup("91330800A0000000C1", "91330800A0000000B1", weight=1.5)]),
    # a deleted node, then written again: a new id, as SQLite would give it
    Batch(delete_nodes=[("Enterprise", "91330800A0000000C1")]),
    Batch(nodes=[_firm("91330800A0000000C1", "丙三（合成）"), _firm("91330800A0000000D1", "丁（合成）")],
          rels=[_sup("91330800A0000000D1", "91330800A0000000C1"), _sup("91330800A0000000C1", "91330800A0000000D1")],
          delete_rels=[("SUPPLIES", "Enterprise", "91330800A0000000B1", "Enterprise", "91330800A0000000A1")]),
]


def test_writing_by_id_gives_the_database_writing_by_key_gives(tmp_path, monkeypatch):
    by_key, by_id = SQLiteStore(tmp_path / "key.db"), SQLiteStore(tmp_path / "id.db")
    for batch in BATCHES:
        assert _write(by_id, batch, monkeypatch, by_id=True) == _write(by_key, batch, monkeypatch, by_id=False)
        assert by_id._ids is not None and by_id._ids_at == (by_id.store_id(), by_id.version())
    by_key.close(), by_id.close()
    assert _dump(tmp_path / "id.db") == _dump(tmp_path / "key.db")


def test_a_failed_batch_leaves_the_map_valid_and_unchanged(tmp_path, monkeypatch):
    s = SQLiteStore(tmp_path / "s.db")
    _write(s, BATCHES[0], monkeypatch, by_id=True)
    v, ids = s.version(), {k: dict(m) for k, m in s._ids.items()}
    bad = Batch(nodes=[_firm("91330800A0000000E1", "戊（合成）")],
                rels=[_sup("91330800A0000000E1", "91330800A00000MISS")])
    with pytest.raises(StoreError, match="91330800A00000MISS"):
        _write(s, bad, monkeypatch, by_id=True)
    assert s.version() == v and s.get("Enterprise", "91330800A0000000E1") is None
    assert s._ids == ids and s._ids_at == (s.store_id(), v)
    _write(s, Batch(nodes=[_firm("91330800A0000000E1", "戊（合成）")]), monkeypatch, by_id=True)
    conn = s._conn()
    assert s._ids["Enterprise"]["91330800A0000000E1"] == conn.execute(
        "SELECT id FROM nodes WHERE key = '91330800A0000000E1'").fetchone()[0]
    s.close()


def test_another_writer_makes_the_map_stale(tmp_path, monkeypatch):
    a, b = SQLiteStore(tmp_path / "s.db"), SQLiteStore(tmp_path / "s.db")  # e.g. two processes
    _write(a, BATCHES[0], monkeypatch, by_id=True)
    _write(b, Batch(delete_nodes=[("Enterprise", "91330800A0000000A1")]), monkeypatch, by_id=False)
    _write(b, Batch(nodes=[_firm("91330800A0000000A1", "乙重建（合成）"), _firm("91330800A0000000F1", "己（合成）")]),
           monkeypatch, by_id=False)
    # a small write does not rebuild the stale map: it writes by key
    _write(a, Batch(rels=[_sup("91330800A0000000F1", "91330800A0000000B1")]), monkeypatch, by_id=False)
    assert a._ids is None
    # a big one rebuilds it from the table
    _write(a, Batch(rels=[_sup("91330800A0000000B1", "91330800A0000000A1", share=0.9)]), monkeypatch, by_id=True)
    assert a._ids is not None
    assert a.neighbours("Enterprise", "91330800A0000000A1", direction="in")[0].key == "91330800A0000000B1"
    assert [n.key for n in a.neighbours("Enterprise", "91330800A0000000B1", direction="in")] == ["91330800A0000000F1"]
    a.close(), b.close()


def test_a_map_that_disagrees_with_the_table_is_dropped_and_the_write_done_by_key(tmp_path, monkeypatch):
    s = SQLiteStore(tmp_path / "s.db")
    _write(s, BATCHES[0], monkeypatch, by_id=True)
    s._ids["Enterprise"].pop("91330800A0000000A1")  # as if the map had missed a node
    r = _write(s, Batch(nodes=[_firm("91330800A0000000A1", "乙改（合成）")],
                        rels=[_sup("91330800A0000000A1", "91330800A0000000B1")]), monkeypatch, by_id=True)
    assert (r.nodes_written, r.rels_written) == (1, 1)
    assert s.get("Enterprise", "91330800A0000000A1")["name"] == "乙改（合成）"
    assert s.counts()["nodes"]["Enterprise"] == 2
    assert s._ids is None  # dropped; the next big write rebuilds it
    s.close()
