"""What only the Neo4j backend has: its schema on the server, index use, the types Neo4j can store, and a clear
error when the server is not there. Runs against the local Neo4j `make test` starts (skipped without NEO4J_URI,
a failure under CHAINMATCH_REQUIRE_NEO4J=1)."""
from __future__ import annotations

import time

import pytest

from conftest import neo4j_test_store, second_handle
from graph.schema import INDEXED_FIELDS, Label
from graph.store import Batch, NodeRec, StoreError


@pytest.fixture
def neo():
    s = neo4j_test_store()
    yield s
    s.close()


def _cypher(store, query, **params):
    with store._driver.session(database=store.database) as s:
        return [r.data() for r in s.run(query, params)]


def test_constraints_and_indexes_exist_online_after_open_and_reopen_adds_none(neo):
    constraints = {r["name"] for r in _cypher(neo, "SHOW CONSTRAINTS YIELD name")}
    assert {f"chainmatch_{lab.value}_key" for lab in Label} <= constraints
    assert {"chainmatch_ChainMatchMeta_id", "chainmatch_ApiKey_key_id", "chainmatch_AuditEntry_id",
            "chainmatch_ChainMatchChange_ver"} <= constraints
    indexes = {r["name"]: r["state"] for r in _cypher(neo, "SHOW INDEXES YIELD name, state")}
    for lab, fields in INDEXED_FIELDS.items():
        for f in ("name", *fields):
            assert indexes.get(f"chainmatch_{lab.value}_{f}") == "ONLINE", (lab, f)
    again = second_handle(neo)
    try:
        assert len(_cypher(again, "SHOW INDEXES YIELD name")) == len(indexes)
        assert again.store_id() == neo.store_id()
    finally:
        again.close()


def test_a_duplicate_key_cannot_exist_even_written_around_the_store(neo):
    neo.write(Batch(nodes=[NodeRec("Enterprise", "dup", {"name": "甲"})]))
    with pytest.raises(Exception, match="already exists"):
        _cypher(neo, "CREATE (:Enterprise {key: 'dup', name: '乙'})")
    assert neo.counts()["nodes"]["Enterprise"] == 1


def test_an_equality_on_an_indexed_field_seeks_the_index(neo):
    from graph.neo4j_store import STATEMENTS

    field = INDEXED_FIELDS[Label.Enterprise][0]
    with neo._driver.session(database=neo.database) as s:
        summary = s.run("EXPLAIN " + STATEMENTS[f"find.page.Enterprise.asc.by.{field}"],
                        {"seek": "330800", "filters": [], "order_by": "key", "offset": 0, "limit": 10}).consume()
    assert "NodeIndexSeek" in str(summary.plan)
    with neo._driver.session(database=neo.database) as s:
        summary = s.run("EXPLAIN " + STATEMENTS["find.page.Enterprise.asc"],
                        {"filters": [], "order_by": "key", "offset": 0, "limit": 10}).consume()
    assert "NodeIndexSeek" not in str(summary.plan)  # (the check can tell the two apart)


def test_values_neo4j_cannot_hold_are_refused_naming_the_property(neo):
    for props, what in (({"name": "x", "mixed": ["a", 1]}, "mixed"), ({"name": "x", "nested": {"a": 1}}, "nested"),
                        ({"name": "x", "holes": ["a", None]}, "holes")):
        with pytest.raises(StoreError, match=what):
            neo.write(Batch(nodes=[NodeRec("IndustryChain", "x", props)]))
    assert neo.version() == 0 and neo.get("IndustryChain", "x") is None
    neo.write(Batch(nodes=[NodeRec("IndustryChain", "x", {"name": "x", "nums": [1, 2.5]})]))
    assert neo.get("IndustryChain", "x")["nums"] == [1.0, 2.5]  # numbers in one list: stored as floats


def test_wipe_starts_a_new_history(neo):
    neo.write(Batch(nodes=[NodeRec("IndustryChain", "x", {"name": "X"})]))
    sid = neo.store_id()
    neo.wipe_for_tests()
    assert neo.version() == 0 and neo.store_id() != sid and neo.counts()["nodes"]["IndustryChain"] == 0
    assert neo.changes_since(1) is None


def test_an_unreachable_server_is_a_clear_error_at_once():
    from graph.neo4j_store import Neo4jStore

    t = time.monotonic()
    with pytest.raises(StoreError, match="无法连接 Neo4j"):
        Neo4jStore("bolt://127.0.0.1:9", password="x")
    assert time.monotonic() - t < 15


def test_production_runs_the_neo4j_version_the_tests_run():
    """docker-compose.yml's image and tools/neo4j/pom.xml (what `make test` starts) name the same version."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pom = re.search(r"<neo4j\.version>([^<]+)<", (root / "tools/neo4j/pom.xml").read_text(encoding="utf-8")).group(1)
    image = re.search(r"image:\s*neo4j:(\S+)", (root / "docker-compose.yml").read_text(encoding="utf-8")).group(1)
    assert image == f"{pom}-community"
