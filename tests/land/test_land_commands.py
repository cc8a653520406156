"""土地超市 reservation commands: versions and audit, rules and park scope, lazy expiry and sweep, and optimistic
concurrency (two reservations that read the same version: one wins)."""
from __future__ import annotations

import datetime as dt
import threading

import pytest

from factories import graph_data, land_world
from graph.schema import Project
from graph.writer import write_objects
from land.commands import release_parcel, reserve_parcel, sweep_expired_reservations, transfer_parcel
from land.reservations import (
    InvalidRequest, ParcelForbidden, ParcelNotFound, ReservationConflict, RuleViolation, effective_status,
)
from land_helpers import NOW


@pytest.fixture(scope="module")
def app_data():
    return graph_data(*land_world(), park="qz")


def test_reserve_release_transfer_with_versions_and_audit(store):
    p = reserve_parcel(store, parcel="A", project="P1", actor="tester", ttl_hours=24, now=NOW)
    assert p["status"] == "reserved" and p["rev"] == 1 and p["reserved_by"] == "P1"
    assert p["reserved_at"] == "2026-01-01T00:00:00Z" and p["expires_at"] == "2026-01-02T00:00:00Z"
    stored = store.get("LandParcel", "A")
    assert stored["status"] == "reserved" and stored["min_invest_intensity_wan_per_mu"] == 300  # other facts kept
    with pytest.raises(ReservationConflict, match="已被本项目预留"):
        reserve_parcel(store, parcel="A", project="P1", actor="tester", now=NOW)
    with pytest.raises(ReservationConflict, match="预留给的是项目「封测基地项目」，不是项目「原料药项目」"):
        release_parcel(store, parcel="A", actor="tester", project="P2")
    p = release_parcel(store, parcel="A", actor="tester", project="P1", reason="项目暂缓")
    assert p["status"] == "available" and p["rev"] == 2 and "reserved_by" not in p
    with pytest.raises(ReservationConflict, match="未被预留"):
        release_parcel(store, parcel="A", actor="tester")
    p = transfer_parcel(store, parcel="A", project="P1", actor="tester", now=NOW)
    assert p["status"] == "transferred" and p["transferred_to"] == "P1" and p["rev"] == 3
    with pytest.raises(ReservationConflict, match="已出让"):
        reserve_parcel(store, parcel="A", project="P1", actor="tester", now=NOW)
    audit = [a for a in store.list_audit(limit=20) if a["target"] == "LandParcel/A"]
    assert [a["action"] for a in audit] == ["land.transfer", "land.release", "land.reserve"]  # newest first
    rel = next(a for a in audit if a["action"] == "land.release")
    assert rel["before"]["reserved_by"] == "P1" and rel["after"] == {"status": "available", "rev": 2, "note": "项目暂缓"}


def test_reserve_checks_rules_project_and_scope(store):
    with pytest.raises(RuleViolation) as e:
        reserve_parcel(store, parcel="B", project="P1", actor="t", now=NOW)
    assert e.value.errors == [{"field": "chain", "rule": "chain", "label": "产业准入",
                               "message": "产业链「集成电路」不在产业准入范围（生物医药）"}]
    with pytest.raises(ParcelNotFound):
        reserve_parcel(store, parcel="nope", project="P1", actor="t", now=NOW)
    with pytest.raises(InvalidRequest, match="项目 'nope' 不存在"):
        reserve_parcel(store, parcel="A", project="nope", actor="t", now=NOW)
    with pytest.raises(ParcelForbidden):
        reserve_parcel(store, parcel="A", project="P1", actor="t", park_scope="js", now=NOW)
    assert reserve_parcel(store, parcel="A", project="P1", actor="t", park_scope="qz", now=NOW)["status"] == "reserved"
    with pytest.raises(ReservationConflict, match="已被项目「原料药项目」预留"):
        transfer_parcel(store, parcel="E", project="P1", actor="t", now=NOW)
    assert store.get("LandParcel", "B").get("rev") is None  # nothing written by the refusals


def test_expired_reservation_is_replaced_lazily_and_swept(store):
    assert effective_status(store.get("LandParcel", "G"), NOW) == "available"
    p = reserve_parcel(store, parcel="G", project="P1", actor="t", now=NOW)
    assert p["reserved_by"] == "P1" and p["rev"] == 1
    entry = next(a for a in store.list_audit(limit=5) if a["target"] == "LandParcel/G")
    assert "替换已过期的预留（P2" in entry["after"]["note"]
    # a sweep after P1's reservation ran out releases it; an active one (E, until 2030) stays
    later = NOW + dt.timedelta(days=30)
    assert sweep_expired_reservations(store, actor="sweeper", now=later) == ["G"]
    assert store.get("LandParcel", "G")["status"] == "available"
    assert store.get("LandParcel", "E")["status"] == "reserved"
    assert sweep_expired_reservations(store, actor="sweeper", now=later) == []


class RacingStore:
    """A store whose reads wait at a barrier, so that two reservations both read the parcel before either
    writes — the interleaving optimistic concurrency exists for."""

    def __init__(self, inner, parties):
        self._inner = inner
        self._barrier = threading.Barrier(parties, timeout=10)

    def get(self, label, key):
        r = self._inner.get(label, key)
        if label == "LandParcel":
            self._barrier.wait()
        return r

    def __getattr__(self, name):
        return getattr(self._inner, name)


def test_two_reservations_that_read_the_same_version_one_wins(store):
    racing = RacingStore(store, 2)
    results: dict[str, object] = {}

    def go(project):
        try:
            results[project] = reserve_parcel(racing, parcel="G", project=project, actor=project, now=NOW)
        except ReservationConflict as e:
            results[project] = e

    write_objects(store, [Project(key="P4", name="另一个封测项目", chain="ic", total_investment_wan=30000,
                                  land_min_mu=70, land_max_mu=90)])
    threads = [threading.Thread(target=go, args=(p,)) for p in ("P1", "P4")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    wins = [k for k, v in results.items() if isinstance(v, dict)]
    losses = [v for v in results.values() if isinstance(v, ReservationConflict)]
    assert len(wins) == 1 and len(losses) == 1
    assert "并发" in losses[0].message  # the store's precondition failed, not the service's own check
    g = store.get("LandParcel", "G")
    assert g["reserved_by"] == wins[0] and g["rev"] == 1
    assert len([a for a in store.list_audit(limit=10) if a["target"] == "LandParcel/G"]) == 1
