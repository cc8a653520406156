"""API skeleton: reads with filters/pagination, problem+json errors, keys with roles, audit."""
from __future__ import annotations

import pytest

from api.auth import create_key
from factories import USCC_A, USCC_B, graph_data, tiny_graph_objects, tiny_graph_relations
from graph.schema import LandParcel, Park


@pytest.fixture(scope="module")
def app_data():
    return graph_data(tiny_graph_objects() + [
        Park(key="other-park", name="别的园区", region="330800"),
        LandParcel(key="pc-own", name="本园区地块", park="qz-zz", region="330800", area_mu=80),
        LandParcel(key="pc-other", name="他园区地块", park="other-park", region="330800", area_mu=50),
    ], tiny_graph_relations())


def h(keys, role):
    return {"X-API-Key": keys[role]}


def test_health_and_ready(api_env):
    client = api_env.client
    assert client.get("/health").json() == {"status": "ok"}
    r = client.get("/ready").json()
    assert r["status"] == "ready" and r["backend"] in ("sqlite", "neo4j") and r["counts"]["Enterprise"] == 3


def test_list_with_filters_sort_and_pagination(api_env):
    client = api_env.client
    r = client.get("/api/v1/enterprises", params={"region": "440300", "sort": "revenue_wan", "desc": True})
    body = r.json()
    assert r.status_code == 200 and body["total"] == 2 and [e["key"] for e in body["items"]] == [USCC_B, "91110000802100433B"]
    r = client.get("/api/v1/enterprises", params={"revenue_wan_min": 10000, "revenue_wan_max": 100000})
    assert [e["key"] for e in r.json()["items"]] == [USCC_A]
    r = client.get("/api/v1/segments", params={"chain": "ic", "limit": 2, "offset": 2, "sort": "key"})
    assert r.json()["total"] == 4 and [s["key"] for s in r.json()["items"]] == ["ic.mat", "ic.pkg"]
    r = client.get("/api/v1/parcels", params={"area_mu_min": 60})
    assert [p["key"] for p in r.json()["items"]] == ["pc-own"]


def test_get_and_neighbours(api_env):
    client = api_env.client
    assert client.get("/api/v1/chains/ic").json()["name"] == "集成电路"
    r = client.get(f"/api/v1/enterprises/{USCC_A}/neighbours", params={"rel": "SUPPLIES", "direction": "out"})
    assert [(n["key"], n["name"]) for n in r.json()] == [(USCC_B, "乙晶圆（合成）")]


def test_errors_are_problem_json_in_chinese(api_env):
    client = api_env.client
    r = client.get("/api/v1/enterprises/nope")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    assert "不存在" in r.json()["detail"] and r.json()["request_id"]
    r = client.get("/api/v1/enterprises", params={"limit": 10_000})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "limit"
    r = client.get("/api/v1/enterprises", params={"sort": "not_a_field"})
    assert r.status_code == 422


def test_writes_need_a_key_and_the_right_role(api_env):
    client, keys = api_env.client, api_env.keys
    body = {"name": "新链"}
    assert client.put("/api/v1/chains/x1", json=body).status_code == 401
    assert client.put("/api/v1/chains/x1", json=body, headers={"X-API-Key": "cm_bad_key"}).status_code == 401
    assert client.put("/api/v1/chains/x1", json=body, headers=h(keys, "viewer")).status_code == 403
    assert client.put("/api/v1/parks/p9", json={"name": "园", "region": "330800"}, headers=h(keys, "officer")).status_code == 403


def test_park_admin_is_scoped_to_its_park(api_env):
    client, keys = api_env.client, api_env.keys
    own = {"name": "本园区地块", "park": "qz-zz", "region": "330800", "area_mu": 90}
    assert client.put("/api/v1/parcels/pc-own", json=own, headers=h(keys, "park_admin")).status_code == 200
    other = {"name": "他园区地块", "park": "other-park", "region": "330800", "area_mu": 55}
    r = client.put("/api/v1/parcels/pc-other", json=other, headers=h(keys, "park_admin"))
    assert r.status_code == 403 and "本园区" in r.json()["detail"]
    # moving its own parcel into another park is refused too
    r = client.put("/api/v1/parcels/pc-own", json=own | {"park": "other-park"}, headers=h(keys, "park_admin"))
    assert r.status_code == 403
    assert client.delete("/api/v1/parcels/pc-other", headers=h(keys, "park_admin")).status_code == 403
    assert client.put("/api/v1/chains/x2", json={"name": "链"}, headers=h(keys, "park_admin")).status_code == 403


def test_officer_write_is_validated_and_audited(api_env):
    client, keys, store = api_env.client, api_env.keys, api_env.store
    r = client.put("/api/v1/segments/ic.eda", json={"name": "EDA", "chain": "ic", "stream": "上游"},
                   headers=h(keys, "officer"))
    assert r.status_code == 201 and r.json()["stream"] == "上游"
    r = client.put("/api/v1/segments/ic.bad", json={"name": "坏", "chain": "nochain"}, headers=h(keys, "officer"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "chain"
    assert store.get("Segment", "ic.bad") is None
    r = client.put("/api/v1/enterprises/91330100799655058C", json={"name": "坏码"}, headers=h(keys, "officer"))
    assert r.status_code == 422 and "校验位" in r.json()["detail"]
    log = client.get("/api/v1/audit", headers=h(keys, "admin")).json()
    entry = next(e for e in log if e["target"] == "Segment/ic.eda")
    assert entry["actor"].startswith("officer-user") and entry["before"] is None and entry["after"]["chain"] == "ic"
    assert client.get("/api/v1/audit", headers=h(keys, "officer")).status_code == 403
    assert client.delete("/api/v1/segments/ic.eda", headers=h(keys, "officer")).status_code == 204
    assert client.get("/api/v1/segments/ic.eda").status_code == 404


def test_revoked_key_is_refused(api_env):
    client, store = api_env.client, api_env.store
    rec, token = create_key(store, name="temp", role="officer")
    assert client.get("/api/v1/whoami", headers={"X-API-Key": token}).json()["role"] == "officer"
    store.revoke_api_key(rec.key_id, "2026-01-01T00:00:00+00:00")
    assert client.get("/api/v1/whoami", headers={"X-API-Key": token}).status_code == 401


def test_oversized_body_is_refused(api_env):
    client, keys = api_env.client, api_env.keys
    r = client.put("/api/v1/chains/big", content=b"x" * (21 * 1024 * 1024), headers=h(keys, "officer") | {"content-type": "application/json"})
    assert r.status_code == 413


def test_docs_work_offline(api_env):
    client = api_env.client
    page = client.get("/docs").text
    assert "cdn" not in page.lower() and "/static/docs/swagger-ui-bundle.js" in page
    assert client.get("/static/docs/swagger-ui-bundle.js").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/api/v1/enterprises" in spec["paths"] and "/api/v1/parcels/{key}" in spec["paths"]
    assert "集成电路" in client.get("/").text
