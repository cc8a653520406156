"""Access control, proven over every write endpoint the app has — read from the app's routes at test time, so
endpoints added later are covered without editing this file.

For every POST/PUT/PATCH/DELETE route under /api/v1:
  * it either carries a role check (api.deps.require) or is explicitly marked read-only (a computation such as
    land matching) — a write without a key check fails the test;
  * no key → 401 (problem+json, WWW-Authenticate), a malformed, unknown or revoked key → 401;
  * every role the route does not admit → 403; admin always passes the role check;
  * a route a park_admin may use on a park-scoped object (parcels, projects, reservations): that object in another
    park → 403 and nothing written; the same request on its own park's object → not refused.
Read-only POSTs answer anonymous callers and leave the store's version unchanged.
Also: keys are stored hashed, the CLI creates/lists/revokes them, every write is audited (who, when, what,
before/after) and the audit log is readable by admin only.
"""
from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.auth import ROLES, create_key
from api.deps import READ_ONLY, allowed_roles, api_routes
from api.settings import Settings, get_settings
from conftest import raw_bytes
from factories import graph_data, tiny_graph_objects, tiny_graph_relations
from graph.schema import LandParcel, Park, Project
from graph.sqlite_store import SQLiteStore
from graph.writer import write_objects

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
OWN, OTHER = "qz-zz", "other-park"
# park-scoped objects per resource path segment: (own park's key, other park's key)
SCOPED = {"parcels": ("pc-own", "pc-other"), "projects": ("pj-own", "pj-other")}
# values for body fields of park-scoped POSTs that name our objects, per target park (other fields: the example)
FILL = {"project": {OWN: "pj-own", OTHER: "pj-other"}, "ttl_hours": {OWN: 24, OTHER: 24}}


def scoped_objects():
    return [
        Park(key=OTHER, name="别的园区", region="330800"),
        LandParcel(key="pc-own", name="本园区地块", park=OWN, region="330800", area_mu=80),
        LandParcel(key="pc-other", name="他园区地块", park=OTHER, region="330800", area_mu=80),
        Project(key="pj-own", name="本园区项目", park=OWN, chain="ic", land_min_mu=50, land_max_mu=100),
        Project(key="pj-other", name="他园区项目", park=OTHER, chain="ic", land_min_mu=50, land_max_mu=100),
    ]


@pytest.fixture(scope="module")
def app_data():
    return graph_data(tiny_graph_objects() + scoped_objects(), tiny_graph_relations(), park=OWN)


def write_routes(app) -> list[tuple[str, str, Any]]:
    out = []
    for r in api_routes(app):
        if r.path.startswith("/api/v1/"):
            for m in sorted(r.methods & WRITE_METHODS):
                out.append((m, r.path, r))
    return out


def is_read_only(route: Any) -> bool:
    return all((route.openapi_extra or {}).get(k) == v for k, v in READ_ONLY.items())


def url_for(path: str, value: str = "x-key") -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def h(keys, role):
    return {"X-API-Key": keys[role]}


def test_the_route_walk_sees_the_write_endpoints(api_env):
    app = api_env.app
    seen = {(m, p) for m, p, _ in write_routes(app)}
    # a sample that must be there; everything else found is checked the same way
    assert {("PUT", "/api/v1/parcels/{key}"), ("DELETE", "/api/v1/chains/{key}"),
            ("POST", "/api/v1/parcels/{key}/reserve"), ("POST", "/api/v1/land/sweep")} <= seen
    assert len(seen) >= 25


def test_every_write_has_a_role_check_or_is_marked_read_only(api_env):
    app = api_env.app
    unguarded = [f"{m} {p}" for m, p, r in write_routes(app) if allowed_roles(r) is None and not is_read_only(r)]
    assert not unguarded, f"写接口缺少权限检查（api.deps.require）: {unguarded}"


def test_read_only_posts_are_public_and_write_nothing(api_env):
    app, client, store = api_env.app, api_env.client, api_env.store
    for m, p, r in write_routes(app):
        if allowed_roles(r) is not None:
            continue
        v0 = store.version()
        resp = client.request(m, url_for(p, "pc-own"), json={})
        assert resp.status_code not in (401, 403, 500), (m, p, resp.status_code, resp.text[:300])
        assert store.version() == v0, f"{m} {p} is marked read-only but changed the store"


