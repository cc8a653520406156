"""The store contract: every backend must pass these (SQLite and the Neo4j `make test` starts)."""
from __future__ import annotations

import pytest

from conftest import USCC_A, USCC_B, USCC_C
from graph.store import ApiKeyRec, AuditEntry, Batch, NodeRec, RelRec


def test_write_and_get(tiny):
    e = tiny.get("Enterprise", USCC_A)
    assert e["name"] == "甲材料（合成）" and e["key"] == USCC_A and e["tags"] == ["专精特新"]
    assert tiny.get("Enterprise", "nope") is None


def test_rewriting_the_same_data_changes_nothing(tiny):
    from conftest import tiny_graph_objects, tiny_graph_relations
    from graph.writer import write_objects

    v = tiny.version()
    r = write_objects(tiny, tiny_graph_objects(), tiny_graph_relations())
    assert (r.nodes_written, r.rels_written) == (0, 0)
    assert tiny.version() == v


def test_update_changes_props_and_bumps_version(tiny):
    v = tiny.version()
    r = tiny.write(Batch(nodes=[NodeRec("Enterprise", USCC_C, {"name": "丙封测（合成）", "revenue_wan": 5.0})]))
    assert r.nodes_written == 1 and tiny.version() == v + 1
    assert tiny.get("Enterprise", USCC_C)["revenue_wan"] == 5.0


def test_counts(tiny):
    c = tiny.counts()
    assert c["nodes"]["Enterprise"] == 3 and c["nodes"]["Segment"] == 4 and c["nodes"]["Fund"] == 0
    assert c["relations"]["UPSTREAM_OF"] == 3
    assert c["relations"]["PART_OF"] == 4  # from Segment.chain
    assert c["relations"]["LOCATED_IN"] == 5  # 3 firms, 衢州→浙江, park


def test_find_filters_and_pagination(tiny):
    rows, total = tiny.find("Enterprise", filters={"region": "440300"}, order_by="revenue_wan", descending=True)
    assert total == 2 and [r["key"] for r in rows] == [USCC_B, USCC_C]
    rows, total = tiny.find("Enterprise", filters={"revenue_wan__min": 10000, "revenue_wan__max": 100000})
    assert [r["key"] for r in rows] == [USCC_A]
    rows, _ = tiny.find("Enterprise", filters={"tags": "上市"})  # list property: contains
    assert [r["key"] for r in rows] == [USCC_B]
    rows, _ = tiny.find("Enterprise", filters={"name__like": "晶圆"})
    assert [r["key"] for r in rows] == [USCC_B]
    rows, _ = tiny.find("Segment", filters={"stream__in": ["上游", "下游"]}, order_by="key")
    assert [r["key"] for r in rows] == ["ic.app", "ic.mat"]
    page1, total = tiny.find("Segment", order_by="key", limit=2, offset=0)
    page2, _ = tiny.find("Segment", order_by="key", limit=2, offset=2)
    assert total == 4 and [r["key"] for r in page1 + page2] == ["ic.app", "ic.fab", "ic.mat", "ic.pkg"]


def test_neighbours_by_type_and_direction(tiny):
    out = tiny.neighbours("Enterprise", USCC_A, rel_type="SUPPLIES", direction="out")
    assert [(n.key, n.direction, n.rel_props) for n in out] == [(USCC_B, "out", {"share": 0.2})]
    inc = tiny.neighbours("Enterprise", USCC_B, rel_type="SUPPLIES", direction="in")
    assert [n.key for n in inc] == [USCC_A]
    both = tiny.neighbours("Segment", "ic.fab", direction="both")
    kinds = sorted((n.rel_type, n.direction, n.key) for n in both)
    assert ("UPSTREAM_OF", "in", "ic.mat") in kinds and ("UPSTREAM_OF", "out", "ic.pkg") in kinds
    assert ("IN_SEGMENT", "in", USCC_B) in kinds and ("PART_OF", "out", "ic") in kinds


def test_delete_detaches_relations(tiny):
    r = tiny.write(Batch(delete_nodes=[("Enterprise", USCC_A)]))
    assert r.deleted >= 1
    assert tiny.get("Enterprise", USCC_A) is None
    assert tiny.neighbours("Enterprise", USCC_B, rel_type="SUPPLIES") == []
    assert tiny.counts()["relations"].get("SUPPLIES", 0) == 0


def test_delete_relation_only(tiny):
    tiny.write(Batch(delete_rels=[("SUPPLIES", "Enterprise", USCC_A, "Enterprise", USCC_B)]))
    assert tiny.get("Enterprise", USCC_A) is not None
    assert tiny.counts()["relations"].get("SUPPLIES", 0) == 0


