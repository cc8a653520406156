"""Shared fixtures: stores for every backend, a tiny hand-built graph."""
from __future__ import annotations

import os

import pytest

from graph.schema import Enterprise, IndustryChain, Park, Region, Segment
from graph.sqlite_store import SQLiteStore
from graph.store import RelRec
from graph.writer import write_objects

USCC_A = "91330100799655058B"
USCC_B = "9144030071526726XG"
USCC_C = "91110000802100433B"


def _neo4j_store():
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        pytest.skip("Neo4j 合约测试已跳过：未设置 NEO4J_URI（设置 NEO4J_URI/NEO4J_USER/NEO4J_PASSWORD 指向 Neo4j 5 后运行）")
    from graph.neo4j_store import Neo4jStore

    s = Neo4jStore(uri, user=os.environ.get("NEO4J_USER", "neo4j"), password=os.environ.get("NEO4J_PASSWORD", ""),
                   database=os.environ.get("NEO4J_DATABASE"))
    s.wipe_for_tests()
    return s


@pytest.fixture(params=["sqlite", "neo4j"])
def any_store(request, tmp_path):
    """A fresh, empty store of each backend (the Neo4j one only when NEO4J_URI is set)."""
    s = SQLiteStore(tmp_path / "contract.db") if request.param == "sqlite" else _neo4j_store()
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path):
    s = SQLiteStore(tmp_path / "t.db")
    yield s
    s.close()


def tiny_graph_objects():
    """集成电路 chain with 4 segments, two regions, three firms — small enough to check by hand."""
    return [
        IndustryChain(key="ic", name="集成电路"),
        Segment(key="ic.mat", name="半导体材料", chain="ic", stream="上游"),
        Segment(key="ic.fab", name="晶圆制造", chain="ic", stream="中游"),
        Segment(key="ic.pkg", name="封测", chain="ic", stream="中游"),
        Segment(key="ic.app", name="终端应用", chain="ic", stream="下游"),
        Region(key="330000", name="浙江省", level="province"),
        Region(key="330800", name="衢州市", level="city", parent="330000"),
        Region(key="440300", name="深圳市", level="city"),
        Park(key="qz-zz", name="衢州智造新城", region="330800", leading_chains=["ic"]),
        Enterprise(key=USCC_A, name="甲材料（合成）", region="330800", tags=["专精特新"], revenue_wan=50000),
        Enterprise(key=USCC_B, name="乙晶圆（合成）", region="440300", tags=["上市"], revenue_wan=900000),
        Enterprise(key=USCC_C, name="丙封测（合成）", region="440300", revenue_wan=1200),
    ]


def tiny_graph_relations():
    return [
        RelRec("UPSTREAM_OF", "Segment", "ic.mat", "Segment", "ic.fab"),
        RelRec("UPSTREAM_OF", "Segment", "ic.fab", "Segment", "ic.pkg"),
        RelRec("UPSTREAM_OF", "Segment", "ic.pkg", "Segment", "ic.app"),
        RelRec("IN_SEGMENT", "Enterprise", USCC_A, "Segment", "ic.mat", {"weight": 1.0}),
        RelRec("IN_SEGMENT", "Enterprise", USCC_B, "Segment", "ic.fab", {"weight": 0.7}),
        RelRec("IN_SEGMENT", "Enterprise", USCC_C, "Segment", "ic.pkg", {"weight": 1.0}),
        RelRec("SUPPLIES", "Enterprise", USCC_A, "Enterprise", USCC_B, {"share": 0.2}),
        RelRec("LEADS", "Enterprise", USCC_B, "IndustryChain", "ic", {"region": "440300"}),
    ]


@pytest.fixture
def tiny(any_store):
    write_objects(any_store, tiny_graph_objects(), tiny_graph_relations())
    return any_store
