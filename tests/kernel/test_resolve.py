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


@pytest.fixture
def firms(sqlite_store):
    from tests.factories import USCC_A, USCC_B, enterprise

    objects, relations = tiny_graph()
    objects = [o for o in objects if getattr(o, "key", None) not in (USCC_A, USCC_B)]
    objects += [enterprise(key=USCC_A, name="中芯国际集成电路制造（上海）有限公司（合成）", short_name="示例中芯"),
                enterprise(key=USCC_B, name="ＡＢＣ示例科技有限公司（合成）", short_name="示例同名"),
                enterprise(key="91330800MA2TWIN22", name="另一示例企业（合成）", short_name="示例同名"),
                enterprise(key="91330800MA2NAME33", name="示例中芯", short_name="示例别名")]
    write_objects(sqlite_store, objects, [r for r in relations if USCC_A not in (r.src_key, r.dst_key)
                                          and USCC_B not in (r.src_key, r.dst_key)])
    return Snapshot.build(sqlite_store)


def test_a_firm_by_its_short_name_a_lower_case_code_or_half_width_brackets(firms):
    from tests.factories import USCC_A, USCC_B

    r = resolver(firms)
    for typed in ("91330100799655058b", " 91330100799655058B ", "中芯国际集成电路制造(上海)有限公司(合成)",
                  "中芯国际集成电路制造（上海）有限公司（合成）"):
        assert r.key("Enterprise", r.enterprise(typed)) == USCC_A, typed
    assert r.key("Enterprise", r.enterprise("abc示例科技有限公司(合成)")) == USCC_B  # full-width letters, any case
    assert r.key("Enterprise", r.enterprise("示例别名")) == "91330800MA2NAME33"
    assert r.key("Enterprise", r.enterprise("中芯国际\u200b集成电路制造(上海)有限公司(合成)")) == USCC_A  # pasted: a zero-width space


def test_a_firms_own_name_wins_over_another_firms_short_name(firms):
    r = resolver(firms)
    assert r.key("Enterprise", r.enterprise("示例中芯")) == "91330800MA2NAME33"  # a name, before 简称


def test_a_short_name_two_firms_share_is_ambiguous_and_lists_both(firms):
    with pytest.raises(AmbiguousName) as e:
        resolver(firms).enterprise("示例同名")
    assert {"ＡＢＣ示例科技有限公司（合成）（9144030071526726XG）", "另一示例企业（合成）（91330800MA2TWIN22）"} \
        <= set(e.value.candidates)


def test_a_short_name_wins_over_another_firms_name_that_merely_starts_with_it(sqlite_store):
    """Decided: a 简称 is what the firm is called; another firm whose full name only begins with the same words
    (a parent group, a namesake) is found by its own name, not by that prefix. So 巨化 is the firm whose 简称 is
    巨化, and 巨化集团 the group — the 项目库 import's investor names and the dossier read the same way."""
    from tests.factories import enterprise

    objects, relations = tiny_graph()
    write_objects(sqlite_store, objects + [
        enterprise(key="91330800MA2GROUP1", name="巨化集团有限公司（合成）"),
        enterprise(key="91330800MA2SHARE2", name="浙江巨化股份有限公司（合成）", short_name="巨化")], relations)
    r = resolver(Snapshot.build(sqlite_store))
    assert r.key("Enterprise", r.enterprise("巨化")) == "91330800MA2SHARE2"
    assert r.key("Enterprise", r.enterprise("巨化集团")) == "91330800MA2GROUP1"
