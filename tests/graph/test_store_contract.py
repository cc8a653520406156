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
