"""The one resolver of typed names (kernel/resolve.py): what an officer types finds the node, or says what was meant."""
from __future__ import annotations

import pytest

from graph.snapshot import Snapshot
from graph.writer import write_objects
from kernel.errors import AmbiguousName, UnknownName
from kernel.resolve import resolver
from tests.factories import park, tiny_graph


@pytest.fixture
def snap(sqlite_store):
    objects, relations = tiny_graph()
    objects += [park(key="ly-green", name="龙游绿色产业园", region="330800"),
                park(key="js-green", name="江山绿色产业园", region="330800")]  # tiny_graph has 衢州智造新城 (qz-zz)
    write_objects(sqlite_store, objects, relations)
    return Snapshot.build(sqlite_store)


def test_a_park_name_without_its_city_prefix_finds_the_park(snap):
    r = resolver(snap)
    assert r.key("Park", r.park("智造新城")) == "qz-zz"
    assert r.key("Park", r.park("衢州智造新城")) == "qz-zz"


def test_a_fragment_shared_by_several_names_is_ambiguous_and_lists_them(snap):
    with pytest.raises(AmbiguousName) as e:
        resolver(snap).park("绿色")
    assert {"龙游绿色产业园（ly-green）", "江山绿色产业园（js-green）"} <= set(e.value.candidates)


def test_a_short_segment_name_and_a_typo(snap):
    r = resolver(snap)
    ic = r.chain("集成电路")
    assert r.key("Segment", r.segment("晶圆", chain=ic)) == "ic.fab"
    with pytest.raises(UnknownName) as e:
        r.chain("集成电漏")
    assert any("集成电路" in c for c in e.value.candidates)


def test_a_name_given_in_a_request_body_answers_422_naming_the_field_with_the_suggestions(snap):
    """A name in a body (a subscription's subject, a match's chain) is invalid input, not a missing resource."""
    with pytest.raises(UnknownName) as e:
        resolver(snap).chain("集成电漏", param="subject")
    invalid = e.value.in_body()
    assert invalid.status == 422 and invalid.errors[0]["field"] == "subject"
    assert "您是不是要找" in invalid.detail and "集成电路" in invalid.detail
    with pytest.raises(AmbiguousName) as a:
        resolver(snap).park("绿色", param="subject")
    assert a.value.in_body().status == 422 and "江山绿色产业园" in a.value.in_body().detail
