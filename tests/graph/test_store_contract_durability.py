"""The store contract, under load and over time: concurrent writers serialised, conditional writes with one
winner, reopening keeps identity and data, keys and audit, and the SQLite file's own migrations and indexes."""
from __future__ import annotations

import pytest

from conftest import USCC_A
from graph.store import ApiKeyRec, AuditEntry, Batch, NodeRec, RelRec


# ------------------------------------------------------------------------------------------ concurrency
def test_concurrent_writers_are_serialised(any_store):
    from concurrent.futures import ThreadPoolExecutor

    from conftest import second_handle

    other = second_handle(any_store)
    try:
        def put(i):
            s = any_store if i % 2 else other
            return s.write(Batch(nodes=[NodeRec("IndustryChain", f"c{i}", {"name": f"链{i}"})])).version

        with ThreadPoolExecutor(8) as pool:
            versions = list(pool.map(put, range(40)))
        assert sorted(versions) == list(range(1, 41))  # every write got its own version
        assert other.version() == any_store.version() == 40
        ch = other.changes_since(0)
        assert set(ch.nodes["IndustryChain"]) == {f"c{i}" for i in range(40)}
    finally:
        other.close()


def test_concurrent_conditional_writes_exactly_one_wins(any_store):
    from concurrent.futures import ThreadPoolExecutor

    from conftest import second_handle
    from graph.store import ConflictError, Expect

    any_store.write(Batch(nodes=[NodeRec("LandParcel", "p", {"name": "地块", "status": "可供"})]))
    other = second_handle(any_store)
    try:
        def claim(i):
            s = any_store if i % 2 else other
            try:
                s.write(Batch(nodes=[NodeRec("LandParcel", "p", {"name": "地块", "status": "预留", "by": f"u{i}"})],
                              expect=[Expect("LandParcel", "p", {"status": "可供"})]))
                return i
            except ConflictError:
                return None

        with ThreadPoolExecutor(10) as pool:
            winners = [w for w in pool.map(claim, range(30)) if w is not None]
        assert len(winners) == 1
        assert any_store.get("LandParcel", "p")["by"] == f"u{winners[0]}" and any_store.version() == 2
    finally:
        other.close()


def test_concurrent_creates_of_one_key_make_one_node(any_store):
    from concurrent.futures import ThreadPoolExecutor

    from conftest import second_handle

    other = second_handle(any_store)
    try:
        def create(i):
            s = any_store if i % 2 else other
            return s.write(Batch(nodes=[NodeRec("IndustryChain", "same", {"name": "同一个"})])).nodes_written

        with ThreadPoolExecutor(8) as pool:
            written = list(pool.map(create, range(16)))
        assert sum(written) == 1 and any_store.counts()["nodes"]["IndustryChain"] == 1
    finally:
        other.close()


def test_reopening_keeps_identity_version_and_data(tiny):
    from conftest import second_handle

    sid, v = tiny.store_id(), tiny.version()
    again = second_handle(tiny)
    try:
        assert (again.store_id(), again.version()) == (sid, v)
        assert again.get("Enterprise", USCC_A)["name"] == "甲材料（合成）"
        assert again.changes_since(0) is not None
    finally:
        again.close()


def test_duplicate_api_key_is_refused(any_store):
    from graph.store import StoreError

    rec = ApiKeyRec("k1", "张三", "officer", None, "h" * 64, "2026-01-01T00:00:00+00:00")
    any_store.put_api_key(rec)
    with pytest.raises(StoreError, match="k1"):
        any_store.put_api_key(ApiKeyRec("k1", "李四", "admin", None, "g" * 64, "2026-01-02T00:00:00+00:00"))
    assert any_store.get_api_key("k1") == rec


def test_audit_is_newest_first_and_rolls_back_with_its_write(any_store):
    from graph.store import StoreError

    for i in range(5):
        any_store.write(Batch(nodes=[NodeRec("IndustryChain", f"c{i}", {"name": f"链{i}"})]),
                        audit=AuditEntry(actor="a" if i % 2 else "b", action="upsert", target=f"c{i}",
                                         before=None, after={"name": f"链{i}", "n": [1, 2]}))
    with pytest.raises(StoreError):
        any_store.write(Batch(nodes=[NodeRec("IndustryChain", "bad", {"name": "坏"})],
                              rels=[RelRec("PART_OF", "Segment", "nope", "IndustryChain", "bad", {})]),
                        audit=AuditEntry(actor="a", action="upsert", target="bad"))
    log = any_store.list_audit()
    assert [e["target"] for e in log] == ["c4", "c3", "c2", "c1", "c0"]
    assert log[0]["id"] > log[1]["id"] and log[0]["after"] == {"name": "链4", "n": [1, 2]}
    assert [e["target"] for e in any_store.list_audit(limit=2, offset=1)] == ["c3", "c2"]
    assert [e["target"] for e in any_store.list_audit(actor="a")] == ["c3", "c1"]