def test_batch_is_all_or_nothing(any_store):
    # a relation whose props cannot be serialised fails the whole batch after the nodes went in
    batch = Batch(
        nodes=[NodeRec("IndustryChain", "x", {"name": "X"})],
        rels=[RelRec("PART_OF", "Segment", "s", "IndustryChain", "x", {"bad": object()})],
    )
    v = any_store.version()
    with pytest.raises(Exception):
        any_store.write(batch)
    assert any_store.get("IndustryChain", "x") is None
    assert any_store.version() == v


def test_existing_keys_and_get_many(tiny):
    assert tiny.existing_keys("Segment", ["ic.fab", "zz", "ic.pkg"]) == {"ic.fab", "ic.pkg"}
    got = tiny.get_many("Segment", ["ic.fab", "zz"])
    assert set(got) == {"ic.fab"} and got["ic.fab"]["name"] == "晶圆制造"


def test_iterators_cover_everything(tiny):
    keys = [k for k, _ in tiny.iter_nodes("Segment")]
    assert keys == sorted(keys) and len(keys) == 4
    rels = list(tiny.iter_relations("IN_SEGMENT"))
    assert {(r.src_key, r.dst_key) for r in rels} == {(USCC_A, "ic.mat"), (USCC_B, "ic.fab"), (USCC_C, "ic.pkg")}
    assert len(list(tiny.iter_relations())) == sum(tiny.counts()["relations"].values())


def test_version_and_identity(any_store):
    assert any_store.version() == 0
    sid = any_store.store_id()
    assert sid and any_store.store_id() == sid
    assert any_store.ping()


def test_audit_written_with_the_change_only(any_store):
    a = AuditEntry(actor="tester", action="upsert", target="IndustryChain/x", after={"name": "X"})
    any_store.write(Batch(nodes=[NodeRec("IndustryChain", "x", {"name": "X"})]), audit=a)
    any_store.write(Batch(nodes=[NodeRec("IndustryChain", "x", {"name": "X"})]), audit=a)  # no change, no entry
    log = any_store.list_audit()
    assert len(log) == 1 and log[0]["actor"] == "tester" and log[0]["after"] == {"name": "X"}
    any_store.append_audit(AuditEntry(actor="other", action="login", target="-"))
    assert [e["actor"] for e in any_store.list_audit(actor="other")] == ["other"]


def test_api_keys(any_store):
    rec = ApiKeyRec("k1", "张三", "officer", None, "h" * 64, "2026-01-01T00:00:00+00:00")
    any_store.put_api_key(rec)
    assert any_store.get_api_key("k1") == rec
    assert [k.key_id for k in any_store.list_api_keys()] == ["k1"]
    assert any_store.revoke_api_key("k1", "2026-02-01T00:00:00+00:00")
    assert not any_store.revoke_api_key("k1", "2026-02-02T00:00:00+00:00")
    assert any_store.get_api_key("k1").revoked_at == "2026-02-01T00:00:00+00:00"


def test_preconditions_make_writes_conditional(tiny):
    from graph.store import ConflictError, Expect

    upd = NodeRec("Enterprise", USCC_C, {"name": "丙封测（合成）", "revenue_wan": 7.0})
    with pytest.raises(ConflictError) as e:
        tiny.write(Batch(nodes=[upd], expect=[Expect("Enterprise", USCC_C, {"revenue_wan": 1.0})]))
    assert "revenue_wan 应为 1.0" in str(e.value)
    assert tiny.get("Enterprise", USCC_C)["revenue_wan"] == 1200  # nothing written
    with pytest.raises(ConflictError):
        tiny.write(Batch(nodes=[upd], expect=[Expect("Enterprise", "missing", {})]))
    tiny.write(Batch(nodes=[upd], expect=[Expect("Enterprise", USCC_C, {"revenue_wan": 1200, "size": None})]))
    assert tiny.get("Enterprise", USCC_C)["revenue_wan"] == 7.0


def test_edge_arrays_index_every_relation_into_the_key_arrays(tiny):
    import numpy as np

    keys = {lab: np.asarray(sorted(k for k, _ in tiny.iter_nodes(lab)), dtype=str) for lab in ("Enterprise", "Segment")}
    arrays = tiny.edge_arrays(keys)
    assert set(arrays) == {("IN_SEGMENT", "Enterprise", "Segment"), ("SUPPLIES", "Enterprise", "Enterprise"),
                           ("UPSTREAM_OF", "Segment", "Segment")}  # relations to labels not asked for are left out
    s, d, w = arrays[("IN_SEGMENT", "Enterprise", "Segment")]
    got = {(keys["Enterprise"][i], keys["Segment"][j]): x for i, j, x in zip(s, d, w)}
    assert got == {(USCC_A, "ic.mat"): 1.0, (USCC_B, "ic.fab"): 0.7, (USCC_C, "ic.pkg"): 1.0}
    s, d, w = arrays[("SUPPLIES", "Enterprise", "Enterprise")]
    assert (keys["Enterprise"][s[0]], keys["Enterprise"][d[0]], w[0]) == (USCC_A, USCC_B, 0.0)  # share is no weight
    # keys read at another moment (one firm missing): positions follow the arrays given
    fewer = {"Enterprise": keys["Enterprise"][1:], "Segment": keys["Segment"]}
    s, d, _ = tiny.edge_arrays(fewer)[("IN_SEGMENT", "Enterprise", "Segment")]
    assert sorted(fewer["Enterprise"][s].tolist()) == fewer["Enterprise"].tolist()  # each remaining firm once


