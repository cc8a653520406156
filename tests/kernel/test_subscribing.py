"""The one rule of who may subscribe to what (内容订阅), shared by the subscribe command and the pages' button."""
from __future__ import annotations

from kernel.subscribing import subscribe_refusal


def test_who_may_subscribe_to_what():
    for role in ("admin", "officer"):
        assert subscribe_refusal(role, None, "firm", "91330800X", None) is None
        assert subscribe_refusal(role, None, "parcel", "p1", "other_park") is None
    assert "只读" in subscribe_refusal("viewer", None, "region", "330800", None)
    assert subscribe_refusal("park_admin", "zz", "park", "zz", None) is None
    assert subscribe_refusal("park_admin", "zz", "parcel", "p1", "zz") is None
    assert subscribe_refusal("park_admin", "zz", "project", "j1", "zz") is None
    assert "不能订阅企业" in subscribe_refusal("park_admin", "zz", "firm", "91330800X", None)
    assert "本园区（zz）" in subscribe_refusal("park_admin", "zz", "park", "other", None)
    assert "本园区" in subscribe_refusal("park_admin", "zz", "parcel", "p2", "other")
    assert "本园区" in subscribe_refusal("park_admin", "zz", "project", "j2", None)  # a project in no park
