"""土地超市 storefront listing filters."""
from __future__ import annotations

import pytest

from factories import graph_data, land_world
from graph.snapshot import Snapshot
from land.data import land_data
from land.storefront import list_parcels
from land_helpers import NOW


@pytest.fixture(scope="module")
def app_data():
    return graph_data(*land_world(), park="qz")


@pytest.fixture
def data(store):
    return land_data(Snapshot.build(store))


def test_list_parcels_filters(data):
    keys = lambda idx: sorted(data.parcels.keys[idx].tolist())  # noqa: E731
    idx, total = list_parcels(data, now=NOW)
    assert keys(idx) == ["A", "B", "C", "G"] and total == 4  # E reserved (active), D transferred
    assert keys(list_parcels(data, chain="bio", now=NOW)[0]) == ["B", "C", "G"]  # 产业准入 admits bio, or unrestricted
    assert keys(list_parcels(data, area_min=79, area_max=85, now=NOW)[0]) == ["A", "B"]
    assert keys(list_parcels(data, invest_wan=22000, now=NOW)[0]) == ["B", "C", "G"]  # 22000/80 = 275 < 300 for A
    assert keys(list_parcels(data, park="qz", now=NOW)[0]) == ["A", "G"]
    assert keys(list_parcels(data, standard_only=True, now=NOW)[0]) == ["A"]
    assert keys(list_parcels(data, status="all", now=NOW)[0]) == ["A", "B", "C", "D", "E", "G"]
    assert keys(list_parcels(data, status="reserved", now=NOW)[0]) == ["E"]
    idx, total = list_parcels(data, status="all", limit=2, offset=2, now=NOW)
    assert len(idx) == 2 and total == 6