def test_relation_to_a_missing_node_fails_the_whole_batch(any_store):
    from graph.store import StoreError

    batch = Batch(nodes=[NodeRec("IndustryChain", "x", {"name": "X"})],
                  rels=[RelRec("PART_OF", "Segment", "nope", "IndustryChain", "x", {})])
    with pytest.raises(StoreError, match="nope"):
        any_store.write(batch)
    assert any_store.get("IndustryChain", "x") is None and any_store.version() == 0


def test_changes_since_an_unchanged_version_is_empty(tiny):
    ch = tiny.changes_since(tiny.version())
    assert ch is not None and len(ch) == 0 and ch.version == tiny.version()


def test_changes_since_gives_the_current_state_of_written_keys(any_store):
    any_store.write(Batch(nodes=[NodeRec("IndustryChain", "x", {"name": "X"}), NodeRec("IndustryChain", "y", {"name": "Y"})]))
    v = any_store.version()
    any_store.write(Batch(nodes=[NodeRec("Segment", "x.a", {"name": "A", "chain": "x"})],
                          rels=[RelRec("PART_OF", "Segment", "x.a", "IndustryChain", "x", {"source": "测试"})]))
    any_store.write(Batch(nodes=[NodeRec("IndustryChain", "x", {"name": "X2"})], delete_nodes=[("IndustryChain", "y")]))
    ch = any_store.changes_since(v)
    assert ch is not None and (ch.since, ch.version) == (v, v + 2)
    assert ch.nodes["IndustryChain"] == {"x": {"name": "X2"}, "y": None}
    assert ch.nodes["Segment"]["x.a"]["chain"] == "x"
    assert ch.rels == {("PART_OF", "Segment", "x.a", "IndustryChain", "x"): {"source": "测试"}}
    assert any_store.changes_since(v + 5) is None  # a version this store never had


def _backend_module(store):
    """The backend's change-log module (graph.sqlite_store.changelog / graph.neo4j_store.changelog), which holds
    CHANGELOG_KEEP and CHANGELOG_MAX_ITEMS."""
    import importlib

    return importlib.import_module(f"{type(store).__module__}.changelog")


def test_change_log_is_bounded(any_store, monkeypatch):
    monkeypatch.setattr(_backend_module(any_store), "CHANGELOG_KEEP", 3)
    for i in range(5):
        any_store.write(Batch(nodes=[NodeRec("IndustryChain", f"c{i}", {"name": f"链{i}"})]))
    assert any_store.changes_since(1) is None  # pruned: versions 2 and 3 are gone
    ch = any_store.changes_since(2)
    assert ch is not None and set(ch.nodes["IndustryChain"]) == {"c2", "c3", "c4"}
    assert any_store.changes_since(0, max_items=2) is None  # too many keys to patch


def test_a_write_too_big_to_itemise_forces_a_rebuild(any_store, monkeypatch):
    monkeypatch.setattr(_backend_module(any_store), "CHANGELOG_MAX_ITEMS", 2)
    any_store.write(Batch(nodes=[NodeRec("IndustryChain", "a", {"name": "A"})]))
    v = any_store.version()
    any_store.write(Batch(nodes=[NodeRec("IndustryChain", k, {"name": k}) for k in ("b", "c", "d")]))
    assert any_store.changes_since(v) is None
    any_store.write(Batch(nodes=[NodeRec("IndustryChain", "e", {"name": "E"})]))
    assert set(any_store.changes_since(v + 1).nodes["IndustryChain"]) == {"e"}


def test_change_log_lists_relations_and_deleted_nodes(tiny):
    v = tiny.version()
    tiny.write(Batch(rels=[RelRec("SUPPLIES", "Enterprise", USCC_C, "Enterprise", USCC_B, {"share": 0.5})],
                     delete_rels=[("SUPPLIES", "Enterprise", USCC_A, "Enterprise", USCC_B)]))
    tiny.write(Batch(delete_nodes=[("Enterprise", USCC_A)]))
    ch = tiny.changes_since(v)
    assert ch.rels == {("SUPPLIES", "Enterprise", USCC_C, "Enterprise", USCC_B): {"share": 0.5},
                       ("SUPPLIES", "Enterprise", USCC_A, "Enterprise", USCC_B): None}
    assert ch.nodes["Enterprise"] == {USCC_A: None}