def test_no_key_or_a_bad_key_is_401(api_env):
    app, client, keys, store = api_env.app, api_env.client, api_env.keys, api_env.store
    rec, revoked = create_key(store, name="gone", role="admin")
    store.revoke_api_key(rec.key_id, "2026-01-01T00:00:00+00:00")
    bad = {"": None, "malformed": "not-a-key", "unknown": "cm_000000000000_" + "x" * 43, "revoked": revoked,
           "wrong secret": keys["admin"][:-4] + "AAAA"}
    checked = 0
    for m, p, r in write_routes(app):
        if allowed_roles(r) is None:
            continue
        for why, token in bad.items():
            headers = {"X-API-Key": token} if token else {}
            resp = client.request(m, url_for(p), json={}, headers=headers)
            assert resp.status_code == 401, (m, p, why, resp.status_code, resp.text[:200])
            assert resp.headers["content-type"].startswith("application/problem+json")
            assert resp.headers.get("www-authenticate") == "APIKey"
            assert "API key" in resp.json()["detail"]
            checked += 1
    assert checked >= 20 * len(bad)


def test_roles_a_route_does_not_admit_get_403_and_admin_always_passes(api_env):
    app, client, keys, store = api_env.app, api_env.client, api_env.keys, api_env.store
    refused = 0
    for m, p, r in write_routes(app):
        roles = allowed_roles(r)
        if roles is None:
            continue
        assert "admin" in roles
        for role in ROLES:
            v0 = store.version()
            resp = client.request(m, url_for(p, "no-such-key"), json={}, headers=h(keys, role))
            if role in roles:
                assert resp.status_code not in (401,), (m, p, role, resp.text[:200])
                if resp.status_code == 403:  # only a park-scope refusal may remain, never a role refusal
                    assert "角色" not in resp.json()["detail"], (m, p, role, resp.json())
            else:
                assert resp.status_code == 403, (m, p, role, resp.status_code, resp.text[:200])
                assert role in resp.json()["detail"] and "无权" in resp.json()["detail"]
                assert store.version() == v0  # a refusal writes nothing
                refused += 1
    assert refused >= 20  # viewer alone is refused on every write


def _scoped_target(path: str) -> tuple[str, str] | None:
    """The own/other objects for a route acting on one park-scoped object (`…/parcels/{key}…`)."""
    parts = path.split("/")
    return SCOPED.get(parts[parts.index("{key}") - 1]) if "{key}" in parts else None


