"""The same seed on SQLite and on Neo4j gives the same answers: snapshot arrays, chain maps, targets, 土地超市,
policies and the project library — before and after the same writes (which the Neo4j snapshot patches in from its
change log, as SQLite's does).

Everything is asked through the API of two apps, one per backend, and the JSON compared whole; ids that belong
to a store (store_id, request ids) and clock readings are left out of the comparison."""
from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import create_key
from api.settings import Settings
from conftest import neo4j_test_store, require_neo4j
from graph.snapshot import Snapshot
from graph.sqlite_store import SQLiteStore
from factories import seeded

AS_OF = dt.date(2025, 6, 30)
VOLATILE = {"backend", "request_id", "store_id", "built_seconds", "seconds", "generated_at", "elapsed_ms"}


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    require_neo4j()
    d = tmp_path_factory.mktemp("agree")
    stores = {"sqlite": SQLiteStore(d / "a.db"), "neo4j": neo4j_test_store()}
    clients, keys = {}, {}
    try:
        for name, store in stores.items():
            seeded(scale=150, seed=11, as_of=AS_OF).fill(store)
            keys[name] = create_key(store, name="对照", role="admin")[1]
            app = create_app(Settings(snapshot_dir=str(d / f"snaps-{name}")), store=store)
            clients[name] = TestClient(app).__enter__()
        yield stores, clients, keys
    finally:
        for c in clients.values():
            c.__exit__(None, None, None)
        for s in stores.values():
            s.close()


def _strip(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _strip(v) for k, v in x.items() if k not in VOLATILE}
    if isinstance(x, list):
        return [_strip(v) for v in x]
    return x


def _both(pair, method: str, url: str, **kw) -> Any:
    _, clients, keys = pair
    out = []
    for name, c in clients.items():
        r = c.request(method, url, headers={"X-API-Key": keys[name]}, **kw)
        assert r.status_code < 500, (name, url, r.text[:500])
        out.append((r.status_code, _strip(r.json()) if "json" in r.headers.get("content-type", "") else r.content))
    (code_a, body_a), (code_b, body_b) = out
    assert code_a == code_b, (url, code_a, code_b)
    assert body_a == body_b, f"{url}: the backends disagree"
    return body_a


def assert_same_arrays(a: Snapshot, b: Snapshot) -> None:
    assert a.version == b.version
    for lab, la in a.labels.items():
        lb = b.labels[lab]
        assert la.keys.tolist() == lb.keys.tolist(), lab
        assert la.names.tolist() == lb.names.tolist(), lab
        assert set(la.num) == set(lb.num) and set(la.cat) == set(lb.cat) and set(la.lists) == set(lb.lists), lab
        for f in la.num:
            np.testing.assert_array_equal(la.num[f], lb.num[f], err_msg=f"{lab}.{f}")
        for f in la.cat:
            assert la.cat[f][1].tolist() == lb.cat[f][1].tolist(), f"{lab}.{f}"
            np.testing.assert_array_equal(la.cat[f][0], lb.cat[f][0], err_msg=f"{lab}.{f}")
        for f in la.lists:
            assert la.lists[f][1].tolist() == lb.lists[f][1].tolist(), f"{lab}.{f}"
            assert (la.lists[f][0] != lb.lists[f][0]).nnz == 0, f"{lab}.{f}"
    assert set(a.adj) == set(b.adj)
    for k, m in a.adj.items():
        assert m.shape == b.adj[k].shape and (m != b.adj[k]).nnz == 0, k


def _snapshots(pair) -> tuple[Snapshot, Snapshot]:
    _, clients, _ = pair
    return tuple(c.app.state.chainmatch.snapshots.get() for c in clients.values())  # type: ignore[return-value]


def test_the_seed_lands_identically(pair):
    stores, *_ = pair
    a, b = (s.counts() for s in stores.values())
    assert a == b and a["nodes"]["Enterprise"] > 100
    assert_same_arrays(*_snapshots(pair))
    assert _both(pair, "GET", "/ready")["status"] == "ready"


def _some(pair, kind: str, n: int = 3, **params) -> list[str]:
    return [x["key"] for x in _both(pair, "GET", f"/api/v1/{kind}", params={"limit": n, **params})["items"]]