# ------------------------------------------------------------------------------------------ value types
ODD_VALUES = {
    "i": 7, "neg": -3, "f": 0.1, "whole_float": 2.0, "big": 2**53 + 1, "tiny": 5e-324, "yes": True, "no": False,
    "empty": [], "words": ["专精特新", "上市"], "nums": [1.5, 2.25], "ints": [1, 2, 3], "flags": [True, False],
    "text": "引号'\"反斜杠\\ 换行\n 表情🙂 零宽\u200b", "long": "链" * 20_000,
}


def test_values_keep_their_type_and_value(any_store):
    any_store.write(Batch(nodes=[NodeRec("IndustryChain", "odd", {"name": "奇", **ODD_VALUES})]))
    got = any_store.get("IndustryChain", "odd")
    for k, v in ODD_VALUES.items():
        assert got[k] == v and type(got[k]) is type(v), k
        if isinstance(v, list):
            assert [type(x) for x in got[k]] == [type(x) for x in v], k
    assert any_store.write(Batch(nodes=[NodeRec("IndustryChain", "odd", {"name": "奇", **ODD_VALUES})])).nodes_written == 0


def test_an_int_becoming_a_float_is_a_change(any_store):
    any_store.write(Batch(nodes=[NodeRec("IndustryChain", "x", {"name": "X", "n": 1})]))
    v = any_store.version()
    r = any_store.write(Batch(nodes=[NodeRec("IndustryChain", "x", {"name": "X", "n": 1.0})]))
    assert r.nodes_written == 1 and any_store.version() == v + 1
    assert type(any_store.get("IndustryChain", "x")["n"]) is float


def test_keys_with_odd_characters(any_store):
    keys = ["a'b", 'a"b', "a\\b", "键-中文", "x" * 128, "a:b;c|d", "𝔘nicode"]
    any_store.write(Batch(nodes=[NodeRec("IndustryChain", k, {"name": k}) for k in keys]))
    assert any_store.existing_keys("IndustryChain", keys) == set(keys)
    assert [k for k, _ in any_store.iter_nodes("IndustryChain")] == sorted(keys)
    assert all(any_store.get("IndustryChain", k)["name"] == k for k in keys)


def test_an_upsert_replaces_the_whole_property_map(tiny):
    tiny.write(Batch(nodes=[NodeRec("Enterprise", USCC_C, {"name": "丙封测（合成）"})],
                     rels=[RelRec("SUPPLIES", "Enterprise", USCC_A, "Enterprise", USCC_B, {"volume": 3})]))
    assert tiny.get("Enterprise", USCC_C) == {"name": "丙封测（合成）", "key": USCC_C}
    [n] = tiny.neighbours("Enterprise", USCC_A, rel_type="SUPPLIES", direction="out")
    assert n.rel_props == {"volume": 3}  # share is gone


def test_a_key_twice_in_one_batch_keeps_the_last_and_counts_once(any_store):
    r = any_store.write(Batch(nodes=[NodeRec("IndustryChain", "x", {"name": "一"}),
                                     NodeRec("IndustryChain", "x", {"name": "二"})]))
    assert any_store.get("IndustryChain", "x")["name"] == "二" and any_store.counts()["nodes"]["IndustryChain"] == 1
    assert r.nodes_written in (1, 2) and any_store.version() == 1


def test_deleting_what_does_not_exist_changes_nothing(tiny):
    v = tiny.version()
    r = tiny.write(Batch(delete_nodes=[("Enterprise", "nope")],
                         delete_rels=[("SUPPLIES", "Enterprise", USCC_B, "Enterprise", USCC_A)]))
    assert r.deleted == 0 and tiny.version() == v
    assert tiny.changes_since(v) is not None and len(tiny.changes_since(v)) == 0


def test_find_orders_missing_values_like_sqlite(any_store):
    any_store.write(Batch(nodes=[NodeRec("Enterprise", k, {"name": k, **({"revenue_wan": r} if r is not None else {})})
                                 for k, r in (("a", 5.0), ("b", None), ("c", 1.0), ("d", 5.0))]))
    asc, _ = any_store.find("Enterprise", order_by="revenue_wan")
    desc, _ = any_store.find("Enterprise", order_by="revenue_wan", descending=True)
    assert [r["key"] for r in asc] == ["b", "c", "a", "d"]  # missing first, ties by key
    assert [r["key"] for r in desc] == ["d", "a", "c", "b"]
    assert any_store.find("Enterprise", filters={"key__in": []})[1] == 0
    assert any_store.find("Enterprise", filters={"revenue_wan__min": 2})[1] == 2


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