def test_find_uses_indexed_columns_with_json_semantics(sqlite_store):
    """Indexed fields (schema.INDEXED_FIELDS) are read from their own columns: same answers as JSON fields."""
    sqlite_store.write(Batch(nodes=[
        NodeRec("Project", "p1", {"name": "一号", "stage": "签约", "chain": "ic"}),
        NodeRec("Project", "p2", {"name": "二号", "stage": "线索"}),
        NodeRec("Project", "p3", {"name": "三号", "stage": "投产", "chain": "nev"}),
    ]))
    rows, total = sqlite_store.find("Project", filters={"stage__in": ["签约", "投产"]}, order_by="chain")
    assert total == 2 and [r["key"] for r in rows] == ["p1", "p3"]
    rows, _ = sqlite_store.find("Project", filters={"chain": "ic"})
    assert [r["key"] for r in rows] == ["p1"]
    plan = " ".join(r[3] for r in sqlite_store._conn().execute(
        "EXPLAIN QUERY PLAN SELECT key FROM nodes WHERE label = 'Project' AND ix1 = '签约'"))
    assert "nodes_ix1" in plan
    sqlite_store.write(Batch(nodes=[NodeRec("Project", "p1", {"name": "一号", "stage": "开工", "chain": "ic"})]))
    assert sqlite_store.find("Project", filters={"stage": "签约"})[1] == 0


def test_schema_1_database_is_migrated(tmp_path):
    """A database written by the previous layout (JSON expression indexes, no change log) opens as is."""
    import sqlite3

    from graph.sqlite_store import SQLiteStore

    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    conn.executescript("""
        CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);
        INSERT INTO meta VALUES ('version', '7'), ('store_id', 'old'), ('schema_version', '1');
        CREATE TABLE nodes(label TEXT NOT NULL, key TEXT NOT NULL, name TEXT, props TEXT NOT NULL,
                           PRIMARY KEY(label, key)) WITHOUT ROWID;
        CREATE TABLE rels(src_label TEXT NOT NULL, src_key TEXT NOT NULL, type TEXT NOT NULL,
                          dst_label TEXT NOT NULL, dst_key TEXT NOT NULL, props TEXT NOT NULL,
                          PRIMARY KEY(src_label, src_key, type, dst_label, dst_key)) WITHOUT ROWID;
        CREATE INDEX rels_in ON rels(dst_label, dst_key, type);
        CREATE INDEX nodes_name ON nodes(label, name);
        CREATE INDEX nodes_Enterprise_region ON nodes(label, json_extract(props, '$.region')) WHERE label = 'Enterprise';
        INSERT INTO nodes VALUES ('Enterprise', 'e1', '甲（合成）', '{"name":"甲（合成）","region":"330800"}');
        INSERT INTO nodes VALUES ('Segment', 's1', '环节', '{"chain":"c","name":"环节"}');
        INSERT INTO rels VALUES ('Enterprise', 'e1', 'IN_SEGMENT', 'Segment', 's1', '{"weight":0.5}');
        INSERT INTO rels VALUES ('Enterprise', 'e1', 'SUPPLIES', 'Enterprise', 'gone', '{}');
    """)
    conn.commit()
    conn.close()
    s = SQLiteStore(db)
    try:
        rows, total = s.find("Enterprise", filters={"region": "330800"})
        assert total == 1 and rows[0]["key"] == "e1"
        assert s.version() == 7 and s.store_id() == "old"
        assert s.changes_since(6) is None  # no history from before the change log
        names = {r[0] for r in s._conn().execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "nodes_Enterprise_region" not in names and "nodes_ix1" in names
        assert s._conn().execute("SELECT v FROM meta WHERE k = 'schema_version'").fetchone()[0] == "2"
        # the relation is kept with its weight; the one to a node that never existed could not be
        assert [(n.rel_type, n.key, n.rel_props) for n in s.neighbours("Enterprise", "e1")] == [
            ("IN_SEGMENT", "s1", {"weight": 0.5})]
        assert s.counts()["relations"] == {"IN_SEGMENT": 1}
        s.write(Batch(nodes=[NodeRec("Segment", "s2", {"name": "环节二", "chain": "c"})]))
        assert s.changes_since(7) is not None
    finally:
        s.close()


def test_indexed_columns_follow_a_changed_schema(tmp_path, monkeypatch):
    """A file written when other fields were indexed is brought up to date when opened: no stale ix column."""
    import graph.sqlite_store as backend
    from graph.sqlite_store import SQLiteStore

    s = SQLiteStore(tmp_path / "ix.db")
    s.write(Batch(nodes=[NodeRec("Fund", "f1", {"name": "一号基金", "region": "330800", "focus": ["ic"]}),
                         NodeRec("Fund", "f2", {"name": "二号基金", "region": "440300", "size_yi": 5})]))
    s.close()
    monkeypatch.setitem(backend.IX_FIELDS, "Fund", ("size_yi", "region"))
    s = SQLiteStore(tmp_path / "ix.db")
    try:
        assert [r["key"] for r in s.find("Fund", filters={"region": "330800"})[0]] == ["f1"]
        assert [r["key"] for r in s.find("Fund", filters={"size_yi__min": 1})[0]] == ["f2"]
    finally:
        s.close()
