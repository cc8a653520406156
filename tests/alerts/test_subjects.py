"""The subject of a subscription, on both backends: a parcel is found like every other subject — by key, exact name,
or a unique part of its name (without “（合成）”) — and a typo answers 422 with the resolver's suggestions."""
from __future__ import annotations

import pytest

from alerts.subjects import resolve_subject
from factories import seeded
from graph.snapshot import Snapshot
from kernel.errors import Invalid


@pytest.fixture(scope="module")
def app_data():
    return seeded(scale=200, seed=7)


def test_a_parcel_by_key_name_or_a_unique_part_of_its_name(store):
    snap = Snapshot.build(store)
    key, name = "syn.parcel.000005", store.get("LandParcel", "syn.parcel.000005")["name"]
    assert name.endswith("（合成）")
    assert resolve_subject(snap, "parcel", key) == (key, name)
    assert resolve_subject(snap, "parcel", name) == (key, name)
    assert resolve_subject(snap, "parcel", name.removesuffix("（合成）")) == (key, name)


def test_a_mistyped_parcel_gets_suggestions_like_every_subject(store):
    snap = Snapshot.build(store)
    name = store.get("LandParcel", "syn.parcel.000005")["name"]
    typo = name.replace("智造", "制造")
    with pytest.raises(Invalid) as err:
        resolve_subject(snap, "parcel", typo)
    assert err.value.status == 422 and err.value.errors[0]["field"] == "subject"
    assert "您是不是要找" in err.value.detail and name in err.value.detail
