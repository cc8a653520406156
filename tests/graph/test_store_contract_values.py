"""The store contract, values: every backend keeps each value's type and value, odd keys, whole-map upserts, and
SQLite's ordering of missing values."""
from __future__ import annotations

from conftest import USCC_A, USCC_B, USCC_C
from graph.store import Batch, NodeRec, RelRec


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
