"""内容订阅 over the API and the page, on both backends: subscribe, a write through the land API, the app's worker
records the event, the digest (API and /pages/alerts) shows it, mark read; roles and park scope."""
from __future__ import annotations

import time

import pytest

from factories import seeded

@pytest.fixture(scope="module")
def app_data():
    return seeded(scale=200, seed=7, alerts={"poll_seconds": 0.1})


def _wait(env, role, n, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = env.client.get("/api/v1/events", headers=env.h(role)).json()["items"]
        if len(items) >= n:
            return items
        time.sleep(0.1)
    raise AssertionError(f"no event after {timeout}s")


def _parcel(env, park, *, other=False):
    for k, p in env.store.iter_nodes("LandParcel"):
        if (p.get("park") != park) == other and p.get("status") == "available":
            return k
    raise AssertionError("no parcel")


def test_subscribe_write_digest_and_read(api_env):
    c, h = api_env.client, api_env.h("officer")
    parcel = _parcel(api_env, "quzhou_zhizao")
    r = c.post("/api/v1/subscriptions", json={"kind": "parcel", "subject": parcel}, headers=h)
    assert r.status_code == 201, r.text
    sub = r.json()
    assert sub["name"] and "webhook_secret" not in sub
    assert c.post("/api/v1/subscriptions", json={"kind": "parcel", "subject": parcel}, headers=h).status_code == 409
    time.sleep(0.5)  # the worker's baseline pass
    props = {k: v for k, v in api_env.store.get("LandParcel", parcel).items() if k != "key"}
    from graph.store import Batch, NodeRec
    api_env.store.write(Batch(nodes=[NodeRec("LandParcel", parcel, {**props, "status": "reserved"})]))
    [ev] = _wait(api_env, "officer", 1)
    assert ev["kind"] == "parcel.reserved" and ev["subject"]["page"] == f"/pages/land?parcel={parcel}"
    assert ev["at_beijing"].endswith("北京时间") and not ev["read"]
    assert c.get("/api/v1/events", headers=api_env.h("admin")).json()["items"] == []  # the admin subscribed nothing
    # the page: unread first, mark read through the form (CSRF)
    page_client, csrf = api_env.signed_in("officer")
    html = page_client.get("/pages/alerts").text
    assert "已预留" in html and "未读 1" in html and "/pages/alerts" in html
    r = page_client.post("/pages/alerts/read", data={"event_id": ev["event_id"], "csrf": csrf})
    assert r.status_code == 303
    assert c.get("/api/v1/events?unread=true", headers=h).json()["items"] == []
    anon = c.post("/pages/alerts/read", data={"event_id": ev["event_id"]}, follow_redirects=False)
    assert anon.status_code == 303 and "/pages/login" in anon.headers["location"]
    assert c.delete(f"/api/v1/subscriptions/{sub['id']}", headers=h).status_code == 204
    assert c.get("/api/v1/subscriptions", headers=h).json()["items"] == []


def test_roles_and_park_scope(api_env):
    c = api_env.client
    other = _parcel(api_env, "quzhou_zhizao", other=True)
    r = c.post("/api/v1/subscriptions", json={"kind": "parcel", "subject": other}, headers=api_env.h("park_admin"))
    assert r.status_code == 403 and "本园区" in r.json()["detail"]
    r = c.post("/api/v1/subscriptions", json={"kind": "chain", "subject": "集成电路"}, headers=api_env.h("viewer"))
    assert r.status_code == 403
    assert c.get("/api/v1/events").status_code == 401
    r = c.post("/api/v1/subscriptions", json={"kind": "chain", "subject": "集成电路", "min_score": 90,
                                              "webhook_url": "http://127.0.0.1:9/hook"}, headers=api_env.h("officer"))
    assert r.status_code == 201 and len(r.json()["webhook_secret"]) > 20 and r.json()["region"] == "330800"
    r = c.post("/api/v1/subscriptions", json={"kind": "chain", "subject": "不存在的链"}, headers=api_env.h("officer"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "subject"
    r = c.post("/api/v1/subscriptions", json={"kind": "chain", "subject": "集成电漏"}, headers=api_env.h("officer"))
    assert r.status_code == 422 and "您是不是要找" in r.json()["detail"] and "集成电路" in r.json()["detail"]
    page_client, csrf = api_env.signed_in("officer")
    r = page_client.post("/pages/alerts/subscribe", data={"kind": "region", "subject": "衢州", "csrf": csrf})
    assert r.status_code == 303 and "cm_ok=1" in r.headers["location"]
    assert "衢州" in page_client.get("/pages/alerts").text
