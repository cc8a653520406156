"""The store contract: every backend must pass these (Neo4j when NEO4J_URI is set)."""
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