def test_reads_chain_maps_and_targets_agree(pair):
    _both(pair, "GET", "/api/v1/enterprises", params={"region": "330800", "sort": "revenue_wan", "desc": True})
    _both(pair, "GET", "/api/v1/parcels", params={"area_mu_min": 50, "limit": 100})
    _both(pair, "GET", "/api/v1/chain-maps", params={"region": "衢州"})
    for chain in ("集成电路", "nm", "特种纸"):
        _both(pair, "GET", f"/api/v1/chains/{chain}/map", params={"region": "衢州"})
        _both(pair, "GET", f"/api/v1/chains/{chain}/gaps", params={"region": "330800"})
    targets = _both(pair, "GET", "/api/v1/recommendations/targets", params={"region": "衢州", "chain": "ic", "k": 20})
    assert targets["items"], "no targets to compare"
    firm = targets["items"][0]["enterprise"]
    _both(pair, "GET", f"/api/v1/enterprises/{firm}/similar")
    _both(pair, "GET", f"/api/v1/enterprises/{firm}/neighbours")
    for fund in _some(pair, "funds", 2):
        _both(pair, "GET", f"/api/v1/funds/{fund}/targets", params={"region": "衢州"})


def test_land_policies_and_pipeline_agree(pair):
    for project in _some(pair, "projects", 3):
        _both(pair, "POST", "/api/v1/land/match", json={"project": project})
        _both(pair, "POST", "/api/v1/incentives/calculate", json={"project": project, "on": "2025-06-30"})
    for parcel in _some(pair, "parcels", 3):
        _both(pair, "GET", f"/api/v1/parcels/{parcel}/projects")
    _both(pair, "POST", "/api/v1/land/assign", json={})
    for path in ("board", "overdue", "stalled", "evaluations"):
        _both(pair, "GET", f"/api/v1/pipeline/{path}", params={"today": "2025-06-30"})


def test_after_the_same_writes_they_still_agree(pair):
    """The same writes on both — through the API, and through the services with one clock (a reservation and a
    tracking entry carry the moment they were made); each snapshot is patched from its store's change log and
    equals a full build of the other backend."""
    from pipeline import commands as pl
    from land.commands import reserve_parcel

    stores, clients, _ = pair
    now = dt.datetime(2025, 6, 30, 9, 30, tzinfo=dt.timezone.utc)
    _snapshots(pair)  # both current before the writes, so the next reads patch
    project, parcel = next((pj, m["feasible"][0]["parcel"]) for pj in _some(pair, "projects", 100)
                           if (m := _both(pair, "POST", "/api/v1/land/match", json={"project": pj}))["feasible"])
    for store in stores.values():
        reserve_parcel(store, parcel=parcel, project=project, actor="对照", ttl_hours=48, now=now)
        pl.add_tracking(store, key=project, note="两个后端同一条跟踪", actor="对照", on="2025-06-30",
                        today=AS_OF, now=now)
    firm = _some(pair, "enterprises", 1, region="330800")[0]
    body = _both(pair, "GET", f"/api/v1/enterprises/{firm}")
    body = {k: v for k, v in body.items() if k != "key"} | {"revenue_wan": 777.0, "tags": ["专精特新", "上市"]}
    _both(pair, "PUT", f"/api/v1/enterprises/{firm}", json=body)
    _both(pair, "PUT", "/api/v1/enterprises/agree-new", json={"name": "对照新设企业（合成）", "region": "330802",
                                                             "synthetic": True, "source": "test"})
    _both(pair, "DELETE", f"/api/v1/funds/{_some(pair, 'funds', 1)[0]}")
    a, b = _snapshots(pair)
    assert {c.app.state.chainmatch.snapshots.last_refresh for c in clients.values()} == {"patched"}
    assert_same_arrays(a, b)
    assert_same_arrays(b, Snapshot.build(stores["sqlite"]))
    _both(pair, "GET", f"/api/v1/parcels/{parcel}")
    _both(pair, "GET", f"/api/v1/pipeline/projects/{project}", params={"today": "2025-06-30"})
    _both(pair, "GET", "/api/v1/recommendations/targets", params={"region": "衢州", "chain": "ic", "k": 20})
    _both(pair, "POST", "/api/v1/land/match", json={"project": project})
    _both(pair, "GET", "/api/v1/pipeline/board", params={"today": "2025-06-30"})
    # the audit trail tells the same story
    logs = [[(e["actor"].split("(")[0], e["action"], e["target"], e["before"], e["after"]) for e in s.list_audit(limit=20)]
            for s in stores.values()]
    assert logs[0] == logs[1] and len(logs[0]) >= 5
