"""The single write path: references, relation shapes, DAG, duplicates — and nothing written on a problem."""
from __future__ import annotations

import pytest

from conftest import USCC_A, tiny_graph_objects, tiny_graph_relations
from graph.schema import Enterprise, LandParcel, Project, Segment
from graph.store import RelRec
from graph.writer import Loc, Plan, ValidationFailed, validate, write_objects


@pytest.fixture
def store(sqlite_store):
    write_objects(sqlite_store, tiny_graph_objects(), tiny_graph_relations())
    return sqlite_store


def test_unknown_reference_names_row_and_field(store):
    before = store.counts()
    plan = Plan()
    plan.add_node(Segment(key="ic.x", name="新环节", chain="nochain"), Loc("segments.csv", 7))
    with pytest.raises(ValidationFailed) as e:
        plan.commit(store)
    p = e.value.problems[0]
    assert (p.file, p.row, p.field) == ("segments.csv", 7, "chain") and "nochain" in p.message
    assert store.counts() == before


def test_cycle_in_upstream_of_is_refused(store):
    with pytest.raises(ValidationFailed) as e:
        write_objects(store, [], [RelRec("UPSTREAM_OF", "Segment", "ic.app", "Segment", "ic.mat")])
    assert "环路" in str(e.value)


def test_relation_between_wrong_labels_is_refused(store):
    with pytest.raises(ValidationFailed) as e:
        write_objects(store, [], [RelRec("SUPPLIES", "Enterprise", USCC_A, "Segment", "ic.fab")])
    assert "终点应为 Enterprise" in str(e.value)


def test_duplicate_key_in_one_batch(store):
    plan = Plan()
    plan.add_node(Segment(key="ic.y", name="甲", chain="ic"), Loc("s.csv", 2))
    plan.add_node(Segment(key="ic.y", name="乙", chain="ic"), Loc("s.csv", 3))
    assert plan.problems and plan.problems[0].row == 3 and "第2行" in plan.problems[0].message


def test_model_validation_messages_name_fields():
    obj, probs = validate("LandParcel", {"key": "p1", "name": "地块", "region": "330800", "area_mu": -3,
                                         "far_min": 2.0, "far_max": 1.0}, Loc("parcels.csv", 2))
    assert obj is None
    fields = {p.field for p in probs}
    assert "area_mu" in fields
    obj, probs = validate("LandParcel", {"key": "p1", "name": "地块", "region": "330800", "area_mu": 3,
                                         "far_min": 2.0, "far_max": 1.0})
    assert obj is None and "容积率下限" in probs[0].message and probs[0].field == "far_max"
    _, probs = validate("Project", {"key": "p", "name": "x", "land_min_mu": 80, "land_max_mu": 50})
    assert probs[0].field == "land_max_mu" and "大于上限" in probs[0].message
    _, probs = validate("Enterprise", {"key": "e1", "name": "x", "uscc": "91330100799655058C"})
    assert probs[0].field == "uscc" and "校验位" in probs[0].message
    _, probs = validate("Project", {"key": "p", "name": "x", "land_use": "9999"})
    assert "用地性质" in probs[0].message and probs[0].field == "land_use"
    _, probs = validate("Enterprise", {"key": "91330100799655058C", "name": "x"})
    assert probs[0].field == "key" and "校验位" in probs[0].message


def test_uscc_shaped_key_must_be_valid():
    with pytest.raises(Exception) as e:
        Enterprise(key="91330100799655058C", name="x")
    assert "校验位" in str(e.value)
    # a dataset keyed by stock codes keeps its own ids
    assert Enterprise(key="600373.SH", name="x").uscc is None
    assert Enterprise(key=USCC_A, name="x").uscc == USCC_A


def test_changing_a_reference_moves_the_relation(store):
    from graph.service import upsert_node
    from graph.schema import Label

    upsert_node(store, label=Label.Enterprise, data={"key": USCC_A, "name": "甲", "region": "440300"}, actor="t")
    regions = [n.key for n in store.neighbours("Enterprise", USCC_A, rel_type="LOCATED_IN", direction="out")]
    assert regions == ["440300"]
    log = store.list_audit()
    assert log[0]["before"]["region"] == "330800" and log[0]["after"]["region"] == "440300"


def test_project_references_become_relations(store):
    write_objects(store, [Project(key="prj1", name="封测项目", chain="ic", segment="ic.pkg", investor=USCC_A)])
    targets = {n.key for n in store.neighbours("Project", "prj1", rel_type="TARGETS", direction="out")}
    assert targets == {"ic", "ic.pkg"}
    assert [n.key for n in store.neighbours("Project", "prj1", rel_type="PROPOSES", direction="in")] == [USCC_A]


def test_relation_problem_names_the_unknown_end(store):
    plan = Plan()
    plan.add_rel(RelRec("SUPPLIES", "Enterprise", USCC_A, "Enterprise", "ghost"), Loc("supplies.csv", 4),
                 src_field="supplier_id", dst_field="customer_id")
    with pytest.raises(ValidationFailed) as e:
        plan.commit(store)
    assert [(p.row, p.field) for p in e.value.problems] == [(4, "customer_id")]


def test_all_problems_reported_at_once(store):
    plan = Plan()
    plan.add_node(Segment(key="ic.q", name="甲", chain="nochain"), Loc("s.csv", 2))
    plan.add_node(Segment(key="ic.q", name="乙", chain="ic"), Loc("s.csv", 3))
    with pytest.raises(ValidationFailed) as e:
        plan.commit(store)
    assert {(p.row, p.field) for p in e.value.problems} == {(2, "chain"), (3, "key")}


def test_fields_naming_nodes_must_exist(store):
    with pytest.raises(ValidationFailed) as e:
        write_objects(store, [Segment(key="ic.sub", name="子环节", chain="ic", parent="ic.none")])
    assert e.value.problems[0].field == "parent"
    with pytest.raises(ValidationFailed) as e:
        write_objects(store, [LandParcel(key="pc9", name="地块", region="330800", area_mu=10, allowed_chains=["zz"])])
    assert e.value.problems[0].field == "allowed_chains"


def test_parcel_needs_known_park(store):
    with pytest.raises(ValidationFailed) as e:
        write_objects(store, [LandParcel(key="pc1", name="地块1", park="nopark", region="330800", area_mu=10)])
    assert e.value.problems[0].field == "park"


def test_every_fact_keeps_its_source(store):
    plan = Plan(source="import:new.csv")
    plan.add_node(Segment(key="ic.z", name="新环节", chain="ic"))
    plan.add_node(Segment(key="ic.w", name="另一环节", chain="ic", source="衢政办发〔2024〕17号"))
    plan.add_rel(RelRec("UPSTREAM_OF", "Segment", "ic.z", "Segment", "ic.w"))
    plan.commit(store)
    assert store.get("Segment", "ic.z")["source"] == "import:new.csv"
    assert store.get("Segment", "ic.w")["source"] == "衢政办发〔2024〕17号"
    rel = next(r for r in store.iter_relations("UPSTREAM_OF") if r.src_key == "ic.z")
    assert rel.props["source"] == "import:new.csv"