def _body(app, route: Any, method: str, store, label: str, key: str, park: str):
    """A body that passes validation, so the park check (which needs the object) is what decides."""
    if route.body_field is None:
        return None
    spec = app.openapi()["paths"][route.path][method.lower()]
    content = spec.get("requestBody", {}).get("content", {}).get("application/json", {})
    ref = content.get("schema", {})
    if "$ref" not in ref and "anyOf" in ref:
        ref = next(s for s in ref["anyOf"] if "$ref" in s)
    schema = app.openapi()["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]
    if method == "PUT":  # replace the object with itself
        return {k: v for k, v in store.get(label, key).items() if k in schema["properties"]}
    body = dict((schema.get("examples") or [{}])[0])  # the documented example, with our objects filled in
    body.update({name: FILL[name][park] for name in schema.get("properties", {}) if name in FILL})
    missing = [name for name in schema.get("required", []) if name not in body]
    assert not missing, f"{method} {route.path}: 请为必填字段 {missing} 提供示例（OpenAPI examples）或在 FILL 中补充"
    return body


def test_park_admin_is_refused_on_another_parks_objects_and_not_on_its_own(api_env):
    app, client, keys, store = api_env.app, api_env.client, api_env.keys, api_env.store
    labels = {"parcels": "LandParcel", "projects": "Project"}
    checked = []
    for m, p, r in write_routes(app):
        roles = allowed_roles(r)
        target = _scoped_target(p)
        if roles is None or "park_admin" not in roles or target is None:
            continue
        parts = p.split("/")
        label = labels[parts[parts.index("{key}") - 1]]
        own, other = target
        write_objects(store, scoped_objects())  # fresh state (reservations undone, deleted objects back)
        v0 = store.version()
        before = store.get(label, other)
        body = _body(app, r, m, store, label, other, OTHER)
        resp = client.request(m, url_for(p, other), json=body, headers=h(keys, "park_admin"))
        assert resp.status_code == 403, (m, p, resp.status_code, resp.text[:300])
        assert "园区" in resp.json()["detail"]
        assert store.version() == v0 and store.get(label, other) == before
        # the control: the same request on its own park's object is not refused
        body = _body(app, r, m, store, label, own, OWN)
        resp = client.request(m, url_for(p, own), json=body, headers=h(keys, "park_admin"))
        assert resp.status_code not in (401, 403), (m, p, resp.status_code, resp.text[:300])
        checked.append(f"{m} {p}")
    write_objects(store, scoped_objects())
    assert {"PUT /api/v1/parcels/{key}", "DELETE /api/v1/projects/{key}",
            "POST /api/v1/parcels/{key}/reserve"} <= set(checked), checked


def test_keys_are_stored_hashed(api_env, tmp_path):
    keys, store = api_env.keys, api_env.store
    token = keys["officer"]
    _, key_id, secret = token.split("_", 2)
    rec = store.get_api_key(key_id)
    assert rec.secret_hash != secret and len(rec.secret_hash) == 64 and secret not in repr(rec)
    raw = raw_bytes(store)
    assert secret.encode() not in raw and rec.secret_hash.encode() in raw


def test_keys_cli_creates_lists_and_revokes(tmp_path, monkeypatch):
    from api.cli import app as cli

    monkeypatch.setenv("CHAINMATCH_SQLITE_PATH", str(tmp_path / "cli.db"))
    get_settings.cache_clear()
    try:
        write_objects(SQLiteStore(tmp_path / "cli.db"), tiny_graph_objects())
        runner = CliRunner()
        r = runner.invoke(cli, ["keys", "create", "--name", "张三", "--role", "officer"])
        assert r.exit_code == 0, r.output
        token = r.output.strip().splitlines()[-1]
        assert token.startswith("cm_")
        key_id = token.split("_")[1]
        r = runner.invoke(cli, ["keys", "create", "--name", "园区", "--role", "park_admin"])
        assert r.exit_code == 2 and "必须指定园区" in r.output
        r = runner.invoke(cli, ["keys", "create", "--name", "园区", "--role", "park_admin", "--park", "nope"])
        assert r.exit_code == 2 and "不存在" in r.output
        r = runner.invoke(cli, ["keys", "list"])
        assert key_id in r.output and "张三" in r.output and token.split("_", 2)[2] not in r.output
        assert runner.invoke(cli, ["keys", "revoke", key_id]).exit_code == 0
        assert "已吊销" in runner.invoke(cli, ["keys", "list"]).output
        store = SQLiteStore(tmp_path / "cli.db")
        app = create_app(Settings(sqlite_path=str(tmp_path / "cli.db"), snapshot_dir=str(tmp_path / "s")), store=store)
        with TestClient(app) as client:
            assert client.get("/api/v1/whoami", headers={"X-API-Key": token}).status_code == 401
        store.close()
    finally:
        get_settings.cache_clear()


def test_every_write_is_audited_with_before_and_after_and_only_admin_reads_it(api_env):
    client, keys, store = api_env.client, api_env.keys, api_env.store
    r = client.put("/api/v1/enterprises/91330100799655058B", headers=h(keys, "officer"),
                   json={"name": "甲材料（合成）", "region": "330800", "tags": ["专精特新"], "revenue_wan": 61000})
    assert r.status_code == 200
    r = client.get("/api/v1/audit", headers=h(keys, "admin"), params={"limit": 5})
    assert r.status_code == 200
    entry = next(e for e in r.json() if e["target"] == "Enterprise/91330100799655058B")
    assert entry["action"] == "upsert" and entry["actor"].startswith("officer-user(")
    assert entry["before"]["revenue_wan"] == 50000 and entry["after"]["revenue_wan"] == 61000
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d.*", entry["at"])
    for role in ("officer", "park_admin", "viewer"):
        assert client.get("/api/v1/audit", headers=h(keys, role)).status_code == 403
    assert client.get("/api/v1/audit").status_code == 401
    # paging past what SQLite can count is a 422 naming the parameter, not a server error
    r = client.get("/api/v1/audit", headers=h(keys, "admin"), params={"offset": 10**20})
    assert r.status_code == 422 and "offset" in r.text
    # a refused write leaves no audit entry
    n = len(store.list_audit(limit=1000))
    assert client.put("/api/v1/chains/zz", json={"name": "x"}, headers=h(keys, "viewer")).status_code == 403
    assert len(store.list_audit(limit=1000)) == n


def test_put_keeps_a_parcels_reservation_state_and_refuses_to_change_it(api_env):
    """Only the 土地超市 reservation service (POST …/reserve|release|transfer) changes a parcel's status, rev,
    reserved_*/expires_at and transferred_*; the generic PUT keeps them and refuses a body that would change them."""
    client, keys, store = api_env.client, api_env.keys, api_env.store
    write_objects(store, scoped_objects())
    r = client.post("/api/v1/parcels/pc-own/reserve", json={"project": "pj-own", "ttl_hours": 48}, headers=h(keys, "officer"))
    assert r.status_code == 200, r.text
    state = {k: r.json()[k] for k in ("status", "rev", "reserved_by", "reserved_at", "expires_at")}
    assert state["status"] == "reserved" and state["reserved_by"] == "pj-own"

    # an edit that leaves the state out keeps it
    edit = {"name": "本园区地块（更新）", "park": OWN, "region": "330800", "area_mu": 95}
    r = client.put("/api/v1/parcels/pc-own", json=edit, headers=h(keys, "park_admin"))
    assert r.status_code == 200, r.text
    after = store.get("LandParcel", "pc-own")
    assert after["area_mu"] == 95 and {k: after[k] for k in state} == state

    # sending the object back as read (state unchanged, a timestamp in another notation) is accepted
    same = {k: v for k, v in client.get("/api/v1/parcels/pc-own").json().items() if k != "key"}
    same["reserved_at"] = same["reserved_at"].replace("Z", "+00:00")
    assert client.put("/api/v1/parcels/pc-own", json=same, headers=h(keys, "park_admin")).status_code == 200

    # any attempt to change the state is refused, naming the field, and writes nothing
    v0 = store.version()
    for field, value in (("status", "available"), ("reserved_by", "pj-other"), ("rev", 0), ("expires_at", None),
                         ("transferred_to", "pj-own")):
        r = client.put("/api/v1/parcels/pc-own", json=edit | {field: value}, headers=h(keys, "admin"))
        assert r.status_code == 422, (field, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["field"] == field and "reserve" in r.json()["detail"]
    assert store.version() == v0 and {k: store.get("LandParcel", "pc-own")[k] for k in state} == state

    # a new parcel cannot be created already reserved
    r = client.put("/api/v1/parcels/pc-new", json=edit | {"status": "reserved", "reserved_by": "pj-own"},
                   headers=h(keys, "admin"))
    assert r.status_code == 422 and store.get("LandParcel", "pc-new") is None


def test_a_reservation_landing_during_a_put_wins_and_the_put_gets_409(api_env, monkeypatch):
    from api import node_service as nodes
    from land.commands import reserve_parcel

    client, keys, store = api_env.client, api_env.keys, api_env.store
    write_objects(store, scoped_objects())
    real = nodes.service.upsert_node

    def reservation_lands_first(store_, **kw):  # another request reserves between the PUT's read and its write
        reserve_parcel(store_, parcel="pc-own", project="pj-own", actor="并发的专员")
        return real(store_, **kw)

    monkeypatch.setattr(nodes.service, "upsert_node", reservation_lands_first)
    r = client.put("/api/v1/parcels/pc-own", json={"name": "改名", "park": OWN, "region": "330800", "area_mu": 80},
                   headers=h(keys, "park_admin"))
    assert r.status_code == 409, r.text
    assert "并发" in r.json()["detail"]
    now = store.get("LandParcel", "pc-own")
    assert now["status"] == "reserved" and now["reserved_by"] == "pj-own" and now["name"] == "本园区地块"
